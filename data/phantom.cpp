// Phantom rendering: one pass over the pixels builds the normal anatomy in polar coordinates
// around the head centre and marks which hemorrhage (if any) covers each pixel; a second pass
// keeps only the hemorrhages with enough blood pixels, blends faint ends with the tissue under
// them and adds CT noise.
#include "data/phantom.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "common/random.h"
#include "data/dataset_selection.h"

namespace ihd::data {
namespace {

constexpr double pi = std::numbers::pi;

std::string hex_id(std::uint64_t value, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "ID_%0*llx", digits,
                static_cast<unsigned long long>(value & ((1ull << (4 * digits)) - 1)));
  return text;
}

// Angle difference wrapped to (-pi, pi].
double angle_between(double a, double b) {
  double d = std::fmod(a - b, 2 * pi);
  if (d > pi) d -= 2 * pi;
  if (d <= -pi) d += 2 * pi;
  return d;
}

// A smooth random field: a coarse grid of normal values, bilinearly interpolated.
class SmoothNoise {
 public:
  SmoothNoise(std::uint64_t seed, int cells) : cells_(cells), values_((cells + 1) * (cells + 1)) {
    Random random(seed);
    for (auto& v : values_) v = random.fast_normal();
  }
  // x, y in [0, 1).
  float at(double x, double y) const {
    const double gx = x * cells_, gy = y * cells_;
    const int ix = std::clamp(static_cast<int>(gx), 0, cells_ - 1);
    const int iy = std::clamp(static_cast<int>(gy), 0, cells_ - 1);
    const float fx = static_cast<float>(gx - ix), fy = static_cast<float>(gy - iy);
    const auto v = [&](int a, int b) { return values_[(iy + b) * (cells_ + 1) + ix + a]; };
    return (v(0, 0) * (1 - fx) + v(1, 0) * fx) * (1 - fy) +
           (v(0, 1) * (1 - fx) + v(1, 1) * fx) * fy;
  }

 private:
  int cells_;
  std::vector<float> values_;
};

// Where slice k lies in the supratentorial head, 0.2 (skull base side) .. 0.85 (vertex side).
double slice_height(int slice, int count) {
  return count <= 1 ? 0.5 : 0.2 + 0.65 * slice / (count - 1.0);
}

// How large a hemorrhage is on slice k relative to its largest slice (half an ellipse over its
// run).
double run_profile(const PhantomHemorrhage& h, int slice) {
  if (slice < h.first_slice || slice > h.last_slice) return 0;
  const double middle = 0.5 * (h.first_slice + h.last_slice);
  const double half = 0.5 * (h.last_slice - h.first_slice) + 0.75;
  const double x = (slice - middle) / half;
  return std::sqrt(std::max(0.0, 1 - x * x));
}

// A hemorrhage present on the slice being drawn, with its size there (0..1 of its largest) and
// its contrast (1 full, end_contrast on a faint end).
struct ActiveHemorrhage {
  const PhantomHemorrhage* h;
  double scale;
  double contrast;
};

// Subarachnoid blood distends the sulci and the surface CSF space it fills: extra half-width in
// pixels at angle phi (0 outside any subarachnoid hemorrhage's sector).
double subarachnoid_widening(const std::vector<ActiveHemorrhage>& active, double phi) {
  double widening = 0;
  for (const auto& a : active)
    if (a.h->type == HemorrhageType::subarachnoid &&
        std::abs(angle_between(phi, a.h->angle_rad)) < a.h->half_extent_rad * (0.5 + 0.5 * a.scale))
      widening = std::max(widening, 1.6 * a.scale);
  return widening;
}

}  // namespace

PhantomPatient make_phantom_patient(std::uint64_t seed, int patient_index, int slice_count,
                                    double positive_probability, double faint_end_probability) {
  Random random(mix_seed(seed * 1000003ull + static_cast<std::uint64_t>(patient_index)));
  PhantomPatient p;
  p.patient_id = hex_id(random.next(), 8);
  p.study_id = hex_id(random.next(), 10);
  p.series_id = hex_id(random.next(), 10);
  p.slice_count = std::max(1, slice_count);
  p.slice_spacing_mm = random.chance(0.5) ? 5.0 : random.uniform(3.0, 6.0);
  p.first_z_mm = random.uniform(-40.0, 40.0);
  p.pixel_spacing_mm = random.uniform(0.42, 0.52);
  p.head_half_width = random.uniform(0.32, 0.38);
  p.head_half_height = p.head_half_width * random.uniform(1.12, 1.28);
  p.center_x = 0.5 + random.uniform(-0.03, 0.03);
  p.center_y = 0.5 + random.uniform(-0.03, 0.03);
  p.rotation_rad = random.uniform(-0.15, 0.15);
  p.scalp = random.uniform(0.02, 0.04);
  p.skull = random.uniform(0.035, 0.06);
  p.skull_hu = random.uniform(900, 1600);
  p.grey_hu = random.uniform(36, 44);
  p.white_hu = p.grey_hu - random.uniform(8, 14);
  p.csf_hu = random.uniform(2, 12);
  p.noise_hu = random.uniform(3, 9);
  p.ventricle_scale = random.uniform(0.7, 1.4);
  p.sulcus_count = random.integer(22, 40);
  p.sulcus_phase = random.unit();
  p.gyrus_phase = random.uniform(0, 2 * pi);
  p.texture_seed = random.next();
  const double encoding_draw = random.unit();
  p.encoding = encoding_draw < 0.7   ? CtEncoding::signed16_intercept_1024
               : encoding_draw < 0.9 ? CtEncoding::unsigned12_intercept_1024
                                     : CtEncoding::rsna_wrong_intercept;
  if (!random.chance(positive_probability)) return p;

  const int count = random.chance(0.7) ? 1 : 2;
  for (int i = 0; i < count; ++i) {
    PhantomHemorrhage h;
    h.type = static_cast<HemorrhageType>(random.integer(0, 4));
    const int run = std::clamp(
        static_cast<int>(std::lround(p.slice_count * random.uniform(0.55, 1.0))), 1, p.slice_count);
    h.first_slice = random.integer(0, p.slice_count - run);
    h.last_slice = h.first_slice + run - 1;
    h.angle_rad = random.uniform(-pi, pi);
    h.shape_phase = random.uniform(0, 2 * pi);
    switch (h.type) {
      case HemorrhageType::epidural:
        h.half_extent_rad = random.uniform(0.22, 0.5);
        h.size = random.uniform(0.05, 0.14);
        h.blood_hu = random.uniform(55, 90);
        break;
      case HemorrhageType::subdural:
        h.half_extent_rad = random.uniform(0.5, 1.2);
        h.size = random.uniform(0.025, 0.07);
        h.blood_hu = random.uniform(50, 80);
        break;
      case HemorrhageType::intraparenchymal:
        h.size = random.uniform(0.045, 0.14);
        h.depth = random.uniform(0.2, 0.65);
        h.blood_hu = random.uniform(55, 90);
        break;
      case HemorrhageType::intraventricular: {
        h.ventricle_side = random.integer(-1, 1);
        h.fluid_level = random.uniform(0.35, 0.9);
        h.blood_hu = random.uniform(50, 80);
        // Only slices through the ventricles can show it.
        const int middle = p.slice_count / 2;
        h.first_slice = std::min(h.first_slice, middle);
        h.last_slice = std::max(h.last_slice, middle);
        break;
      }
      case HemorrhageType::subarachnoid:
        h.half_extent_rad = random.uniform(0.4, 1.1);
        h.blood_hu = random.uniform(50, 75);
        break;
    }
    p.hemorrhages.push_back(h);
  }
  for (PhantomHemorrhage& h : p.hemorrhages) {
    const bool faint = random.chance(faint_end_probability);
    const double contrast = random.uniform(0.12, 0.3);
    if (faint && h.last_slice - h.first_slice >= 2) h.end_contrast = contrast;
  }
  return p;
}

double hemorrhage_contrast(const PhantomHemorrhage& h, int slice_index) {
  if (slice_index < h.first_slice || slice_index > h.last_slice) return 0;
  const bool is_end = slice_index == h.first_slice || slice_index == h.last_slice;
  return is_end && h.last_slice - h.first_slice >= 2 ? h.end_contrast : 1;
}

PhantomSlice render_phantom_slice(const PhantomPatient& p, int slice_index, int size) {
  const double t = slice_height(slice_index, p.slice_count);
  const double head_scale = std::sqrt(std::max(0.3, 1 - std::pow((t - 0.4) / 0.85, 2)));
  const double ventricle_presence = std::max(0.0, 1 - std::pow((t - 0.5) / 0.24, 2));
  const double half_width_px = p.head_half_width * size * head_scale;
  const double half_height_px = p.head_half_height * size * head_scale;
  const double brain_radius = 1 - p.scalp - p.skull;  // in head-radius units
  const double mean_radius_px = 0.5 * (half_width_px + half_height_px);
  const double pixel_scale = size / 512.0;
  const double cos_r = std::cos(p.rotation_rad), sin_r = std::sin(p.rotation_rad);
  const SmoothNoise texture(p.texture_seed + static_cast<std::uint64_t>(slice_index), 24);
  const SmoothNoise outline(p.texture_seed ^ 0x5bd1e995ull, 8);

  std::vector<ActiveHemorrhage> active;
  for (const auto& h : p.hemorrhages)
    if (double s = run_profile(h, slice_index); s > 0)
      active.push_back({&h, s, hemorrhage_contrast(h, slice_index)});

  const size_t pixel_count = static_cast<size_t>(size) * size;
  std::vector<float> hu(pixel_count);
  std::vector<std::uint8_t> bleed(pixel_count, 0);     // 1 + index into active, 0 none
  std::vector<float> bleed_hu(pixel_count, 0);         // at full contrast
  std::vector<std::uint8_t> is_blood(pixel_count, 0);  // bleed pixels but the oedema rim

  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const size_t i = static_cast<size_t>(y) * size + x;
      const double dx = x + 0.5 - p.center_x * size, dy = y + 0.5 - p.center_y * size;
      const double u = (cos_r * dx + sin_r * dy) / half_width_px;
      const double w = (-sin_r * dx + cos_r * dy) / half_height_px;
      const double rho = std::sqrt(u * u + w * w);
      if (rho > 1.08) {
        hu[i] = -1000;
        continue;
      }
      const double phi = std::atan2(w, u);
      const double wobble =
          1 + 0.02 * std::sin(3 * phi + p.gyrus_phase) + 0.012 * std::sin(5 * phi);
      const double r = rho / wobble;
      if (r > 1) {
        hu[i] = -1000;
        continue;
      }
      if (r > 1 - p.scalp) {
        hu[i] = r > 1 - 0.3 * p.scalp ? -60 : 35;  // a thin fat layer under the skin
        continue;
      }
      if (r > brain_radius) {
        const double across = (r - brain_radius) / p.skull;  // 0 inner table .. 1 outer table
        hu[i] = static_cast<float>(p.skull_hu * (0.55 + 0.45 * std::abs(2 * across - 1)));
        continue;
      }
      // Brain. Distances in pixels from the inner table; angles measured in head coordinates.
      const double depth_px = (brain_radius - r) * mean_radius_px;
      const double cortex_px =
          (9 + 3 * std::sin(p.sulcus_count * 0.5 * phi + p.gyrus_phase)) * pixel_scale;
      const double blend = std::clamp((depth_px - cortex_px) / (3 * pixel_scale), 0.0, 1.0);
      double value = p.grey_hu * (1 - blend) + p.white_hu * blend +
                     2.5 * texture.at(x / static_cast<double>(size), y / static_cast<double>(size));
      const double sah_widening = subarachnoid_widening(active, phi);
      bool is_csf = depth_px < (1.2 + sah_widening) * pixel_scale;
      const double sulcus_position = p.sulcus_count * (phi + pi) / (2 * pi) + p.sulcus_phase;
      const double sulcus_fraction = sulcus_position - std::floor(sulcus_position);
      const double to_sulcus_px = std::min(sulcus_fraction, 1 - sulcus_fraction) * 2 * pi /
                                  p.sulcus_count * r * mean_radius_px;
      const double sulcus_depth_px =
          (16 + 7 * outline.at(0.5 + 0.4 * std::cos(phi), 0.5 + 0.4 * std::sin(phi))) * pixel_scale;
      const double sulcus_half_width_px =
          (1.3 + sah_widening) * pixel_scale * (1 - depth_px / (sulcus_depth_px + 1));
      const bool in_sulcus = depth_px < sulcus_depth_px && to_sulcus_px < sulcus_half_width_px;
      is_csf = is_csf || in_sulcus;

      int ventricle = 0;       // -1 left, +1 right
      double ventricle_w = 0;  // position along the ventricle's long axis (-1 front .. 1 back)
      if (ventricle_presence > 0) {
        for (int side : {-1, 1}) {
          const double cu = u / brain_radius - side * 0.12 * p.ventricle_scale;
          const double cw = w / brain_radius + 0.03;
          const double angle = side * 0.3;
          const double a = std::cos(angle) * cu + std::sin(angle) * cw;
          const double b = -std::sin(angle) * cu + std::cos(angle) * cw;
          const double semi_a = 0.055 * p.ventricle_scale * ventricle_presence;
          const double semi_b = 0.26 * p.ventricle_scale * std::sqrt(ventricle_presence);
          if ((a * a) / (semi_a * semi_a) + (b * b) / (semi_b * semi_b) < 1) {
            ventricle = side;
            ventricle_w = b / semi_b;
          }
        }
      }
      if (ventricle != 0) is_csf = true;
      if (is_csf)
        value = p.csf_hu +
                1.5 * texture.at(y / static_cast<double>(size), x / static_cast<double>(size));
      hu[i] = static_cast<float>(value);

      for (size_t k = 0; k < active.size(); ++k) {
        const PhantomHemorrhage& h = *active[k].h;
        const double s = active[k].scale;
        bool covered = false;
        bool blood_pixel = true;
        double blood = h.blood_hu;
        switch (h.type) {
          case HemorrhageType::epidural:
          case HemorrhageType::subdural: {
            const double along =
                angle_between(phi, h.angle_rad) / (h.half_extent_rad * (0.6 + 0.4 * s));
            if (std::abs(along) < 1) {
              const double profile = h.type == HemorrhageType::epidural
                                         ? std::sqrt(1 - along * along)
                                         : std::pow(1 - along * along, 0.25);
              covered = (brain_radius - r) < h.size * s * profile * brain_radius;
            }
            break;
          }
          case HemorrhageType::intraparenchymal: {
            const double cu = h.depth * std::cos(h.angle_rad) * brain_radius;
            const double cw = h.depth * std::sin(h.angle_rad) * brain_radius;
            const double du = u - cu, dw = w - cw;
            const double distance = std::sqrt(du * du + dw * dw);
            const double theta = std::atan2(dw, du);
            const double radius = h.size * s * brain_radius *
                                  (1 + 0.22 * std::sin(3 * theta + h.shape_phase) +
                                   0.12 * std::sin(5 * theta + 2 * h.shape_phase));
            if (distance < radius) {
              covered = true;
            } else if (distance < radius * 1.55) {
              covered = true;
              blood_pixel = false;
              blood = std::min(value, p.white_hu) - 10;  // oedema rim, hypodense
            }
            break;
          }
          case HemorrhageType::intraventricular:
            covered = ventricle != 0 && (h.ventricle_side == 0 || h.ventricle_side == ventricle) &&
                      ventricle_w > 1 - 2 * h.fluid_level * s;
            break;
          case HemorrhageType::subarachnoid:
            covered =
                is_csf && ventricle == 0 &&
                std::abs(angle_between(phi, h.angle_rad)) < h.half_extent_rad * (0.5 + 0.5 * s);
            break;
        }
        if (covered) {
          bleed[i] = static_cast<std::uint8_t>(k + 1);
          bleed_hu[i] = static_cast<float>(blood);
          is_blood[i] = blood_pixel;
        }
      }
    }
  }

  std::vector<int> blood_pixels(active.size(), 0);
  for (size_t i = 0; i < pixel_count; ++i)
    if (bleed[i] && is_blood[i]) ++blood_pixels[bleed[i] - 1];
  const int min_pixels =
      std::max(8, static_cast<int>(phantom_min_blood_pixels * pixel_scale * pixel_scale));
  PhantomSlice slice;
  bool any_full_blood = false;
  for (size_t k = 0; k < active.size(); ++k) {
    if (blood_pixels[k] < min_pixels) continue;
    slice.labels[static_cast<int>(active[k].h->type)] = 1;
    any_full_blood = any_full_blood || active[k].contrast >= 1;
  }
  for (int type = 0; type < any_label_index; ++type)
    slice.labels[any_label_index] = std::max(slice.labels[any_label_index], slice.labels[type]);
  slice.only_faint_blood = slice.labels[any_label_index] > 0 && !any_full_blood;

  Random noise(p.texture_seed * 31 + static_cast<std::uint64_t>(slice_index) + 7);
  const float noise_hu = static_cast<float>(p.noise_hu);
  for (size_t i = 0; i < pixel_count; ++i) {
    float value = hu[i];
    if (bleed[i] && blood_pixels[bleed[i] - 1] >= min_pixels)
      value = bleed_hu[i] -
              static_cast<float>(1 - active[bleed[i] - 1].contrast) * (bleed_hu[i] - value);
    if (value > -900) value += noise_hu * noise.fast_normal();
    hu[i] = std::nearbyint(value);
  }

  Random ids(p.texture_seed + 1000003ull * static_cast<std::uint64_t>(slice_index + 1));
  slice.image_id = hex_id(ids.next(), 9);
  HuImage& image = slice.image;
  image.rows = image.columns = size;
  image.hu = std::move(hu);
  DicomMetadata& meta = image.metadata;
  meta.patient_id = p.patient_id;
  meta.study_instance_uid = p.study_id;
  meta.series_instance_uid = p.series_id;
  meta.sop_instance_uid = slice.image_id;
  meta.modality = "CT";
  meta.photometric_interpretation = "MONOCHROME2";
  meta.has_image_position = true;
  const double spacing = p.pixel_spacing_mm * 512.0 / size;
  meta.image_position_patient_mm = {-0.5 * size * spacing, -0.5 * size * spacing,
                                    p.first_z_mm + slice_index * p.slice_spacing_mm};
  meta.has_image_orientation = true;
  meta.image_orientation_patient = {1, 0, 0, 0, 1, 0};  // axial, no gantry tilt
  meta.has_instance_number = true;
  meta.instance_number = slice_index + 1;
  meta.pixel_spacing_mm = {spacing, spacing};
  meta.window_centers = {40, 40};
  meta.window_widths = {80, 80};
  meta.rows = meta.columns = size;
  return slice;
}

}  // namespace ihd::data
