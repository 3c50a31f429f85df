#!/usr/bin/env python3
"""The short table that scripts/device-check.sh prints last, read from its logs folder:
test results (the op cases, then the other CUDA tests), copy bandwidth, each op's GB/s and
fraction of the copy (bench_ops: float32 and bfloat16, forward and training), the cuDNN
convolutions summed over ResNet-50's layer shapes (per type, forward and training), and training
images/s per image size: ihd bf16 beside PyTorch's eager bf16 autocast (channels_last), ihd tf32
beside PyTorch's eager float32 (channels_last, cuDNN may use TF32, as PyTorch does by default),
then ihd fp32, each ihd row with its fraction of the PyTorch figure.
Reads op_backend_tests.log and cuda_tests.log, bench_ops_*.json and .log (op runs),
bench_train_cuda*.json (training runs) and pytorch_reference.log (its last line is the JSON list
of results).
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
    for label, log in (("op cases, CPU vs CUDA", "op_backend_tests.log"),
                       ("other CUDA tests", "cuda_tests.log")):
        path = logs / log
        text = path.read_text() if path.exists() else ""
        summary = re.findall(r"test cases:.*", text)
        skipped = text.count("SKIPPED (no CUDA GPU)")
        rows.append((label, summary[-1].replace("|", ",") if summary else "did not run",
                     f"{skipped} skipped: no GPU" if skipped else ""))

    for path in sorted(logs.glob("bench_ops_*.log")):
        copy = re.findall(r"cuda device-to-device copy: ([0-9.]+) GB/s", path.read_text())
        if copy:
            rows.append(("device-to-device copy", f"{float(copy[0]):.0f} GB/s", "read + written"))
            break

    entries = [entry for path in sorted(logs.glob("bench_ops_*.json"))
               for entry in load_benchmarks(path)]
    convolution_seconds, convolution_failures = {}, {}
    for entry in entries:
        name = re.sub(r"/manual_time$", "", entry["name"])
        parts = name.split("/", 3)  # device, type, forward|training, case
        if len(parts) < 4:
            continue
        _, precision, mode, case = parts
        if case.startswith("conv2d "):
            key = (precision, mode)
            convolution_seconds.setdefault(key, 0.0)
            if entry.get("error_occurred"):
                convolution_failures[key] = convolution_failures.get(key, 0) + 1
            else:
                convolution_seconds[key] += entry["real_time"] * 1e-3  # ms
        elif entry.get("error_occurred"):
            rows.append((name, "failed", entry.get("error_message", "")[:60]))
        elif "of_copy" in entry:
            rows.append((name, f"{entry['GB/s']:.0f} GB/s", f"{entry['of_copy']:.2f} of copy"))
    for (precision, mode), seconds in sorted(convolution_seconds.items()):
        failures = convolution_failures.get((precision, mode), 0)
        rows.append((f"conv2d {precision} {mode}, all ResNet-50 shapes, batch 64",
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
