#!/usr/bin/env python3
"""The short table that scripts/device-check.sh prints last, read from its logs folder:
test result, copy bandwidth, each hand-written kernel's GB/s and fraction of the copy (float32
and bfloat16 rows), the cuDNN convolutions summed over ResNet-50's layer shapes (fp32, tf32,
bf16), and training images/s per image size: ihd bf16 beside PyTorch's eager bf16 autocast
(channels_last), ihd tf32 beside PyTorch's eager float32 (channels_last, cuDNN may use TF32, as
PyTorch does by default), then ihd fp32, each ihd row with its fraction of the PyTorch figure.
Reads bench_cuda_*.json (kernel runs), bench_train_cuda*.json (training runs) and
pytorch_reference.log (its last line is the JSON list of results).
Usage: device_check_summary.py LOGS_DIR"""
import json
import re
import sys
from pathlib import Path


def load_benchmarks(path):
    try:
        return json.loads(path.read_text())["benchmarks"]
    except (OSError, ValueError, KeyError):
        return []


TRAINING_NAME = re.compile(r"resnet50_train_(fp32|tf32|bf16)_(\d+)_batch(\d+)")
# Each ihd precision and the PyTorch configurations shown beside it (the first one is what the
# ihd row's fraction compares with).
PYTORCH_BESIDE = {
    "bf16": ["eager_bf16_autocast_channels_last", "compiled_bf16_autocast_channels_last"],
    "tf32": ["eager_fp32_channels_last"],
    "fp32": [],
}


def training_rows(logs):
    ihd = {}  # (precision, size) -> benchmark entry
    for path in sorted(logs.glob("bench_train_cuda*.json")):
        for entry in load_benchmarks(path):
            match = TRAINING_NAME.match(entry.get("name", ""))
            if match:
                ihd[(match[1], int(match[2]))] = entry
    pytorch = {}  # (config, size) -> result
    reference = logs / "pytorch_reference.log"
    if reference.exists():
        lines = [line for line in reference.read_text().splitlines() if line.startswith("[")]
        try:
            results = json.loads(lines[-1]) if lines else []
        except ValueError:
            results = []
        for result in results:
            pytorch[(result["config"], result["size"])] = result

    rows = []
    sizes = sorted({size for _, size in ihd} | {size for _, size in pytorch}, reverse=True)
    for size in sizes:
        for precision in ("bf16", "tf32", "fp32"):
            beside = PYTORCH_BESIDE[precision]
            reference = pytorch.get((beside[0], size), {}) if beside else {}
            reference_rate = reference.get("images_per_s")
            entry = ihd.get((precision, size))
            if entry is None:
                rows.append((f"ihd {precision} {size}", "did not run", ""))
            elif "images/s" in entry:
                note = f"peak {entry.get('peak_GiB', 0):.1f} GiB"
                if reference_rate:
                    note += f", {entry['images/s'] / reference_rate:.2f} of PyTorch {beside[0]}"
                rows.append((f"ihd {precision} {size}", f"{entry['images/s']:.0f} images/s", note))
            else:
                rows.append((f"ihd {precision} {size}", "failed",
                             entry.get("error_message", "")[:60]))
            for config in beside:
                result = pytorch.get((config, size))
                if result is None:
                    continue
                value = (f"{result['images_per_s']:.0f} images/s" if "images_per_s" in result
                         else "failed")
                rows.append((f"PyTorch {config} {size}", value, result.get("error", "")[:60]))
    return rows


def main():
    logs = Path(sys.argv[1])
    rows = []
    tests = logs / "cuda_tests.log"
    text = tests.read_text() if tests.exists() else ""
    summary = re.findall(r"test cases:.*", text)
    skipped = text.count("SKIPPED (no CUDA GPU)")
    rows.append(("CPU-vs-CUDA tests",
                 summary[-1].replace("|", ",") if summary else "did not run",
                 f"{skipped} skipped: no GPU" if skipped else ""))

    kernels = [entry for path in sorted(logs.glob("bench_cuda_*.json"))
               for entry in load_benchmarks(path)]
    convolution_seconds, convolution_failures = {}, {}
    for entry in kernels:
        name = entry["name"].split("/")[0]  # without /ARGS/manual_time
        if name.startswith("conv_"):
            precision = name.split("_")[1]
            direction = next(d for d in ("fwd", "bwd_data", "bwd_filter") if name.endswith(d))
            key = (precision, direction)
            convolution_seconds.setdefault(key, 0.0)
            if entry.get("error_occurred"):
                convolution_failures[key] = convolution_failures.get(key, 0) + 1
            else:
                convolution_seconds[key] += entry["real_time"] * 1e-6
        elif "GB/s" in entry:
            rows.append((re.sub(r"/manual_time$", "", entry["name"]),
                         f"{entry['GB/s']:.0f} GB/s", f"{entry['of_copy']:.2f} of copy"))
        elif entry.get("error_occurred"):
            rows.append((name, "failed", entry.get("error_message", "")[:60]))
    for (precision, direction), seconds in sorted(convolution_seconds.items()):
        failures = convolution_failures.get((precision, direction), 0)
        rows.append((f"cuDNN {precision} {direction}, all ResNet-50 shapes, batch 64",
                     f"{seconds * 1e3:.2f} ms",
                     f"{failures} of the shapes failed" if failures else "one of each layer shape"))

    rows.extend(training_rows(logs))

    width = max(len(row[0]) for row in rows)
    print(f"{'what':<{width}} | result | note")
    print(f"{'-' * width}-|--------|-----")
    for what, result, note in rows:
        print(f"{what:<{width}} | {result} | {note}")


if __name__ == "__main__":
    main()
