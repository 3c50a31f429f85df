#!/usr/bin/python3
"""A trained ihd run in PyTorch: loads RUN/best.safetensors (else last.safetensors) and
RUN/config.json into torchvision's ResNet with the run's head, prepares DICOM files exactly as
ihd_predict does, and prints each file's calibrated probabilities, one CSV row per file (the
header and values of ihd_predict's probability columns).

    /usr/bin/python3 scripts/ihd_to_torch.py RUN_DIR FILE.dcm... [--allow-non-ct]

Debian's python3-torch, python3-torchvision and python3-pydicom are all it needs; the safetensors
file is read here (the format is a little-endian u64 header length, a JSON header, raw tensors).

The model. ihd writes torchvision's state_dict names and layouts (convolutions OIHW), so a
full-width run loads into torchvision.models.resnet18/34/50/101/152 as it is, with conv1 for the
run's channel count and fc the run's head: Linear, or Sequential(Linear(., 512), ReLU,
Linear(512, outputs)) for --head mlp512. A reduced --width builds the same module tree from
torchvision's own BasicBlock/Bottleneck with every width scaled as ihd scales it
(max(1, round-half-away(width x multiplier)), model/resnet.cpp).

The preprocessing, step by step as ihd's data layer does it, in float32 where ihd computes in
float32:
  1. HU (data/dicom_reader.cpp): each stored word's BitsStored bits ending at HighBit,
     sign-extended when PixelRepresentation is 1; the RSNA wrong-intercept fix (BitsStored 12,
     PixelRepresentation 0, RescaleIntercept > -100: stored + 1000, wrapped at 4096, intercept
     -1000); stored x RescaleSlope (0 or absent: 1) + RescaleIntercept in float64, then float32;
     MONOCHROME1 inverted within its value range; PixelPaddingValue (to PixelPaddingRangeLimit)
     pixels set to the lowest real pixel. A DICOM file whose Modality is not CT is refused, as
     ihd_predict refuses it, unless --allow-non-ct.
  2. Windows (data/windowing.h): brain (40, 80), subdural (80, 200), bone (600, 2800), the first
     `channels` of them, each clamp((HU - (C - W/2)) / W, 0, 1), stacked as channels (HWC).
  3. Resize to image-size x image-size (data/resize.cpp), separable, the height first (whole rows)
     then the width, per output index over its source taps in order: an area filter where the image shrinks (each
     source pixel weighted by its overlap / scale), bilinear interpolation with pixel centres
     aligned and edges clamped where it grows.
  4. 8 bits: floor(v x 255 + 0.5) of the clamped value; then x float32(1/255).
  5. Normalisation: none for --normalize unit; ImageNet's mean and std for imagenet (their
     averages for one channel).
  6. NHWC (ihd) -> NCHW (PyTorch): permute(2, 0, 1).
The logits come from the model in evaluation mode, and probability = sigmoid(logit / T) with the
run's temperature per output (config.json's temperatures).

The residual against ihd_predict: the preprocessing is the same arithmetic in the same order, so
the 8-bit image is the same, except where the C++ compiler fuses a multiply and an add (FMA) in
the resize or the quantisation and a value falls within a float32 rounding of a .5 boundary (one
pixel then differs by 1/255; for the power-of-two shrink factors of 512 -> 64/128/256 the resize
has no rounding to differ in). The rest is the two libraries' float32 convolutions summing in
different orders: about 1e-6 on the logits. tests/pipeline/torch_interop_test.cpp measures it.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import pydicom
import torch
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, conv1x1

SAFETENSORS_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                      "F64": torch.float64, "I64": torch.int64}
DEPTHS = {"resnet18": (BasicBlock, [2, 2, 2, 2]), "resnet34": (BasicBlock, [3, 4, 6, 3]),
          "resnet50": (Bottleneck, [3, 4, 6, 3]), "resnet101": (Bottleneck, [3, 4, 23, 3]),
          "resnet152": (Bottleneck, [3, 8, 36, 3])}
DEFAULT_WINDOWS = [(40.0, 80.0), (80.0, 200.0), (600.0, 2800.0)]  # brain, subdural, bone
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def read_safetensors(path):
    """{name: tensor} of a safetensors file."""
    with open(path, "rb") as source:
        data = source.read()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length])
    header.pop("__metadata__", None)
    body = data[8 + header_length:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(body[begin:end]), dtype=SAFETENSORS_DTYPES[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


def scaled(width, multiplier):
    """ihd's width scaling: max(1, round half away from zero)."""
    return max(1, int(math.floor(width * multiplier + 0.5)))


def make_head(features, outputs, head):
    if head == "mlp512":
        return torch.nn.Sequential(torch.nn.Linear(features, 512), torch.nn.ReLU(),
                                   torch.nn.Linear(512, outputs))
    return torch.nn.Linear(features, outputs)


class ScaledResNet(torchvision.models.ResNet):
    """torchvision's ResNet with every width scaled by `multiplier` (torchvision's constructor
    fixes them at 64 ... 512): the same module tree and names, built from its own blocks."""

    def __init__(self, block, layers, multiplier):
        torch.nn.Module.__init__(self)
        self._norm_layer = torch.nn.BatchNorm2d
        self.dilation, self.groups, self.base_width = 1, 1, 64
        self.inplanes = scaled(64, multiplier)
        self.conv1 = torch.nn.Conv2d(3, self.inplanes, 7, 2, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(self.inplanes)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(3, 2, 1)
        for index, (width, blocks) in enumerate(zip([64, 128, 256, 512], layers)):
            setattr(self, f"layer{index + 1}",
                    self._make_layer(block, scaled(width, multiplier), blocks,
                                     stride=1 if index == 0 else 2))
        self.avgpool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(self.inplanes, 1000)


def build_model(config):
    """torchvision's ResNet for a run's config.json: arch, width, channels, head, outputs."""
    block, layers = DEPTHS[config["arch"]]
    multiplier = float(config.get("width", "1"))
    if multiplier == 1.0:
        model = getattr(torchvision.models, config["arch"])(weights=None)
    else:
        model = ScaledResNet(block, layers, multiplier)
    channels = int(config.get("channels", "3"))
    if channels != model.conv1.in_channels:
        model.conv1 = torch.nn.Conv2d(channels, model.conv1.out_channels, 7, 2, 3, bias=False)
    outputs = len(config["label_names"].split(";"))
    model.fc = make_head(model.fc.in_features, outputs, config.get("head", "linear"))
    return model


def load_run(run_dir):
    """(model in evaluation mode, config, label names, temperatures) of a run folder."""
    with open(os.path.join(run_dir, "config.json"), encoding="utf-8") as source:
        config = json.load(source)
    weights = os.path.join(run_dir, "best.safetensors")
    if not os.path.exists(weights):
        weights = os.path.join(run_dir, "last.safetensors")
    model = build_model(config)
    model.load_state_dict(read_safetensors(weights), strict=True)
    model.eval()
    names = config["label_names"].split(";")
    temperatures = [float(t) for t in config["temperatures"].split(";")] \
        if config.get("temperatures") else [1.0] * len(names)
    return model, config, names, temperatures


def stored_values(dataset):
    """The stored values: BitsStored bits ending at HighBit, sign-extended when signed."""
    bits_allocated = int(dataset.BitsAllocated)
    bits_stored = int(dataset.get("BitsStored", bits_allocated))
    high_bit = int(dataset.get("HighBit", bits_stored - 1))
    word_type = np.uint8 if bits_allocated == 8 else np.uint16
    rows, columns = int(dataset.Rows), int(dataset.Columns)
    if dataset.file_meta.TransferSyntaxUID.is_compressed:
        words = dataset.pixel_array.reshape(-1)[:rows * columns].view(word_type)
    else:
        order = "<" if dataset.file_meta.TransferSyntaxUID.is_little_endian else ">"
        words = np.frombuffer(dataset.PixelData, dtype=np.dtype(word_type).newbyteorder(order),
                              count=rows * columns)
    mask = (1 << bits_stored) - 1
    values = (words.astype(np.int64) >> (high_bit + 1 - bits_stored)) & mask
    if int(dataset.get("PixelRepresentation", 0)) == 1:
        values = np.where(values & (1 << (bits_stored - 1)), values - mask - 1, values)
    return values.reshape(rows, columns), bits_stored


def read_hu(path, allow_non_ct):
    """A DICOM file's first frame in HU (float32), as data/dicom_reader.cpp reads it."""
    dataset = pydicom.dcmread(path)
    modality = str(dataset.get("Modality", "")).strip()
    if modality and modality != "CT" and not allow_non_ct:
        raise ValueError(f"Modality {modality}, not CT: the model reads head CT "
                         "(--allow-non-ct to score it anyway)")
    stored, bits_stored = stored_values(dataset)
    signed = int(dataset.get("PixelRepresentation", 0)) == 1
    slope = float(dataset.get("RescaleSlope", 1.0)) or 1.0
    intercept = float(dataset.get("RescaleIntercept", 0.0))
    padding = None
    if "PixelPaddingValue" in dataset:
        value = int(dataset.PixelPaddingValue)
        limit = int(dataset.get("PixelPaddingRangeLimit", value))
        padding = (stored >= min(value, limit)) & (stored <= max(value, limit))
    if bits_stored == 12 and not signed and intercept > -100.0:  # the RSNA wrong-intercept fix
        stored = stored + 1000
        stored = np.where(stored >= 4096, stored - 4096, stored)
        intercept = -1000.0
    hu = (stored.astype(np.float64) * slope + intercept).astype(np.float32)
    if str(dataset.get("PhotometricInterpretation", "")) == "MONOCHROME1":
        stored_min = -2.0 ** (bits_stored - 1) if signed else 0.0
        stored_max = stored_min + 2.0 ** bits_stored - 1.0
        range_sum = (stored_min + stored_max) * slope + 2.0 * intercept
        hu = (range_sum - hu.astype(np.float64)).astype(np.float32)
    if padding is not None and padding.any():
        real = hu[~padding]
        hu[padding] = real.min() if real.size else hu.reshape(-1)[0]
    return hu


def axis_taps(source_size, size):
    """data/resize.cpp's taps: per output index, (source indices, float32 weights) in order."""
    taps = []
    scale = source_size / size
    for o in range(size):
        if scale > 1.0:
            begin, end = o * scale, (o + 1) * scale
            indices, weights = [], []
            for s in range(int(begin), min(source_size, math.ceil(end))):
                overlap = min(end, s + 1.0) - max(begin, float(s))
                if overlap > 0:
                    indices.append(s)
                    weights.append(np.float32(overlap / scale))
        else:
            position = min(max((o + 0.5) * scale - 0.5, 0.0), source_size - 1.0)
            left = int(position)
            right = min(left + 1, source_size - 1)
            fraction = np.float32(position - left)
            indices, weights = [left], [np.float32(1.0) - fraction]
            if right != left and fraction > 0:
                indices.append(right)
                weights.append(fraction)
        taps.append((indices, weights))
    return taps


def resize_axis(image, axis, size):
    """Resizes one axis of a float32 array: out[o] = sum over taps in order of weight x in[s]."""
    taps = axis_taps(image.shape[axis], size)
    source = np.moveaxis(image, axis, 0)
    out = np.zeros((size,) + source.shape[1:], dtype=np.float32)
    for k in range(max(len(indices) for indices, _ in taps)):
        index = np.array([t[0][k] if k < len(t[0]) else 0 for t in taps])
        weight = np.array([t[1][k] if k < len(t[1]) else 0 for t in taps], dtype=np.float32)
        weight = weight.reshape((size,) + (1,) * (source.ndim - 1))
        out += weight * source[index]
    return np.moveaxis(out, 0, axis)


def prepare(hu, config):
    """The network's input for one slice, NCHW float32 [1, C, S, S]."""
    channels = int(config.get("channels", "3"))
    size = int(config["image-size"])
    windowed = []
    for center, width in DEFAULT_WINDOWS[:channels]:
        low = np.float32(center - width / 2.0)
        windowed.append(np.clip((hu - low) / np.float32(width), 0, 1).astype(np.float32))
    image = np.stack(windowed, axis=-1)  # HWC
    if image.shape[:2] != (size, size):
        image = resize_axis(resize_axis(image, 0, size), 1, size)
    clamped = np.clip(image, np.float32(0), np.float32(1))
    quantised = np.floor(clamped * np.float32(255) + np.float32(0.5)).astype(np.uint8)
    pixels = quantised.astype(np.float32) * (np.float32(1) / np.float32(255))
    if config.get("normalize", "unit") == "imagenet":
        mean = IMAGENET_MEAN if channels == 3 else IMAGENET_MEAN.sum() / np.float32(3)
        std = IMAGENET_STD if channels == 3 else IMAGENET_STD.sum() / np.float32(3)
        pixels = (pixels - mean) / std
    return torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1).unsqueeze(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="ihd run folder (config.json, best.safetensors)")
    parser.add_argument("files", nargs="+", help="DICOM files")
    parser.add_argument("--allow-non-ct", action="store_true",
                        help="score DICOM files whose Modality is not CT")
    arguments = parser.parse_args()
    torch.set_grad_enabled(False)
    model, config, names, temperatures = load_run(arguments.run)
    print(",".join(["id"] + [f"{name}_probability" for name in names]))
    failed = 0
    for path in arguments.files:
        try:
            logits = model(prepare(read_hu(path, arguments.allow_non_ct), config))[0].double()
        except Exception as error:  # one bad file is named and skipped, as ihd_predict does
            print(f"skipped {path}: {error}", file=sys.stderr)
            failed += 1
            continue
        probabilities = [1 / (1 + math.exp(-logit / t)) for logit, t in zip(logits.tolist(),
                                                                            temperatures)]
        stem = os.path.splitext(os.path.basename(path))[0]
        print(",".join([stem] + [f"{p:.9f}" for p in probabilities]))
    return 1 if failed == len(arguments.files) else 0


if __name__ == "__main__":
    sys.exit(main())
