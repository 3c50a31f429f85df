#!/usr/bin/env python3
"""PyTorch's ResNet-50 training speed on this GPU: the reference that bench_train_cuda's
images/s stand beside (scripts/device-check.sh runs both in one go on one card).

One training step = forward, BCE-with-logits loss, backward, SGD with momentum, on random images
already on the GPU; torchvision's resnet50 with one output. Configurations: 224 x 224 and
180 x 180, batch 256; eager channels_last float32 (PyTorch defaults: cuDNN may use TF32), eager
channels_last bf16 autocast, and torch.compile with bf16 autocast where it works (224 only,
unless --compile-all). Prints one line per configuration and a JSON summary last.
Usage: pytorch_cuda_reference.py [--batch 256] [--steps 10] [--no-compile] [--compile-all]
"""
import argparse
import json
import time

import torch
import torchvision


def images_per_second(model, batch, size, steps, bf16):
    images = torch.randn(batch, 3, size, size, device="cuda").to(memory_format=torch.channels_last)
    labels = torch.rand(batch, 1, device="cuda")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_function = torch.nn.BCEWithLogitsLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_function(model(images).float(), labels)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--compile-all", action="store_true")
    arguments = parser.parse_args()
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name()}", flush=True)
    results = []
    for size in (224, 180):
        configurations = [("eager_fp32_channels_last", False, False),
                          ("eager_bf16_autocast_channels_last", True, False)]
        if not arguments.no_compile and (size == 224 or arguments.compile_all):
            configurations.append(("compiled_bf16_autocast_channels_last", True, True))
        for name, bf16, compiled in configurations:
            model = torchvision.models.resnet50(num_classes=1).cuda().to(
                memory_format=torch.channels_last)
            runnable = model
            try:
                if compiled:
                    runnable = torch.compile(model)
                rate = images_per_second(runnable, arguments.batch, size, arguments.steps, bf16)
                results.append({"config": name, "size": size, "batch": arguments.batch,
                                "images_per_s": round(rate, 1)})
                print(f"pytorch {name} size {size} batch {arguments.batch}: {rate:.1f} images/s",
                      flush=True)
            except Exception as error:  # a failed torch.compile is a result, not a crash
                results.append({"config": name, "size": size, "error": str(error)[:200]})
                print(f"pytorch {name} size {size}: failed: {str(error)[:200]}", flush=True)
            del model, runnable
            torch.cuda.empty_cache()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
