#!/usr/bin/python3
"""Writes the multi-frame test inputs with pydicom (an independent DICOM writer) for
multiframe_dicom_test.cpp.

  make_enhanced_ct.py write OUT.dcm EXPECTED.f32 POSITIONS.tsv
      An Enhanced CT Image (1.2.840.10008.5.1.4.1.1.2.1) of 5 frames, 24 x 20, signed 16-bit,
      from a fixed seed: orientation, spacing and rescale in the shared functional groups, each
      frame's position in its own (out of order along z), frame 3 with its own rescale (slope 2,
      intercept -1000). EXPECTED.f32: each frame's HU (stored * slope + intercept) as float32, frame
      after frame; POSITIONS.tsv: each frame's x, y, z.
  make_enhanced_ct.py reencapsulate IN.dcm OUT.dcm FRAGMENTS_PER_FRAME bot|no-bot
      IN's encapsulated frames (a JPEG 2000 file gdcmconv made), each split into
      FRAGMENTS_PER_FRAME fragments, with or without a basic offset table.
"""
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_pixel_data_frame
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

ROWS, COLUMNS, FRAMES = 24, 20, 5
Z_MM = [12.5, 2.5, 7.5, 17.5, -2.5]  # frame k's z: out of order, 5 mm apart once sorted
OWN_RESCALE_FRAME = 3


def item(**values):
    entry = Dataset()
    for name, value in values.items():
        setattr(entry, name, value)
    return entry


def write(out_path, expected_path, positions_path):
    rng = np.random.default_rng(20261202)
    stored = rng.integers(-1024, 3000, size=(FRAMES, ROWS, COLUMNS), dtype=np.int16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.1137.5.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1137.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.1137.2"
    ds.PatientID = "ENHANCED"
    ds.Modality = "CT"
    ds.Rows, ds.Columns, ds.NumberOfFrames = ROWS, COLUMNS, FRAMES
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.SharedFunctionalGroupsSequence = Sequence([item(
        PlaneOrientationSequence=Sequence([item(ImageOrientationPatient=[1, 0, 0, 0, 1, 0])]),
        PixelMeasuresSequence=Sequence([item(PixelSpacing=[0.5, 0.625], SliceThickness=5)]),
        PixelValueTransformationSequence=Sequence([item(
            RescaleIntercept=-1024, RescaleSlope=1, RescaleType="HU")]))])
    per_frame = []
    slopes, intercepts = [], []
    for k in range(FRAMES):
        group = item(PlanePositionSequence=Sequence([item(
            ImagePositionPatient=[-60.0, -50.0 + k, Z_MM[k]])]))
        slope, intercept = (2.0, -1000.0) if k == OWN_RESCALE_FRAME else (1.0, -1024.0)
        if k == OWN_RESCALE_FRAME:
            group.PixelValueTransformationSequence = Sequence([item(
                RescaleIntercept=intercept, RescaleSlope=slope, RescaleType="HU")])
        slopes.append(slope)
        intercepts.append(intercept)
        per_frame.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = stored.tobytes()
    ds.save_as(out_path, write_like_original=False)
    hu = np.stack([stored[k].astype(np.float64) * slopes[k] + intercepts[k] for k in range(FRAMES)])
    hu.astype("<f4").tofile(expected_path)
    with open(positions_path, "w") as out:
        for k in range(FRAMES):
            out.write(f"{-60.0}\t{-50.0 + k}\t{Z_MM[k]}\n")


def reencapsulate(in_path, out_path, fragments_per_frame, bot):
    ds = pydicom.dcmread(in_path)
    frames = list(generate_pixel_data_frame(ds.PixelData, int(ds.NumberOfFrames)))
    ds.PixelData = encapsulate(frames, fragments_per_frame=fragments_per_frame, has_bot=bot)
    ds.save_as(out_path)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(*sys.argv[2:5])
    elif sys.argv[1] == "reencapsulate":
        reencapsulate(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "bot")
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
