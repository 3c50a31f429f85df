// Parallel phantom rendering and DICOM writing, then the CSV in patient/slice order.
#include "data/synthetic_dataset.h"

#include <omp.h>

#include <exception>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/dicom_writer.h"
#include "data/phantom.h"

namespace ihd::data {

SyntheticDatasetSummary write_synthetic_dataset(const SyntheticDatasetOptions& options) {
  const auto image_dir = options.output_dir / "stage_2_train";
  std::error_code error;
  std::filesystem::create_directories(image_dir, error);
  if (error) throw Error(ErrorKind::io, image_dir.string(), "cannot create folder");

  std::vector<PhantomPatient> patients;
  for (int p = 0; p < options.patients; ++p)
    patients.push_back(make_phantom_patient(options.seed, p, options.slices_per_patient,
                                            options.positive_patient_probability));
  const int slices = options.slices_per_patient;
  const long total = static_cast<long>(options.patients) * slices;
  std::vector<std::pair<std::string, RsnaLabels>> rows(total);
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1)
  for (long n = 0; n < total; ++n) {
    try {
      const PhantomPatient& patient = patients[n / slices];
      PhantomSlice slice =
          render_phantom_slice(patient, static_cast<int>(n % slices), options.image_size);
      write_ct_dicom(image_dir / (slice.image_id + ".dcm"), slice.image, patient.encoding);
      rows[n] = {slice.image_id, slice.labels};
    } catch (...) {
#pragma omp critical
      failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  write_rsna_labels(options.output_dir / "stage_2_train.csv", rows);

  SyntheticDatasetSummary summary;
  summary.images = rows.size();
  for (const auto& [id, labels] : rows) {
    summary.positive_images += labels[any_label_index] > 0;
    for (int i = 0; i < rsna_label_count; ++i) summary.per_subtype[i] += labels[i] > 0;
  }
  return summary;
}

}  // namespace ihd::data
