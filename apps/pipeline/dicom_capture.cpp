// The Secondary Capture data set through dcmdata, module by module (Patient, General Study,
// General Series, General Equipment, SC Equipment, General Image, Image Pixel, SOP Common).
#include "apps/pipeline/dicom_capture.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrda.h>
#include <dcmtk/dcmdata/dcvrtm.h>

#include "apps/pipeline/dicom_header_writing.h"
#include "common/atomic_file.h"
#include "common/error.h"

namespace ihd::pipeline {

void write_secondary_capture(const std::filesystem::path& path, const StudyHeader& header,
                             const SecondaryCapture& image) {
  IHD_CHECK(image.height > 0 && image.height <= 65535 && image.width > 0 && image.width <= 65535 &&
                image.rgb.size() == static_cast<size_t>(image.height) * image.width * 3,
            "a secondary capture's size does not fit its pixels");
  DcmFileFormat file;
  DcmDataset& dataset = *file.getDataset();
  DatasetWriter put(dataset, path);
  put_study_header(put, header);
  put(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
  put(DCM_SOPInstanceUID, image.sop_instance_uid);
  put(DCM_Modality, "OT");
  put(DCM_SeriesInstanceUID, image.series_instance_uid);
  put(DCM_SeriesNumber, std::to_string(image.series_number));
  put(DCM_SeriesDescription, image.series_description);
  put(DCM_BodyPartExamined, "HEAD");
  put(DCM_Manufacturer, "ihd");
  put(DCM_ConversionType, "WSD");
  put(DCM_InstanceNumber, std::to_string(image.instance_number));
  put(DCM_PatientOrientation, "");
  OFString date, time;
  DcmDate::getCurrentDate(date);
  DcmTime::getCurrentTime(time);
  put(DCM_ContentDate, date.c_str());
  put(DCM_ContentTime, time.c_str());
  put(DCM_DateOfSecondaryCapture, date.c_str());
  put(DCM_TimeOfSecondaryCapture, time.c_str());
  put(DCM_ImageType, "DERIVED\\SECONDARY");
  put(DCM_DerivationDescription, image.derivation_description);
  put(DCM_BurnedInAnnotation, "YES");
  put(DCM_ImageComments, "Derived from SOP instance " + image.source_sop_instance_uid);
  put_image_reference(put, DCM_SourceImageSequence, image.source_sop_class_uid,
                      image.source_sop_instance_uid);
  put(DCM_SamplesPerPixel, 3);
  put(DCM_PhotometricInterpretation, "RGB");
  put(DCM_PlanarConfiguration, 0);
  put(DCM_Rows, image.height);
  put(DCM_Columns, image.width);
  put(DCM_BitsAllocated, 8);
  put(DCM_BitsStored, 8);
  put(DCM_HighBit, 7);
  put(DCM_PixelRepresentation, 0);
  put.check(dataset.putAndInsertUint8Array(DCM_PixelData, image.rgb.data(),
                                           static_cast<unsigned long>(image.rgb.size())),
            "PixelData");
  save_atomically(file, path);
}

}  // namespace ihd::pipeline
