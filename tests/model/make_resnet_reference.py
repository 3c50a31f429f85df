#!/usr/bin/python3
"""Writes the PyTorch references that ihd's ResNet is checked against (tests/model/*parity*).

For each case it builds a seeded torchvision ResNet (the full-size torchvision.models.resnet18 /
resnet50, or a reduced-width one assembled from torchvision's own BasicBlock / Bottleneck classes
with every width scaled, matching ResNetConfig::width_multiplier), calibrates its batch-norm
running statistics on random images, and writes two safetensors files (the format written here by
hand, no safetensors package):

  <case>.weights.safetensors    the model's state_dict, float32, PyTorch names and OIHW layout
  <case>.reference.safetensors  the input batch (NHWC), the targets, and the results
                                  eval.logits      logits in evaluation mode (running statistics)
                                  train.logits     logits in training mode (batch statistics)
                                  train.loss       BCE-with-logits (mean) of train.logits
                                  grad.<param>     gradient of every parameter of train.loss (OIHW)
                                  running.<buffer> BN running mean/var after the training step
                                computed in float64 (the truth, under "f64.<key>"), and for each
                                the relative error of PyTorch's own float32 run against that
                                truth, ||f32 - f64|| / ||f64|| (a scalar, "torch_f32_error.<key>");
                                the model's configuration in __metadata__.

It also writes dtypes.safetensors (F16/BF16/F64/I64 tensors with PyTorch's float32 conversions,
for the reader's dtype tests) and <model>_state_dict.txt (torchvision's state_dict names, dtypes
and shapes, one tensor a line, for the model's naming tests).

Usage: /usr/bin/python3 tests/model/make_resnet_reference.py [--reuse] OUT_DIR CASE...
With --reuse, a case whose files are newer than this script is not generated again.
Cases: tiny_resnet50, tiny_resnet18, dtypes, state_dicts (committed under tests/fixtures/model);
resnet18, resnet50 (full size, generated into the build folder by ctest).
"""
import copy
import json
import os
import struct
import sys

import torch
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, conv1x1

CASES = {
    # name: (block, stage blocks, width multiplier, input channels, outputs, head hidden units,
    #        image size, batch)
    "tiny_resnet50": ("bottleneck", [3, 4, 6, 3], 1 / 32, 1, 6, 8, 40, 4),
    "tiny_resnet18": ("basic", [2, 2, 2, 2], 1 / 32, 3, 1, 0, 32, 4),
    "resnet18": ("basic", [2, 2, 2, 2], 1.0, 3, 1000, 0, 64, 8),
    "resnet50": ("bottleneck", [3, 4, 6, 3], 1.0, 3, 1000, 0, 64, 8),
}

STORED_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64",
}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors format: u64 LE header length, JSON header padded to 8 bytes, raw data."""
    header = {"__metadata__": metadata} if metadata else {}
    blobs, offset = [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        blob = tensor.reshape(-1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": STORED_DTYPES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def scaled(width, multiplier):
    return max(1, round(width * multiplier))


class ScaledResNet(torch.nn.Module):
    """torchvision's ResNet with every width scaled (torchvision's own class fixes them at 64-512),
    built from torchvision's block classes, with the same module names and initialisation; the
    head is fc = Linear, or fc = Sequential(Linear, ReLU, Linear) for an MLP head."""

    def __init__(self, block, layers, multiplier, in_channels, outputs, hidden):
        super().__init__()
        self.inplanes = scaled(64, multiplier)
        self.conv1 = torch.nn.Conv2d(in_channels, self.inplanes, 7, 2, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(self.inplanes)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(3, 2, 1)
        for index, (width, blocks) in enumerate(zip([64, 128, 256, 512], layers)):
            stride = 1 if index == 0 else 2
            setattr(self, f"layer{index + 1}",
                    self._make_layer(block, scaled(width, multiplier), blocks, stride))
        self.avgpool = torch.nn.AdaptiveAvgPool2d(1)
        features = self.inplanes
        if hidden:
            self.fc = torch.nn.Sequential(torch.nn.Linear(features, hidden), torch.nn.ReLU(),
                                          torch.nn.Linear(hidden, outputs))
        else:
            self.fc = torch.nn.Linear(features, outputs)
        for module in self.modules():
            if isinstance(module, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = torch.nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                             torch.nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return torch.nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build_model(case):
    block, layers, multiplier, in_channels, outputs, hidden, _, _ = CASES[case]
    torch.manual_seed(20240101)
    if multiplier == 1.0 and in_channels == 3 and not hidden:
        return getattr(torchvision.models, case)(weights=None, num_classes=outputs)
    block_class = Bottleneck if block == "bottleneck" else BasicBlock
    return ScaledResNet(block_class, layers, multiplier, in_channels, outputs, hidden)


def calibrate_batch_norm(model, in_channels, image_size, batch):
    """Sets realistic running statistics (cumulative averages over a few random batches), so that
    evaluation mode keeps activations at a sane scale, and a non-zero num_batches_tracked."""
    batch_norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for bn in batch_norms:
        bn.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(batch, in_channels, image_size, image_size))
    for bn in batch_norms:
        bn.momentum = 0.1
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.normal_(0.0, 0.1)


def run(model, images, targets):
    """Eval logits, then one training-mode forward/backward; every result in the model's dtype."""
    results = {}
    model.eval()
    with torch.no_grad():
        results["eval.logits"] = model(images)
    model.train()
    logits = model(images)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
    loss.backward()
    results["train.logits"] = logits.detach()
    results["train.loss"] = loss.detach()
    for name, parameter in model.named_parameters():
        results[f"grad.{name}"] = parameter.grad
    for name, buffer in model.named_buffers():
        if name.endswith("running_mean") or name.endswith("running_var"):
            results[f"running.{name}"] = buffer
    return results


def make_case(case, out_dir):
    block, layers, multiplier, in_channels, outputs, hidden, image_size, batch = CASES[case]
    model = build_model(case)
    calibrate_batch_norm(model, in_channels, image_size, batch)
    write_safetensors(os.path.join(out_dir, f"{case}.weights.safetensors"), model.state_dict())

    images = torch.randn(batch, in_channels, image_size, image_size)
    targets = torch.bernoulli(torch.full((batch, outputs), 0.5))
    reference = {"input": images.permute(0, 2, 3, 1), "targets": targets}
    truth = run(copy.deepcopy(model).double(), images.double(), targets.double())
    float32 = run(copy.deepcopy(model), images, targets)
    for key, value in truth.items():
        reference[f"f64.{key}"] = value
        error = (float32[key].double() - value).norm() / value.norm()
        reference[f"torch_f32_error.{key}"] = error
    metadata = {
        "block": block, "stage_blocks": ",".join(map(str, layers)),
        "width_multiplier": repr(multiplier), "input_channels": str(in_channels),
        "num_outputs": str(outputs), "head_hidden_units": str(hidden),
        "image_size": str(image_size), "batch": str(batch),
    }
    write_safetensors(os.path.join(out_dir, f"{case}.reference.safetensors"), reference, metadata)


def make_dtypes(out_dir):
    half_values = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6.1e-5, 6e-8, float("inf"),
                                -float("inf"), 0.333251953125])
    bf16_values = torch.tensor([0.0, -1.0, 3.140625, 1e30, -1e-30, float("inf"), 0.1])
    tensors = {
        "f16": half_values.to(torch.float16),
        "f16_as_f32": half_values.to(torch.float16).to(torch.float32),
        "bf16": bf16_values.to(torch.bfloat16),
        "bf16_as_f32": bf16_values.to(torch.bfloat16).to(torch.float32),
        "f64": torch.tensor([[0.1, -1e300], [2.0 ** -1074, 1.0 / 3.0]], dtype=torch.float64),
        "i64": torch.tensor([0, -1, 2 ** 62, 42], dtype=torch.int64),
        "scalar": torch.tensor(1.5),
    }
    write_safetensors(os.path.join(out_dir, "dtypes.safetensors"), tensors,
                      {"written_by": "make_resnet_reference.py"})


def make_state_dict_listings(out_dir):
    for name in ("resnet18", "resnet50"):
        state = getattr(torchvision.models, name)(weights=None).state_dict()
        with open(os.path.join(out_dir, f"{name}_state_dict.txt"), "w") as out:
            for key, tensor in state.items():
                shape = " ".join(map(str, tensor.shape))
                out.write(f"{key} {STORED_DTYPES[tensor.dtype]} {shape}".rstrip() + "\n")


def is_current(out_dir, case):
    """True when both files of a model case exist and are newer than this script."""
    paths = [os.path.join(out_dir, f"{case}.{kind}.safetensors") for kind in ("weights", "reference")]
    script_time = os.path.getmtime(__file__)
    return all(os.path.exists(p) and os.path.getmtime(p) > script_time for p in paths)


def main():
    arguments = sys.argv[1:]
    reuse = "--reuse" in arguments
    arguments = [a for a in arguments if a != "--reuse"]
    if len(arguments) < 2:
        sys.exit(__doc__)
    out_dir = arguments[0]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(2)
    for case in arguments[1:]:
        if reuse and case in CASES and is_current(out_dir, case):
            print(f"{case}: reusing the references in {out_dir}")
        elif case == "dtypes":
            make_dtypes(out_dir)
        elif case == "state_dicts":
            make_state_dict_listings(out_dir)
        elif case in CASES:
            make_case(case, out_dir)
        else:
            sys.exit(f"unknown case {case!r}; known: dtypes, state_dicts, {', '.join(CASES)}")


if __name__ == "__main__":
    main()
