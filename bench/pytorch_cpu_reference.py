#!/usr/bin/python3
"""PyTorch's CPU throughput on the shapes of bench_train_cpu: ResNet-50, one output, training
(forward + backward + SGD step) and inference, images/s after warm-up, and peak memory of the
training loop. Prints one line per memory layout and a "pytorch best" line (the better layout for
each speed), in the format of bench/compare_cpu.sh.
Precision fp32 (the default) or bf16: bf16 runs the forward, and in training the loss, under
torch.autocast('cpu', torch.bfloat16), as bench_train_cpu --precision bf16 runs ours under its
AutocastGuard; backward and the SGD step run outside it, as usual.
Uses Debian's python3-torch and python3-torchvision; run as:
bench/pytorch_cpu_reference.py THREADS IMAGE_SIZE BATCH [--precision fp32|bf16]
    [--train-seconds 20] [--infer-seconds 10]"""
import argparse
import contextlib
import resource
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


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("threads", type=int)
    parser.add_argument("image_size", type=int)
    parser.add_argument("batch", type=int)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    parser.add_argument("--train-seconds", type=float, default=20.0)
    parser.add_argument("--infer-seconds", type=float, default=10.0)
    return parser.parse_args()


def main():
    args = parse_arguments()
    threads, size, batch = args.threads, args.image_size, args.batch
    torch.set_num_threads(threads)
    torch.manual_seed(0)

    def autocast():
        if args.precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

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
            with autocast():
                loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()

        def infer_step():
            with torch.no_grad(), autocast():
                model(images)

        model.train()
        train = images_per_second(train_step, batch, 2, args.train_seconds)
        model.eval()
        infer = images_per_second(infer_step, batch, 2, args.infer_seconds)
        print(f"pytorch {layout} threads={threads} precision={args.precision} "
              f"train_images_per_s={train:.2f} infer_images_per_s={infer:.2f}", flush=True)
        best["train"] = max(best.get("train", 0), train)
        best["infer"] = max(best.get("infer", 0), infer)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pytorch best threads={threads} precision={args.precision} "
          f"train_images_per_s={best['train']:.2f} infer_images_per_s={best['infer']:.2f} "
          f"peak_rss_mib={peak_mib:.0f}")


if __name__ == "__main__":
    main()
