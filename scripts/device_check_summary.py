#!/usr/bin/env python3
"""The short table that scripts/device-check.sh prints last, read from its logs folder:
test result, copy bandwidth, each hand-written kernel's GB/s and fraction of the copy, the cuDNN
convolutions summed over ResNet-50's layer shapes, and training images/s of ihd and PyTorch.
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

    kernels = load_benchmarks(logs / "bench_cuda_kernels.json")
    convolution_seconds = {}
    for entry in kernels:
        name = entry["name"]
        if name.startswith("conv_"):
            precision = name.split("_")[1]
            direction = "fwd" if name.endswith("_fwd") else (
                "bwd_data" if name.endswith("_bwd_data") else "bwd_filter")
            key = (precision, direction)
            convolution_seconds[key] = convolution_seconds.get(key, 0.0) + entry["real_time"] * 1e-6
        elif "GB/s" in entry:
            rows.append((name, f"{entry['GB/s']:.0f} GB/s", f"{entry['of_copy']:.2f} of copy"))
    for (precision, direction), seconds in sorted(convolution_seconds.items()):
        rows.append((f"cuDNN {precision} {direction}, all ResNet-50 shapes, batch 64",
                     f"{seconds * 1e3:.2f} ms", "one of each layer shape"))

    for entry in load_benchmarks(logs / "bench_train_cuda.json"):
        if "images/s" in entry:
            rows.append((f"ihd {entry['name']}", f"{entry['images/s']:.0f} images/s",
                         f"peak {entry.get('peak_GiB', 0):.1f} GiB"))
        elif entry.get("error_occurred"):
            rows.append((f"ihd {entry['name']}", "failed", entry.get("error_message", "")[:60]))

    reference = logs / "pytorch_reference.log"
    if reference.exists():
        lines = [line for line in reference.read_text().splitlines() if line.startswith("[")]
        for result in json.loads(lines[-1]) if lines else []:
            value = (f"{result['images_per_s']:.0f} images/s" if "images_per_s" in result
                     else "failed")
            rows.append((f"PyTorch {result['config']} {result['size']}", value, ""))

    width = max(len(row[0]) for row in rows)
    print(f"{'what':<{width}} | result | note")
    print(f"{'-' * width}-|--------|-----")
    for what, result, note in rows:
        print(f"{what:<{width}} | {result} | {note}")


if __name__ == "__main__":
    main()
