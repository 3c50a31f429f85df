// DCMTK dataset construction for one CT slice.
#include "data/dicom_writer.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "common/atomic_file.h"
#include "common/error.h"

namespace ihd::data {
namespace {

std::string join_numbers(const double* values, size_t count) {
  std::ostringstream text;
  text.precision(10);
  for (size_t i = 0; i < count; ++i) text << (i ? "\\" : "") << values[i];
  return text.str();
}

}  // namespace

HuRange representable_hu(CtEncoding encoding) {
  switch (encoding) {
    case CtEncoding::signed16_intercept_1024:
      return {-32768.0f - 1024.0f, 32767.0f - 1024.0f};
    case CtEncoding::unsigned12_intercept_1024:
      return {-1024.0f, 4095.0f - 1024.0f};
    case CtEncoding::rsna_wrong_intercept:
      return {-1000.0f, 3095.0f};
  }
  return {0, 0};
}

void write_ct_dicom(const std::filesystem::path& path, const HuImage& image, CtEncoding encoding) {
  const DicomMetadata& meta = image.metadata;
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  const auto put = [&](const DcmTagKey& tag, const std::string& value) {
    ds.putAndInsertString(tag, value.c_str());
  };
  put(DCM_SOPClassUID, UID_CTImageStorage);
  put(DCM_SOPInstanceUID, meta.sop_instance_uid);
  put(DCM_Modality, "CT");
  put(DCM_PatientID, meta.patient_id);
  put(DCM_StudyInstanceUID, meta.study_instance_uid);
  put(DCM_SeriesInstanceUID, meta.series_instance_uid);
  if (meta.has_image_position)
    put(DCM_ImagePositionPatient, join_numbers(meta.image_position_patient_mm.data(), 3));
  if (meta.has_image_orientation)
    put(DCM_ImageOrientationPatient, join_numbers(meta.image_orientation_patient.data(), 6));
  if (meta.has_instance_number) put(DCM_InstanceNumber, std::to_string(meta.instance_number));
  put(DCM_PixelSpacing, join_numbers(meta.pixel_spacing_mm.data(), 2));
  put(DCM_WindowCenter, join_numbers(meta.window_centers.data(), meta.window_centers.size()));
  put(DCM_WindowWidth, join_numbers(meta.window_widths.data(), meta.window_widths.size()));
  put(DCM_PhotometricInterpretation, "MONOCHROME2");
  ds.putAndInsertUint16(DCM_SamplesPerPixel, 1);
  ds.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(image.rows));
  ds.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(image.columns));
  ds.putAndInsertUint16(DCM_BitsAllocated, 16);

  const bool is_signed = encoding == CtEncoding::signed16_intercept_1024;
  const int bits_stored = is_signed ? 16 : 12;
  const double intercept = encoding == CtEncoding::rsna_wrong_intercept ? 1.0 : -1024.0;
  ds.putAndInsertUint16(DCM_BitsStored, static_cast<Uint16>(bits_stored));
  ds.putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(bits_stored - 1));
  ds.putAndInsertUint16(DCM_PixelRepresentation, is_signed ? 1 : 0);
  put(DCM_RescaleIntercept, intercept == 1.0 ? "1" : "-1024");
  put(DCM_RescaleSlope, "1");

  const HuRange range = representable_hu(encoding);
  std::vector<Uint16> words(image.hu.size());
  for (size_t i = 0; i < words.size(); ++i) {
    const long hu = std::lround(std::clamp(image.hu[i], range.lowest, range.highest));
    // rsna_wrong_intercept: the reader's fix maps stored p to ((p + 1000) mod 4096) - 1000.
    const long stored = encoding == CtEncoding::rsna_wrong_intercept ? (hu & 4095) : hu + 1024;
    words[i] = static_cast<Uint16>(stored & 0xffff);
  }
  ds.putAndInsertUint16Array(DCM_PixelData, words.data(), static_cast<unsigned long>(words.size()));

  const auto tmp = temporary_path_for(path);
  const OFCondition status = file.saveFile(tmp.c_str(), EXS_LittleEndianExplicit);
  if (status.bad()) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw Error(ErrorKind::io, path.string(), std::string("cannot write DICOM: ") + status.text());
  }
  commit_temporary(tmp, path);
}

}  // namespace ihd::data
