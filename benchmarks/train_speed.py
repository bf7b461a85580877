#!/usr/bin/env python3
"""Training speed: digitpad's engine vs the way most tutorials train LeNet-5, in one process.

Baseline (the tutorial way): a per-sample `Dataset` that turns each MNIST image into a PIL
image, pads it and converts it to a normalised tensor; `DataLoader(batch_size=64,
shuffle=True)`; a "classic" LeNet-5 with a full C3 and a linear softmax head; SGD.
digitpad: the faithful LeNet-5 (C3 table, trainable subsampling, fixed RBF, eq. 9) trained by
`digitpad.training.loop.train` on tensors held on the device.

Both train on the same number of samples; the script prints the median seconds per 60,000
samples over --repeats runs, their ratio, and each model's test error after the run. Two
reference lines put the ratio in proportion: the tutorial's network alone on in-memory tensors
(what PyTorch's kernels cost for a network this size, without the Pillow pipeline), and the
faithful network's two convolution kernels alone (a floor for any step built on them).

    python benchmarks/train_speed.py [--data DIR] [--samples 30000] [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitpad.storage.mnist import load_mnist  # noqa: E402
from digitpad.training.datasets import TensorDataset, mnist_dataset  # noqa: E402
from digitpad.paths import default_mnist_dir  # noqa: E402
from digitpad.training.config import TrainingConfig
from digitpad.training.loop import evaluate, train


class TutorialMnist(torch.utils.data.Dataset):
    """One PIL conversion per sample per epoch, as torchvision-style transforms do."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        image = Image.fromarray(self.images[index], mode="L")
        image = ImageOps.expand(image, border=2, fill=0)                     # Pad(2)
        tensor = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).unsqueeze(0)  # ToTensor
        tensor = (tensor - 0.1307) / 0.3081                                  # Normalize
        return tensor, int(self.labels[index])


class TutorialLeNet5(nn.Module):
    """The usual tutorial network: full C3, average pooling, tanh, linear head + softmax loss."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
                                      nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.Tanh(),
                                        nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def run_baseline(images, labels, test_images, test_labels, samples: int, seed: int) -> tuple[float, float]:
    torch.manual_seed(seed)
    model = TutorialLeNet5()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = torch.utils.data.DataLoader(TutorialMnist(images[:samples], labels[:samples]),
                                         batch_size=64, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    started = time.perf_counter()
    model.train()
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    seconds = time.perf_counter() - started
    model.eval()
    with torch.no_grad():
        x = (torch.nn.functional.pad(torch.from_numpy(test_images).float() / 255, (2, 2, 2, 2)).unsqueeze(1)
             - 0.1307) / 0.3081
        error = float((model(x).argmax(1) != torch.from_numpy(test_labels)).float().mean())
    return seconds, error


def run_network_only(train_set: TensorDataset, samples: int, seed: int) -> float:
    """The tutorial's network and SGD on batches sliced from tensors already in memory: no Pillow,
    no DataLoader. Not a goal, a yardstick: what PyTorch's kernels cost for a network of this size."""
    torch.manual_seed(seed)
    model = TutorialLeNet5()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    inputs, labels = train_set.inputs[:samples], train_set.labels[:samples]
    order = torch.randperm(len(labels))
    started = time.perf_counter()
    model.train()
    for start in range(0, len(labels), 64):
        index = order[start:start + 64]
        optimizer.zero_grad()
        loss_fn(model(inputs[index]), labels[index]).backward()
        optimizer.step()
    return time.perf_counter() - started


def run_convolutions_only(samples: int, seed: int, batch_size: int = 64) -> float:
    """Only the two convolution kernels of the faithful network's training step, C1 (weight
    gradient only: the image needs none) and C3 (weight and input gradients), forward and
    backward, on batches of 64: the part of a step that no rearrangement of ours can remove."""
    generator = torch.Generator().manual_seed(seed)
    c1_weight = torch.randn(6, 1, 5, 5, generator=generator, requires_grad=True)
    c3_weight = torch.randn(16, 6, 5, 5, generator=generator, requires_grad=True)
    images = torch.randn(batch_size, 1, 32, 32, generator=generator)
    s2 = torch.randn(batch_size, 6, 14, 14, generator=generator, requires_grad=True)
    c1_grad = torch.randn(batch_size, 6, 28, 28, generator=generator)
    c3_grad = torch.randn(batch_size, 16, 10, 10, generator=generator)
    started = time.perf_counter()
    for _ in range(0, samples, batch_size):
        torch.autograd.backward([torch.nn.functional.conv2d(images, c1_weight),
                                 torch.nn.functional.conv2d(s2, c3_weight)], [c1_grad, c3_grad])
    return time.perf_counter() - started


def run_digitpad(train_set: TensorDataset, test_set: TensorDataset, samples: int, seed: int,
                 device: torch.device, optimizer: str = "adam") -> tuple[float, float]:
    config = TrainingConfig(epochs=1, seed=seed, optimizer=optimizer, distort=False)
    # train() uses all it is given: the first `samples` images, and one test image per epoch
    # (the real evaluation is below, outside the timing).
    first = TensorDataset(train_set.inputs[:samples], train_set.labels[:samples], train_set.checksum)
    one_test = TensorDataset(test_set.inputs[:1], test_set.labels[:1], test_set.checksum)
    started = time.perf_counter()
    result = train(config, first, one_test, device)
    seconds = time.perf_counter() - started
    errors, _ = evaluate(result.model, test_set.to(device))
    return seconds, errors / len(test_set)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="MNIST folder (default: $DIGITPAD_MNIST or "
                                                                 "../shared/data/mnist)")
    parser.add_argument("--samples", type=int, default=30_000, help="training samples per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data or default_mnist_dir()
    raw_train, raw_test = load_mnist(data_dir, "train"), load_mnist(data_dir, "test")
    train_set, test_set = mnist_dataset(data_dir, "train"), mnist_dataset(data_dir, "test")
    per_60k = 60_000 / args.samples
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.samples:,} samples per run, "
          f"{args.repeats} repeats")

    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    baseline_times, baseline_errors, network_times, convolution_times = [], [], [], []
    ours: dict[str, tuple[list[float], list[float]]] = {}
    for repeat in range(args.repeats):
        seconds, error = run_baseline(raw_train.images, raw_train.labels, raw_test.images, raw_test.labels,
                                      args.samples, seed=repeat)
        baseline_times.append(seconds * per_60k)
        baseline_errors.append(error)
        network_times.append(run_network_only(train_set, args.samples, seed=repeat) * per_60k)
        convolution_times.append(run_convolutions_only(args.samples, seed=repeat) * per_60k)
        for device in devices:
            seconds, error = run_digitpad(train_set, test_set, args.samples, repeat, device)
            times, errors = ours.setdefault(str(device), ([], []))
            times.append(seconds * per_60k)
            errors.append(error)

    base = statistics.median(baseline_times)
    print(f"baseline (tutorial, per-sample PIL Dataset + DataLoader, SGD): {base:.2f} s per 60k samples "
          f"(median), test error after the run {100 * statistics.median(baseline_errors):.2f}%")
    network = statistics.median(network_times)
    print(f"yardstick, the tutorial's network alone on in-memory tensors (no Pillow, no DataLoader): "
          f"{network:.2f} s per 60k samples (median); baseline / yardstick {base / network:.2f}x")
    convolutions = statistics.median(convolution_times)
    print(f"floor, the faithful network's C1 and C3 convolution kernels alone (forward + backward, CPU): "
          f"{convolutions:.2f} s per 60k samples (median); baseline / floor {base / convolutions:.2f}x")
    for device, (times, errors) in ours.items():
        median = statistics.median(times)
        print(f"digitpad faithful LeNet-5 on {device} (Adam, eq. 9): {median:.2f} s per 60k samples (median), "
              f"test error after the run {100 * statistics.median(errors):.2f}%")
        print(f"ratio baseline / digitpad ({device}): {base / median:.2f}x; "
              f"yardstick / digitpad: {network / median:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
