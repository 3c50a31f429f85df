#!/usr/bin/python3
"""PyTorch's CPU throughput on the shapes of bench_train_cpu: ResNet-50, one output, float32,
training (forward + backward + SGD step) and inference, images/s after warm-up, and peak memory
of the training loop. Prints one line per measurement, in the format of bench/compare_cpu.sh.
Uses Debian's python3-torch; run as: bench/pytorch_cpu_reference.py THREADS IMAGE_SIZE BATCH"""
import resource
import sys
import time

import torch
import torchvision


def images_per_second(step, batch, warmup, seconds):
    for _ in range(warmup):
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or count < 2:
        step()
        count += 1
    return batch * count / (time.perf_counter() - start)


def main():
    threads, size, batch = (int(a) for a in sys.argv[1:4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    best = {}
    for layout in ("contiguous", "channels_last"):
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        model = torchvision.models.resnet50(num_classes=1).to(memory_format=fmt)
        images = torch.rand(batch, 3, size, size).to(memory_format=fmt)
        labels = (torch.rand(batch, 1) > 0.5).float()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        loss_fn = torch.nn.BCEWithLogitsLoss()

        def train_step():
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(images), labels).backward()
            optimizer.step()

        def infer_step():
            with torch.no_grad():
                model(images)

        model.train()
        train = images_per_second(train_step, batch, 2, 20.0)
        model.eval()
        infer = images_per_second(infer_step, batch, 2, 10.0)
        print(f"pytorch {layout} threads={threads} train_images_per_s={train:.2f} "
              f"infer_images_per_s={infer:.2f}", flush=True)
        best["train"] = max(best.get("train", 0), train)
        best["infer"] = max(best.get("infer", 0), infer)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pytorch best threads={threads} train_images_per_s={best['train']:.2f} "
          f"infer_images_per_s={best['infer']:.2f} peak_rss_mib={peak_mib:.0f}")


if __name__ == "__main__":
    main()
