#!/usr/bin/python3
"""The peer of bench_data's BM_DicomToTrainingImage: the same work with pydicom, numpy and OpenCV
(Debian's python3-pydicom, python3-numpy, python3-opencv), on one core.

Per file: pydicom.dcmread, pixel_array, HU = stored x RescaleSlope + RescaleIntercept, the three
windows (brain 40/80, subdural 80/200, bone 600/2800) as clip((HU - low) / width, 0, 1), an area
resize to SIZE x SIZE (cv2.resize, INTER_AREA), 8 bits. Two orders, both timed:
  window_first   the windows at full size, then the resize of the three channels (what ihd
                 computes: data/slice_preparation.h);
  resize_first   the HU resized first, then the windows on the small image (fewer operations, and
                 not the same result where a window clips: the fastest way a Python pipeline has).
Prints "pydicom window_first_images_per_s=N resize_first_images_per_s=M", each the median of
PASSES passes over the files after one unmeasured pass (page cache, imports).

Usage: pydicom_data_reference.py FOLDER [SIZE] [PASSES]   (defaults: 180, 3)
"""
import pathlib
import statistics
import sys
import time

import cv2
import numpy as np
import pydicom

WINDOWS = [(40.0, 80.0), (80.0, 200.0), (600.0, 2800.0)]


def hounsfield(path):
    ds = pydicom.dcmread(path)
    slope = np.float32(ds.get("RescaleSlope", 1))
    intercept = np.float32(ds.get("RescaleIntercept", 0))
    return ds.pixel_array.astype(np.float32) * slope + intercept


def windows(hu):
    return np.stack([np.clip((hu - np.float32(c - w / 2)) / np.float32(w), 0, 1)
                     for c, w in WINDOWS], axis=-1)


def window_first(path, size):
    image = cv2.resize(windows(hounsfield(path)), (size, size), interpolation=cv2.INTER_AREA)
    return (image * 255 + 0.5).astype(np.uint8)


def resize_first(path, size):
    hu = cv2.resize(hounsfield(path), (size, size), interpolation=cv2.INTER_AREA)
    return (windows(hu) * 255 + 0.5).astype(np.uint8)


def images_per_second(prepare, files, size, passes):
    rates = []
    for run in range(passes + 1):
        start = time.perf_counter()
        for path in files:
            prepare(path, size)
        if run > 0:
            rates.append(len(files) / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    folder = pathlib.Path(sys.argv[1])
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 180
    passes = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    cv2.setNumThreads(1)
    files = sorted(folder.glob("*.dcm"))
    if not files:
        sys.exit(f"no .dcm files in {folder}")
    first = images_per_second(window_first, files, size, passes)
    resized = images_per_second(resize_first, files, size, passes)
    print(f"pydicom window_first_images_per_s={first:.1f} resize_first_images_per_s={resized:.1f}"
          f" files={len(files)}")


if __name__ == "__main__":
    main()
