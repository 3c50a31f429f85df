#!/usr/bin/python3
"""Writes the independent reference that tests/data/dicom_reader_test.cpp checks ihd's DICOM
reader against, using Debian's pydicom and numpy (run with /usr/bin/python3):

1. tests/fixtures/data/dicom/*.dcm: tiny DICOM files written by pydicom (not by ihd) that exercise
   what pydicom's own test files lack: MONOCHROME1, BitsStored < BitsAllocated with junk in the
   unused bits, a HighBit that is not BitsStored - 1, the RSNA wrong-intercept case, padding,
   multi-valued windows and anonymised non-UID study/series IDs.
2. tests/fixtures/data/dicom_reference.tsv: one line per file (pydicom's test files and the tiny
   ones) with metadata, HU sum/min/max and sample pixels, computed here with numpy.

Usage: /usr/bin/python3 scripts/make_dicom_reference.py [REPO_ROOT]
"""
import os
import sys

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixel_data_handlers.util import apply_modality_lut
from pydicom.uid import ExplicitVRLittleEndian

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "data")
TINY_DIR = os.path.join(FIXTURES, "dicom")

# pydicom test files that pydicom itself decodes (uncompressed, RLE, deflate).
PYDICOM_FILES = [
    "CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "MR_small_bigendian.dcm",
    "MR_small_expb.dcm", "MR_small_implicit.dcm", "MR_small_padded.dcm", "image_dfl.dcm",
]
SAMPLE_POINTS = [(0, 0), (5, 7), (31, 17), (40, 60), (63, 63)]


def tiny_dataset(pixels, **attributes):
    """A minimal CT image dataset around a 2-D numpy array of stored words."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = "1.2.3.4.5.6.7"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.PatientID = "ID_tiny"
    ds.StudyInstanceUID = "1.2.3.4"
    ds.SeriesInstanceUID = "1.2.3.4.1"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    for key, value in attributes.items():
        setattr(ds, key, value)
    ds.PixelData = pixels.astype("<u2" if ds.BitsAllocated == 16 else "u1").tobytes()
    return ds


def stored_values(words, bits_stored, high_bit, signed):
    """Extracts BitsStored bits ending at HighBit, two's complement when signed (numpy)."""
    shift = high_bit + 1 - bits_stored
    values = (words.astype(np.int64) >> shift) & ((1 << bits_stored) - 1)
    if signed:
        values = np.where(values >= (1 << (bits_stored - 1)), values - (1 << bits_stored), values)
    return values


def write_tiny_files():
    """Writes the tiny fixtures; returns {name: expected HU array}."""
    os.makedirs(TINY_DIR, exist_ok=True)
    rng = np.random.default_rng(20240611)
    expected = {}

    # MONOCHROME1, 12 of 16 bits with junk in the top nibble, slope 2.
    values = rng.integers(0, 4096, size=(16, 16))
    junk = rng.integers(0, 16, size=(16, 16)) << 12
    ds = tiny_dataset(values | junk, BitsStored=12, HighBit=11, PhotometricInterpretation="MONOCHROME1",
                      RescaleSlope="2", RescaleIntercept="-1024")
    hu = values * 2.0 - 1024.0
    expected["mono1_u12_slope2.dcm"] = (0 * 2.0 - 1024.0) + (4095 * 2.0 - 1024.0) - hu
    ds.save_as(os.path.join(TINY_DIR, "mono1_u12_slope2.dcm"), write_like_original=False)

    # Signed 12-bit values stored in bits 2..13 (HighBit 13).
    values = rng.integers(-2048, 2048, size=(16, 16))
    words = ((values & 0xFFF) << 2) | rng.integers(0, 4, size=(16, 16))
    ds = tiny_dataset(words, BitsStored=12, HighBit=13, PixelRepresentation=1,
                      RescaleSlope="1", RescaleIntercept="0")
    expected["signed12_highbit13.dcm"] = stored_values(words, 12, 13, True).astype(float)
    assert (expected["signed12_highbit13.dcm"] == values).all()
    ds.save_as(os.path.join(TINY_DIR, "signed12_highbit13.dcm"), write_like_original=False)

    # The RSNA wrong-intercept case (BitsStored 12, unsigned, intercept > -100), fixed as public
    # Kaggle solutions do: x = pixel + 1000; x[x >= 4096] -= 4096; intercept = -1000.
    values = rng.integers(0, 4096, size=(16, 16))
    values[0, :4] = [0, 3095, 3096, 4095]
    ds = tiny_dataset(values, BitsStored=12, HighBit=11, RescaleSlope="1", RescaleIntercept="-5")
    x = values + 1000
    x[x >= 4096] -= 4096
    expected["rsna_wrong_intercept.dcm"] = x * 1.0 - 1000.0
    ds.save_as(os.path.join(TINY_DIR, "rsna_wrong_intercept.dcm"), write_like_original=False)

    # RSNA-like: signed 16-bit, padding -2000, multi-valued windows, anonymised non-UID IDs.
    values = rng.integers(-1100, 1500, size=(16, 16))
    values[:3, :] = -2000
    ds = tiny_dataset(values & 0xFFFF, PixelRepresentation=1, RescaleSlope="1",
                      RescaleIntercept="-1024", PixelPaddingValue=-2000,
                      WindowCenter=["40", "80"], WindowWidth=["80", "200"],
                      PatientID="ID_4c3f1a2b", StudyInstanceUID="ID_5a5ef3a5e6",
                      SeriesInstanceUID="ID_0b9e4fd2a1", SOPInstanceUID="ID_000039fa0",
                      ImagePositionPatient=["-125.0", "-122.5", "141.25"],
                      PixelSpacing=["0.488281", "0.5"])
    ds["PixelPaddingValue"].VR = "SS"
    hu = values * 1.0 - 1024.0
    padded = values == -2000
    hu[padded] = hu[~padded].min()
    expected["rsna_like_padded.dcm"] = hu
    ds.save_as(os.path.join(TINY_DIR, "rsna_like_padded.dcm"), write_like_original=False)

    # 8-bit unsigned with a rescale.
    values = rng.integers(0, 256, size=(16, 16))
    ds = tiny_dataset(values, BitsAllocated=8, BitsStored=8, HighBit=7, RescaleSlope="0.5",
                      RescaleIntercept="10")
    expected["u8_rescaled.dcm"] = values * 0.5 + 10.0
    ds.save_as(os.path.join(TINY_DIR, "u8_rescaled.dcm"), write_like_original=False)
    return expected


def join(values):
    return "\\".join(repr(float(v)) for v in values)


def line_for(name, ds, hu):
    rows, columns = hu.shape
    points = [(r, c) for r, c in SAMPLE_POINTS if r < rows and c < columns]
    fields = {
        "file": name,
        "rows": rows,
        "columns": columns,
        "patient_id": str(ds.get("PatientID", "")),
        "study": str(ds.get("StudyInstanceUID", "")),
        "series": str(ds.get("SeriesInstanceUID", "")),
        "position": join(ds.ImagePositionPatient) if "ImagePositionPatient" in ds else "",
        "spacing": join(ds.PixelSpacing) if "PixelSpacing" in ds else "",
        "window_centers": join(np.atleast_1d(ds.WindowCenter)) if "WindowCenter" in ds else "",
        "window_widths": join(np.atleast_1d(ds.WindowWidth)) if "WindowWidth" in ds else "",
        "hu_sum": repr(float(hu.astype(np.float64).sum())),
        "hu_min": repr(float(hu.min())),
        "hu_max": repr(float(hu.max())),
        "pixels": ";".join(f"{r},{c},{float(hu[r, c])!r}" for r, c in points),
    }
    return "\t".join(f"{key}={value}" for key, value in fields.items())


def main():
    lines = []
    for name in PYDICOM_FILES:
        ds = pydicom.dcmread(get_testdata_file(name))
        hu = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
        lines.append(line_for(name, ds, hu))
    for name, hu in write_tiny_files().items():
        ds = pydicom.dcmread(os.path.join(TINY_DIR, name))
        lines.append(line_for(name, ds, hu))
    with open(os.path.join(FIXTURES, "dicom_reference.tsv"), "w") as out:
        out.write(f"# written by scripts/make_dicom_reference.py with pydicom {pydicom.__version__}\n")
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
