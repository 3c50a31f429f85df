// Detects the kind of dataset folder and opens it.
#include "data/dataset_sources.h"

#include "common/error.h"
#include "data/prepared_cache.h"

namespace ihd::data {

std::unique_ptr<ImageDataset> open_dataset(const std::filesystem::path& source,
                                           const DatasetSourceOptions& options, std::ostream& log) {
  if (std::filesystem::exists(source / "cache_info.txt")) return open_prepared_cache(source);
  if (std::filesystem::is_directory(source / "stage_2_train")) {
    if (options.cache_dir.empty())
      throw Error(ErrorKind::io, source.string(),
                  "an RSNA-layout folder needs a cache folder to be prepared into");
    const auto report = prepare_rsna_cache(source, options.cache_dir, options.preparation, log);
    print_preparation_report(report, log);
    return open_prepared_cache(options.cache_dir);
  }
  return open_png_folders(source, options.png, log);
}

}  // namespace ihd::data
