// Data-pipeline throughput, one core each (multiply by cores for a host; see bench/RESULTS.md),
// in wall-clock time (file reads included), as bench/pydicom_data_reference.py measures its peer
// (bench/compare_data.sh runs the two side by side):
//   BM_DicomToTrainingImage  read a 512 x 512 CT DICOM, HU, three windows, area-resize to 180
//   BM_DicomDecodeOnly       the DCMTK read + HU conversion alone
//   BM_CacheToBatch          prepared 180 x 180 x 3 cache -> float NHWC batches of 32, one
//                            worker thread, with and without augmentation
//   BM_PhantomSlice          rendering one 512 x 512 synthetic slice (ihd_synth's cost)
// Inputs are synthetic phantoms written once into the system temporary folder.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <filesystem>
#include <sstream>
#include <vector>

#include "data/batch_loader.h"       // BatchLoader
#include "data/dicom_reader.h"       // read_dicom_hu
#include "data/phantom.h"            // make_phantom_patient, render_phantom_slice
#include "data/prepared_cache.h"     // open_prepared_cache
#include "data/rsna_preparation.h"   // prepare_rsna_cache
#include "data/slice_preparation.h"  // prepare_image
#include "data/synthetic_dataset.h"  // write_synthetic_dataset

namespace {

namespace data = ihd::data;

const std::filesystem::path& bench_folder() {
  static const std::filesystem::path folder = [] {
    const auto dir = std::filesystem::temp_directory_path() / "ihd_bench_data";
    if (!std::filesystem::exists(dir / "stage_2_train.csv")) {
      data::SyntheticDatasetOptions options;
      options.output_dir = dir;
      options.patients = 16;
      options.slices_per_patient = 8;
      options.seed = 12;
      data::write_synthetic_dataset(options);
    }
    return dir;
  }();
  return folder;
}

std::vector<std::filesystem::path> bench_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(bench_folder() / "stage_2_train"))
    files.push_back(entry.path());
  return files;
}

void BM_DicomToTrainingImage(benchmark::State& state) {
  const auto files = bench_files();
  const auto channels = data::window_channels(data::default_windows());
  size_t n = 0;
  for (auto _ : state) {
    const data::HuImage slice = data::read_dicom_hu(files[n++ % files.size()]);
    const data::HuImage* slices[] = {&slice, &slice, &slice};
    benchmark::DoNotOptimize(data::prepare_image(slices, channels, 180));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DicomToTrainingImage)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DicomDecodeOnly(benchmark::State& state) {
  const auto files = bench_files();
  size_t n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(data::read_dicom_hu(files[n++ % files.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DicomDecodeOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CacheToBatch(benchmark::State& state) {
  const auto cache_dir = bench_folder() / "cache180";
  static const bool prepared = [&] {
    data::PreparationOptions options;
    options.balance = false;
    std::ostringstream log;
    data::prepare_rsna_cache(bench_folder(), cache_dir, options, log);
    return true;
  }();
  benchmark::DoNotOptimize(prepared);
  const auto cache = data::open_prepared_cache(cache_dir);
  std::vector<size_t> indices(cache->records().size());
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = i;
  data::BatchLoaderOptions options;
  options.batch_size = 32;
  options.threads = 1;
  options.augment = state.range(0) != 0;
  data::BatchLoader loader(*cache, indices, options);
  int epoch = 0;
  loader.begin_epoch(epoch);
  data::Batch batch;
  size_t images = 0;
  for (auto _ : state) {
    if (!loader.next(batch)) {
      loader.begin_epoch(++epoch);
      loader.next(batch);
    }
    images += batch.n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(images));
  state.SetLabel(options.augment ? "augment" : "no augment");
}
BENCHMARK(BM_CacheToBatch)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PhantomSlice(benchmark::State& state) {
  const data::PhantomPatient patient = data::make_phantom_patient(3, 0, 8, 1.0);
  int slice = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(data::render_phantom_slice(patient, slice++ % 8, 512));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhantomSlice)->Unit(benchmark::kMillisecond);

}  // namespace
