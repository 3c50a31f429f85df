#!/usr/bin/python3
"""Writes the PyTorch reference that ihd's sequence model (kind gru, model/sequence_model.h) is
checked against (tests/model/sequence_model_test.cpp), into OUT_DIR:

  sequence_gru.weights.safetensors    the module's state_dict, float32, PyTorch names: what
                                      load_weights reads into SequenceModel as it is
  sequence_gru.reference.safetensors  input [3, 8, 7] (padded positions hold random values,
                                      which neither side reads), lengths (I64), projection
                                      [3, 8, 6], and in F64 (the truth, PyTorch's float64 run
                                      of the same float32 weights and input): output [3, 8, 6]
                                      and, for L = sum(output * projection), grad.input and
                                      grad.<param>; the config in __metadata__

The module is Linear(7 -> 6) + ReLU, torch.nn.GRU(6, 5, num_layers=2, batch_first=True,
bidirectional=True) on packed sequences, Linear(10 -> 6), its output zeroed at padded steps.

Usage: /usr/bin/python3 tests/model/make_sequence_model_reference.py OUT_DIR
(the committed files live in tests/fixtures/model).
"""
import copy
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_resnet_reference import write_safetensors  # noqa: E402

CONFIG = {"input_features": 7, "projected_features": 6, "hidden": 5, "layers": 2, "outputs": 6}


class SequenceModel(torch.nn.Module):
    """ihd's SequenceModel of kind gru, with the same parameter names."""

    def __init__(self, input_features, projected_features, hidden, layers, outputs):
        super().__init__()
        self.projection = torch.nn.Linear(input_features, projected_features)
        self.gru = torch.nn.GRU(projected_features, hidden, num_layers=layers, batch_first=True,
                                bidirectional=True)
        self.head = torch.nn.Linear(2 * hidden, outputs)

    def forward(self, x, lengths):
        steps = x.shape[1]
        projected = torch.relu(self.projection(x))
        packed = torch.nn.utils.rnn.pack_padded_sequence(projected, lengths, batch_first=True,
                                                         enforce_sorted=False)
        context, _ = self.gru(packed)
        context, _ = torch.nn.utils.rnn.pad_packed_sequence(context, batch_first=True,
                                                            total_length=steps)
        mask = (torch.arange(steps)[None, :] < lengths[:, None]).to(x.dtype)[:, :, None]
        return self.head(context) * mask


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(2)
    torch.manual_seed(20240611)
    module = SequenceModel(**CONFIG)
    lengths = torch.tensor([8, 5, 1])
    x = torch.randn(3, 8, CONFIG["input_features"])
    projection = torch.randn(3, 8, CONFIG["outputs"])

    truth = copy.deepcopy(module).double()
    x64 = x.double().requires_grad_(True)
    output = truth(x64, lengths)
    (output * projection.double()).sum().backward()

    reference = {"input": x, "lengths": lengths, "projection": projection,
                 "f64.output": output.detach(), "f64.grad.input": x64.grad}
    for name, parameter in truth.named_parameters():
        reference[f"f64.grad.{name}"] = parameter.grad
    metadata = {key: str(value) for key, value in CONFIG.items()}
    metadata.update({"kind": "gru", "written_by": "make_sequence_model_reference.py"})
    write_safetensors(os.path.join(out_dir, "sequence_gru.weights.safetensors"),
                      module.state_dict(), {"written_by": "make_sequence_model_reference.py"})
    write_safetensors(os.path.join(out_dir, "sequence_gru.reference.safetensors"), reference,
                      metadata)


if __name__ == "__main__":
    main()
