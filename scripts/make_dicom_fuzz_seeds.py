#!/usr/bin/python3
"""Writes the hostile DICOM seeds of tests/fuzz/corpus/fuzz_dicom/ (each under 64 KB), the small
twins of the files tests/data/dicom_limits_test.cpp builds with tests/data/dicom_bytes.h:
sequences nested 2,000 deep (defined lengths) and 1,500 deep (undefined, implicit VR, and inside
an undefined-length UN), Rows 0xFFFFFFFF as UL and as IS text, Columns 0, NumberOfFrames
2147483647, RescaleSlope NaN and inf, RescaleIntercept NaN, a deflated data set whose PixelData
declares 1 GiB, and a meta group whose first element is a sequence that does not parse. Only the
standard library: the bytes are spelled out here rather than left to a DICOM writer, which would
refuse to write most of them.

Usage: /usr/bin/python3 scripts/make_dicom_fuzz_seeds.py [REPO_ROOT]
"""
import os
import struct
import sys
import zlib

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "fuzz_dicom")
UNDEFINED = 0xFFFFFFFF
LONG_LENGTH_VRS = {b"OB", b"OW", b"SQ", b"UN", b"UT"}
SEQUENCE_TAG = (0x0008, 0x1140)  # ReferencedImageSequence: SQ in the dictionary


def tag(group, element):
    return struct.pack("<HH", group, element)


def header(group, element, vr, length, explicit=True):
    if not explicit:
        return tag(group, element) + struct.pack("<I", length)
    if vr in LONG_LENGTH_VRS:
        return tag(group, element) + vr + b"\0\0" + struct.pack("<I", length)
    return tag(group, element) + vr + struct.pack("<H", length)


def element(group, element_number, vr, value, explicit=True):
    if len(value) % 2:
        value += b"\0" if vr == b"UI" else b" "
    return header(group, element_number, vr, len(value), explicit) + value


def us(group, element_number, value):
    return element(group, element_number, b"US", struct.pack("<H", value))


ITEM_END = tag(0xFFFE, 0xE00D) + b"\0" * 4
SEQUENCE_END = tag(0xFFFE, 0xE0DD) + b"\0" * 4


def nested(depth, defined, explicit=True):
    """depth sequences, each holding one item holding the next."""
    if not defined:
        opening = header(*SEQUENCE_TAG, b"SQ", UNDEFINED, explicit) + tag(0xFFFE, 0xE000) + \
            struct.pack("<I", UNDEFINED)
        return opening * depth + (ITEM_END + SEQUENCE_END) * depth
    level_bytes = len(header(*SEQUENCE_TAG, b"SQ", 0, explicit)) + 8
    out = b""
    for level in range(depth):
        item_content = level_bytes * (depth - level - 1)
        out += header(*SEQUENCE_TAG, b"SQ", 8 + item_content, explicit)
        out += tag(0xFFFE, 0xE000) + struct.pack("<I", item_content)
    return out


def image(rows=8, columns=8, extra=b"", pixel_data=True):
    """A greyscale 16-bit image; rows or columns 0 leaves that attribute to `extra`."""
    out = element(0x0008, 0x0060, b"CS", b"CT") + us(0x0028, 0x0002, 1)
    out += element(0x0028, 0x0004, b"CS", b"MONOCHROME2")
    if rows:
        out += us(0x0028, 0x0010, rows)
    if columns:
        out += us(0x0028, 0x0011, columns)
    for element_number, value in ((0x0100, 16), (0x0101, 16), (0x0102, 15), (0x0103, 0)):
        out += us(0x0028, element_number, value)
    out += extra
    return out + element(0x7FE0, 0x0010, b"OW", b"\0" * (2 * 8 * 8)) if pixel_data else out


def part10(transfer_syntax, data_set, first_meta_element=None):
    group = element(0x0002, 0x0001, b"OB", b"\0\1")
    group += element(0x0002, 0x0002, b"UI", b"1.2.840.10008.5.1.4.1.1.2")
    group += element(0x0002, 0x0003, b"UI", b"1.2.826.0.1.3680043.8.498.1")
    group += element(0x0002, 0x0010, b"UI", transfer_syntax)
    if first_meta_element is None:
        first_meta_element = element(0x0002, 0x0000, b"UL", struct.pack("<I", len(group)))
    return b"\0" * 128 + b"DICM" + first_meta_element + group + data_set


def raw_deflate(data):
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


EXPLICIT = b"1.2.840.10008.1.2.1"
IMPLICIT = b"1.2.840.10008.1.2"
DEFLATED = b"1.2.840.10008.1.2.1.99"

SEEDS = {
    "hostile_nested_2000_defined.dcm": part10(EXPLICIT, image() + nested(2000, True)),
    "hostile_nested_1500_implicit.dcm": part10(IMPLICIT, nested(1500, False, explicit=False)),
    "hostile_nested_1500_in_un.dcm": part10(
        EXPLICIT, header(0x0009, 0x1010, b"UN", UNDEFINED) + tag(0xFFFE, 0xE000) +
        struct.pack("<I", UNDEFINED) + nested(1500, False, explicit=False) + ITEM_END +
        SEQUENCE_END),
    "hostile_rows_ul_max.dcm": part10(
        EXPLICIT, image(rows=0, extra=element(0x0028, 0x0010, b"UL", struct.pack("<I", UNDEFINED)))),
    "hostile_rows_is_max.dcm": part10(
        EXPLICIT, image(rows=0, extra=element(0x0028, 0x0010, b"IS", b"4294967295"))),
    "hostile_columns_zero.dcm": part10(EXPLICIT, image(columns=0, extra=us(0x0028, 0x0011, 0))),
    "hostile_frames_max.dcm": part10(
        EXPLICIT, image(extra=element(0x0028, 0x0008, b"IS", b"2147483647"))),
    "hostile_slope_nan.dcm": part10(EXPLICIT, image(extra=element(0x0028, 0x1053, b"DS", b"NaN"))),
    "hostile_slope_inf.dcm": part10(EXPLICIT, image(extra=element(0x0028, 0x1053, b"DS", b"inf"))),
    "hostile_intercept_nan.dcm": part10(
        EXPLICIT, image(extra=element(0x0028, 0x1052, b"DS", b"NaN"))),
    "hostile_deflated_pixels_1gib.dcm": part10(
        DEFLATED, raw_deflate(image(pixel_data=False) + header(0x7FE0, 0x0010, b"OW", 1 << 30) +
                              b"\0" * (1 << 16))),
    "hostile_first_meta_sequence.dcm": part10(
        EXPLICIT, nested(100, False),
        first_meta_element=element(0x0002, 0x4000, b"SQ", b"UL\x04\x00\x70\x00\x00\x00")),
}

os.makedirs(CORPUS, exist_ok=True)
for name, data in SEEDS.items():
    assert len(data) < 64 * 1024, (name, len(data))
    with open(os.path.join(CORPUS, name), "wb") as seed:
        seed.write(data)
    print(f"{name}: {len(data)} bytes")
