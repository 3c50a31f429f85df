// Parallel phantom rendering and DICOM writing, then the slice CSV in patient/slice order and the
// series CSV in patient order.
#include "data/synthetic_dataset.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/dicom_writer.h"
#include "data/phantom.h"
#include "data/series_labels.h"

namespace ihd::data {

SyntheticDatasetSummary write_synthetic_dataset(const SyntheticDatasetOptions& options) {
  const auto image_dir = options.output_dir / "stage_2_train";
  std::error_code error;
  std::filesystem::create_directories(image_dir, error);
  if (error) throw Error(ErrorKind::io, image_dir.string(), "cannot create folder");

  std::vector<PhantomPatient> patients;
  for (int p = 0; p < options.patients; ++p)
    patients.push_back(make_phantom_patient(options.seed, p, options.slices_per_patient,
                                            options.positive_patient_probability,
                                            options.faint_end_probability));
  const int slices = options.slices_per_patient;
  const long total = static_cast<long>(options.patients) * slices;
  std::vector<std::pair<std::string, RsnaLabels>> rows(total);
  std::vector<bool> only_faint(total);
  std::exception_ptr failure;
  Progress progress(options.progress, "writing synthetic slices", total, "slices");
#pragma omp parallel for schedule(dynamic, 1)
  for (long n = 0; n < total; ++n) {
    try {
      const PhantomPatient& patient = patients[n / slices];
      PhantomSlice slice =
          render_phantom_slice(patient, static_cast<int>(n % slices), options.image_size);
      write_ct_dicom(image_dir / (slice.image_id + ".dcm"), slice.image, patient.encoding);
      rows[n] = {slice.image_id, slice.labels};
      only_faint[n] = slice.only_faint_blood;
      progress.add(1);
    } catch (...) {
#pragma omp critical
      failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  progress.finish();
  write_rsna_labels(options.output_dir / "stage_2_train.csv", rows);

  // One series per patient; its labels are the maximum over its slices.
  std::vector<SeriesLabels> series;
  for (int p = 0; p < options.patients; ++p) {
    SeriesLabels row{patients[p].study_id, patients[p].series_id, {}};
    for (int k = 0; k < slices; ++k)
      for (int i = 0; i < rsna_label_count; ++i)
        row.labels[i] =
            std::max(row.labels[i], rows[static_cast<size_t>(p) * slices + k].second[i]);
    series.push_back(row);
  }
  write_series_labels(options.output_dir / "series_labels.csv", series);

  SyntheticDatasetSummary summary;
  summary.images = rows.size();
  for (size_t n = 0; n < rows.size(); ++n) {
    const RsnaLabels& labels = rows[n].second;
    summary.positive_images += labels[any_label_index] > 0;
    summary.faint_positive_images += only_faint[n];
    for (int i = 0; i < rsna_label_count; ++i) summary.per_subtype[i] += labels[i] > 0;
  }
  summary.series = series.size();
  for (const SeriesLabels& row : series) summary.positive_series += row.labels[any_label_index] > 0;
  return summary;
}

}  // namespace ihd::data
