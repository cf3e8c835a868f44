"""The classifier's network with and without the convolutional branch (``conv_layers``)
against the same model in torch, timed in the same run.

For each shape (B, T, F): a GRUClassifier's network (the defaults: one bidirectional GRU
layer of 64 units, concat pooling) without a branch, with the small branch (32, 64, 32
filters; kernels 8, 5, 3) and with GRU-FCN's (128, 256, 128), on B sequences of T steps
(ragged: the lengths run from T / 2 to T) and F features, float32. torch runs the very same
model, exported with ``pygru.to_torch_module`` (an ``nn.GRU`` per direction over the padded
sequences, ``nn.Conv1d``, the masked norm, the head; its softmax and input standardisation
are a few elementwise operations more). It times inference (torch under ``inference_mode``)
and a train step (forward and backward of every gradient; torch through autograd), as
medians over repeats, and prints the ratio torch / pygru (> 1: pygru is faster). The
branch's share of pygru's train step shows how much the branch costs beside the GRU.

    pip install torch==2.13.0    # benchmark dependency only
    python benchmarks/bench_conv.py [--threads 2] [--repeats 15] [--shapes 16,32,8 ...]
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from pygru import GRUClassifier, to_torch_module

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # shared with bench_cpu.py
from bench_cpu import median_seconds as _median_seconds  # noqa: E402
from bench_cpu import speed_parser, torch_for  # noqa: E402

# (B, T, F): a batch of the classifier's default size over patched series (ArrowHead:
# 32 patches of 8 steps; Pickup: 31 of 12), and a larger batch of longer multivariate ones.
DEFAULT_SHAPES = [(16, 32, 8), (16, 31, 12), (64, 100, 6)]
BRANCHES = {
    "none": None,
    "small": ((32, 8), (64, 5), (32, 3)),
    "GRU-FCN": ((128, 8), (256, 5), (128, 3)),
}


def median_seconds(function, repeats, warm_up=0.3):
    """bench_cpu's median, after calling ``function`` for ``warm_up`` seconds: the first
    calls of a fresh model run slower here (glibc's allocator only starts to reuse large
    freed buffers after a few calls), and the first model of each shape would pay for it."""
    start = time.perf_counter()
    while time.perf_counter() - start < warm_up:
        function()
    return _median_seconds(function, repeats)


def make_model(shape, conv_layers, seed=0):
    """(a fitted classifier of this shape and branch, X, lengths): one epoch on random
    ragged data, which is all the timing needs."""
    batch, steps, features = shape
    rng = np.random.default_rng(seed)
    lengths = rng.integers((steps + 1) // 2, steps + 1, size=batch)
    lengths[0] = steps
    X = rng.standard_normal((batch, steps, features)).astype(np.float32)
    X[np.arange(steps)[None, :] >= lengths[:, None]] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch does not converge
        model = GRUClassifier(
            conv_layers=conv_layers, patch_size=None, max_iter=1, random_state=seed
        ).fit(X, np.arange(batch) % 2)
    return model, X, lengths


def pygru_timings(model, X, repeats):
    """(inference, train step) seconds of the network on X."""
    network = model.network_
    inputs, lengths = model._validate_sequences(X)
    d_output = np.random.default_rng(1).standard_normal((len(X), 2)).astype(np.float32)

    def infer():
        network.forward(inputs, lengths, keep_cache=False)

    def train_step():
        _, cache = network.forward(inputs, lengths)
        network.backward(d_output, cache)

    return median_seconds(infer, repeats), median_seconds(train_step, repeats)


def torch_timings(model, X, lengths, repeats):
    """(inference, train step) seconds of the exported module on X (zero-padded)."""
    import torch

    module = to_torch_module(model)
    X = torch.from_numpy(np.nan_to_num(X, nan=0.0))
    lengths = torch.from_numpy(lengths)
    weights = torch.from_numpy(
        np.random.default_rng(1).standard_normal((len(X), 2)).astype(np.float32)
    )

    def infer():
        with torch.inference_mode():
            module(X, lengths)

    def train_step():
        module.zero_grad()
        (module(X, lengths) * weights).sum().backward()

    return median_seconds(infer, repeats), median_seconds(train_step, repeats)


def parse_shape(text):
    parts = text.split(",")
    if len(parts) != 3 or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(f"shape must be B,T,F of positive ints, got {text!r}")
    return tuple(int(part) for part in parts)


def main(argv=None):
    parser = speed_parser(
        __doc__, parse_shape, DEFAULT_SHAPES, "B,T,F (batch, longest steps, features)"
    )
    parser.add_argument(
        "--branches",
        nargs="+",
        choices=list(BRANCHES),
        default=list(BRANCHES),
        help="convolutional branches to time: none, small (32, 64, 32 filters) or GRU-FCN "
        f"(128, 256, 128) (default {' '.join(BRANCHES)})",
    )
    args = parser.parse_args(argv)
    torch = torch_for(parser, args, "bench_conv.py")
    print(
        f"threads={args.threads} repeats={args.repeats} torch={torch.__version__} float32; "
        "times are medians in ms; ratio = torch / pygru; share: of pygru's train step, "
        "against the same shape without a branch"
    )
    header = (
        f"{'B,T,F':>10} {'branch':>8} | {'infer pygru':>11} {'torch':>8} {'ratio':>6} | "
        f"{'train pygru':>11} {'torch':>8} {'ratio':>6} | {'branch share':>12}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    with threadpool_limits(args.threads, user_api="openmp"):
        for shape in args.shapes:
            without = None
            for name in args.branches:
                model, X, lengths = make_model(shape, BRANCHES[name])
                ours = pygru_timings(model, X, args.repeats)
                theirs = torch_timings(model, X, lengths, args.repeats)
                if name == "none":
                    without = ours[1]
                share = "" if without is None or name == "none" else f"{1 - without / ours[1]:.0%}"
                print(
                    f"{','.join(map(str, shape)):>10} {name:>8} | {ours[0] * 1e3:11.3f} "
                    f"{theirs[0] * 1e3:8.3f} {theirs[0] / ours[0]:6.2f} | "
                    f"{ours[1] * 1e3:11.3f} {theirs[1] * 1e3:8.3f} {theirs[1] / ours[1]:6.2f} | "
                    f"{share:>12}",
                    flush=True,
                )
                rows.append((shape, name, ours, theirs))
    return rows


if __name__ == "__main__":
    main()
