#!/usr/bin/python3
"""Writes the PyTorch reference that ihd's sequence ops are checked against
(tests/engine/sequence_test.cpp): tests/fixtures/engine/sequence_reference.safetensors.

Two cases over padded batches of variable-length series, each run by PyTorch in float64 (the
truth) from float32 inputs and weights, with the loss L = sum(output * projection):

  gru.*   torch.nn.GRU(5, 4, num_layers=2, batch_first=True, bidirectional=True) on packed
          sequences (pack_padded_sequence, pad_packed_sequence: padded outputs are 0). Stored:
          gru.x [3, 7, 5] (padded positions hold random values, which PyTorch never reads),
          gru.lengths (I64), gru.<param> (the module's float32 state_dict, PyTorch names),
          gru.projection, and in F64 gru.output [3, 7, 8], gru.grad.x, gru.grad.<param>.
  conv.*  torch.nn.Conv1d(6, 4, kernel_size=5, dilation=2, padding=4) on the masked input, its
          output masked: conv.x [3, 9, 6] (batch, steps, channels), conv.lengths, conv.weight
          [4, 6, 5] (PyTorch's [out, in, kernel]), conv.bias, conv.projection, and in F64
          conv.output [3, 9, 4], conv.grad.x, conv.grad.weight, conv.grad.bias.

Usage: /usr/bin/python3 tests/engine/make_sequence_reference.py OUT_DIR
(the committed file lives in tests/fixtures/engine).
"""
import copy
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
from make_resnet_reference import write_safetensors  # noqa: E402


def step_mask(lengths, steps, dtype):
    """[N, T, 1]: 1 at real positions, 0 at padding."""
    return (torch.arange(steps)[None, :] < lengths[:, None]).to(dtype)[:, :, None]


def run_gru(module, x, lengths, projection):
    x = x.clone().requires_grad_(True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                     enforce_sorted=False)
    output, _ = module(packed)
    output, _ = torch.nn.utils.rnn.pad_packed_sequence(output, batch_first=True,
                                                       total_length=x.shape[1])
    (output * projection).sum().backward()
    results = {"output": output.detach(), "grad.x": x.grad}
    for name, parameter in module.named_parameters():
        results[f"grad.{name}"] = parameter.grad
    return results


def make_gru():
    torch.manual_seed(20240601)
    batch, steps, inputs, hidden = 3, 7, 5, 4
    lengths = torch.tensor([7, 4, 1])
    module = torch.nn.GRU(inputs, hidden, num_layers=2, batch_first=True, bidirectional=True)
    x = torch.randn(batch, steps, inputs)
    projection = torch.randn(batch, steps, 2 * hidden)
    truth = run_gru(copy.deepcopy(module).double(), x.double(), lengths, projection.double())
    tensors = {"gru.x": x, "gru.lengths": lengths, "gru.projection": projection}
    tensors.update({f"gru.{name}": value for name, value in module.state_dict().items()})
    tensors.update({f"gru.{key}": value for key, value in truth.items()})
    return tensors


def make_conv():
    torch.manual_seed(20240602)
    batch, steps, in_channels, out_channels = 3, 9, 6, 4
    lengths = torch.tensor([9, 5, 2])
    module = torch.nn.Conv1d(in_channels, out_channels, kernel_size=5, dilation=2, padding=4)
    x = torch.randn(batch, steps, in_channels)
    projection = torch.randn(batch, steps, out_channels)
    reference = copy.deepcopy(module).double()
    x64 = x.double().requires_grad_(True)
    mask = step_mask(lengths, steps, torch.float64)
    output = reference((x64 * mask).transpose(1, 2)).transpose(1, 2) * mask
    (output * projection.double()).sum().backward()
    return {
        "conv.x": x, "conv.lengths": lengths, "conv.weight": module.weight.detach(),
        "conv.bias": module.bias.detach(), "conv.projection": projection,
        "conv.output": output.detach(), "conv.grad.x": x64.grad,
        "conv.grad.weight": reference.weight.grad, "conv.grad.bias": reference.bias.grad,
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(2)
    tensors = {**make_gru(), **make_conv()}
    write_safetensors(os.path.join(out_dir, "sequence_reference.safetensors"), tensors,
                      {"written_by": "make_sequence_reference.py"})


if __name__ == "__main__":
    main()
