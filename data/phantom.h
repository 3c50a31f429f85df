// Synthetic head CT phantoms: the embedded default dataset, since the RSNA data cannot be
// downloaded here. A patient is a seeded set of anatomical parameters (head shape, scalp, skull,
// grey/white matter with texture, sulci, lateral ventricles, CT noise) and zero to two
// hemorrhages, each spanning a run of consecutive slices and drawn as it looks on CT:
//   epidural         biconvex lens against the inner table of the skull
//   subdural         thin crescent along the skull, over a wide arc
//   intraparenchymal irregular blob with a hypodense oedema rim
//   intraventricular blood layering in the dependent part of a lateral ventricle
//   subarachnoid     blood filling the sulci and the surface CSF over a sector
// Blood is 50-90 HU with varied size and contrast.
//
// A hemorrhage is a volume: its cross-section grows from its run's end slices to its middle
// (half an ellipse), so the ends show a smaller, partial blob. With faint ends (drawn per
// hemorrhage with faint_end_probability, and only for a run of 3 or more slices, which has a
// middle), each end slice cuts the edge of the volume and averages blood with the tissue around
// it (partial volume): every bleed pixel there keeps its shape (so the labels do not change) but
// is tissue + end_contrast x (blood - tissue), end_contrast 0.12-0.3: from 1 to about 25 HU above
// the brain or CSF it lies in (10-85 HU at full contrast), under CT noise of 3-9 HU. Such an end
// slice alone is ambiguous; next to a slice showing the full bleed at the same place, it is not.
//
// Labels: a slice is positive for a type when a hemorrhage of that type covers at least
// phantom_min_blood_pixels blood pixels on it (120 at 512 x 512, scaled with the image area, at
// least 8), whatever their contrast: faint end slices are positive. The hypodense oedema rim of an
// intraparenchymal bleed is not blood and does not count. A hemorrhage with fewer blood pixels on
// a slice is not drawn there at all, so every label matches blood in the image and every drawn
// blood pixel is labelled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dicom_reader.h"
#include "data/dicom_writer.h"
#include "data/rsna_labels.h"

namespace ihd::data {

enum class HemorrhageType : int {
  epidural = 0,  // indices match rsna_subtypes
  intraparenchymal = 1,
  intraventricular = 2,
  subarachnoid = 3,
  subdural = 4,
};

struct PhantomHemorrhage {
  HemorrhageType type = HemorrhageType::epidural;
  int first_slice = 0;
  int last_slice = 0;
  double angle_rad = 0;        // where along the skull (or direction of an intraparenchymal centre)
  double half_extent_rad = 0;  // angular half-extent (epidural, subdural, subarachnoid)
  double size = 0;             // fraction of the brain radius: thickness, or blob radius
  double depth = 0;  // intraparenchymal: centre's distance from the head centre (fraction)
  double blood_hu = 70;
  double shape_phase = 0;  // irregularity of the outline
  int ventricle_side = 1;  // intraventricular: -1 left, +1 right, 0 both
  double fluid_level = 0;  // intraventricular: how much of the ventricle fills (0..1)
  // Contrast of the run's first and last slice relative to its middle: 1 (as dense), or below 1
  // for faint ends (see above).
  double end_contrast = 1;
};

struct PhantomPatient {
  std::string patient_id;
  std::string study_id;
  std::string series_id;
  int slice_count = 1;
  double first_z_mm = 0;
  double slice_spacing_mm = 5;
  double pixel_spacing_mm = 0.48828125;
  double head_half_width = 0.36;  // fractions of the image size
  double head_half_height = 0.43;
  double center_x = 0.5, center_y = 0.5;
  double rotation_rad = 0;
  double scalp = 0.03, skull = 0.045;  // fractions of the head radius
  double skull_hu = 1200;
  double grey_hu = 40, white_hu = 28, csf_hu = 6;
  double noise_hu = 6;
  double ventricle_scale = 1;
  int sulcus_count = 30;
  double sulcus_phase = 0, gyrus_phase = 0;
  std::uint64_t texture_seed = 0;
  CtEncoding encoding = CtEncoding::signed16_intercept_1024;
  std::vector<PhantomHemorrhage> hemorrhages;
};

struct PhantomSlice {
  std::string image_id;  // "ID_<9 hex digits>"
  HuImage image;         // HU rounded to integers, with the DICOM metadata it will be written with
  RsnaLabels labels{};
  bool only_faint_blood = false;  // positive, and every hemorrhage drawn on it is at a faint end
};

inline constexpr int phantom_min_blood_pixels = 120;  // at 512 x 512

// Patient patient_index of the set generated from seed; positive_probability is the chance that
// the patient has any hemorrhage, faint_end_probability the chance that a hemorrhage of 3 or more
// slices has faint ends. The faint-end draws come last: the same seed gives the same anatomy and
// hemorrhages whatever faint_end_probability is, and with 0 the slices of earlier versions.
PhantomPatient make_phantom_patient(std::uint64_t seed, int patient_index, int slice_count,
                                    double positive_probability = 0.65,
                                    double faint_end_probability = 0);

// The contrast hemorrhage h has on slice slice_index: 0 outside its run, end_contrast on the end
// slices of a run of 3 or more, 1 elsewhere.
double hemorrhage_contrast(const PhantomHemorrhage& h, int slice_index);

// Renders slice slice_index (0 = lowest) at size x size pixels.
PhantomSlice render_phantom_slice(const PhantomPatient& patient, int slice_index, int size = 512);

}  // namespace ihd::data
