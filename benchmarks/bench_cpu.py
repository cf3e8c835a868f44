"""pygru's CPU GRU layer against torch.nn.GRU, timed in the same run.

Both get the same thread count (``--threads``, default: all cores). For each shape
(B, T, I, H) it times inference (forward only; torch under ``inference_mode``) and a train
step (forward + backward of all gradients; torch through autograd), float32, and prints the
median over repeats and the speed ratio torch / pygru (> 1: pygru is faster).

    pip install torch==2.13.0    # benchmark dependency only
    python benchmarks/bench_cpu.py [--threads 2] [--repeats 15] [--shapes 32,50,8,32 ...]
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from pygru.functional import gru_backward, gru_forward

DEFAULT_SHAPES = [
    (32, 50, 8, 32),
    (64, 100, 16, 64),
    (128, 100, 32, 128),
    (64, 200, 1, 256),
    (256, 50, 64, 256),
]


def median_seconds(function, repeats, min_time=0.2):
    """Median wall time of one call; each sample loops enough calls to last ~min_time / repeats."""
    function()
    start = time.perf_counter()
    function()
    once = time.perf_counter() - start
    inner = max(1, int(min_time / repeats / max(once, 1e-9)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            function()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def make_problem(shape, seed=0):
    batch, steps, inputs, hidden = shape
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(hidden)
    return dict(
        x=rng.standard_normal((batch, steps, inputs), dtype=np.float32),
        w_ih=rng.uniform(-scale, scale, (3 * hidden, inputs)).astype(np.float32),
        w_hh=rng.uniform(-scale, scale, (3 * hidden, hidden)).astype(np.float32),
        b_ih=rng.uniform(-scale, scale, 3 * hidden).astype(np.float32),
        b_hh=rng.uniform(-scale, scale, 3 * hidden).astype(np.float32),
        d_out=rng.standard_normal((batch, steps, hidden), dtype=np.float32),
    )


def pygru_timings(problem, repeats):
    args = [problem[k] for k in ("x", "w_ih", "w_hh", "b_ih", "b_hh")]

    def infer():
        gru_forward(*args, keep_cache=False)  # as predict runs it; torch: inference_mode

    def train_step():
        _, _, cache = gru_forward(*args)
        gru_backward(problem["d_out"], None, cache)

    return median_seconds(infer, repeats), median_seconds(train_step, repeats)


def torch_layer(problem):
    """A torch.nn.GRU holding the problem's weights."""
    import torch

    inputs, hidden = problem["x"].shape[2], problem["w_hh"].shape[1]
    layer = torch.nn.GRU(inputs, hidden, batch_first=True)
    with torch.no_grad():
        for name, key in [
            ("weight_ih_l0", "w_ih"),
            ("weight_hh_l0", "w_hh"),
            ("bias_ih_l0", "b_ih"),
            ("bias_hh_l0", "b_hh"),
        ]:
            getattr(layer, name).copy_(torch.from_numpy(problem[key]))
    return layer


def torch_timings(problem, repeats):
    import torch

    layer = torch_layer(problem)
    x = torch.from_numpy(problem["x"])
    d_out = torch.from_numpy(problem["d_out"])
    x_grad = x.clone().requires_grad_(True)

    def infer():
        with torch.inference_mode():
            layer(x)

    def train_step():
        layer.zero_grad(set_to_none=True)
        x_grad.grad = None
        out, _ = layer(x_grad)
        out.backward(d_out)

    return median_seconds(infer, repeats), median_seconds(train_step, repeats)


def check_same_results(problem):
    """Guard against timing two different computations: outputs must agree."""
    import torch

    out, _, _ = gru_forward(*[problem[k] for k in ("x", "w_ih", "w_hh", "b_ih", "b_hh")])
    with torch.no_grad():
        reference, _ = torch_layer(problem)(torch.from_numpy(problem["x"]))
    np.testing.assert_allclose(out, reference.numpy(), rtol=1e-4, atol=1e-5)


def parse_shape(text):
    parts = text.split(",")
    if len(parts) != 4 or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(f"shape must be B,T,I,H of positive ints, got {text!r}")
    return tuple(int(part) for part in parts)


def shapes_text(shapes):
    """Shapes as --shapes takes them: "32,50,8,32 64,100,16,64"."""
    return " ".join(",".join(map(str, shape)) for shape in shapes)


def torch_for(parser, args, script):
    """torch with ``args.threads`` threads, after a usage error for --repeats or --threads
    below 1, or an exit that says how to install torch when it is missing."""
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be at least 1")
    try:
        import torch
    except ImportError:
        sys.exit(
            f"{script} times pygru against PyTorch, which pygru does not need: pip install torch"
        )
    torch.set_num_threads(args.threads)
    return torch


def speed_parser(doc, parse, default_shapes, shape_format, repeats=15, threads=True):
    """The parser the speed benchmarks share: the description (the first paragraph of their
    docstring ``doc``), --threads (unless ``threads`` is False: a GPU run has none),
    --repeats and --shapes, read by ``parse`` (each ``shape_format``, e.g. "B,T,I,H (batch,
    steps, inputs, hidden units)")."""
    parser = argparse.ArgumentParser(description=" ".join(doc.split("\n\n")[0].split()))
    if threads:
        parser.add_argument(
            "--threads",
            type=int,
            default=len(os.sched_getaffinity(0)),
            help="threads for pygru and for torch alike (default: all cores this process may use)",
        )
    parser.add_argument(
        "--repeats",
        type=int,
        default=repeats,
        help=f"timed samples per median (default {repeats})",
    )
    parser.add_argument(
        "--shapes",
        type=parse,
        nargs="+",
        default=default_shapes,
        help=f"shapes to time, each {shape_format} of positive ints "
        f"(default {shapes_text(default_shapes)})",
    )
    return parser


def main(argv=None):
    parser = speed_parser(
        __doc__, parse_shape, DEFAULT_SHAPES, "B,T,I,H (batch, steps, inputs, hidden units)"
    )
    args = parser.parse_args(argv)
    torch = torch_for(parser, args, "bench_cpu.py")
    print(
        f"threads={args.threads} repeats={args.repeats} torch={torch.__version__} "
        f"float32; times are medians in ms; ratio = torch / pygru"
    )
    header = (
        f"{'B,T,I,H':>16} | {'infer pygru':>11} {'torch':>8} {'ratio':>6} | "
        f"{'train pygru':>11} {'torch':>8} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    with threadpool_limits(args.threads, user_api="openmp"):
        for shape in args.shapes:
            problem = make_problem(shape)
            check_same_results(problem)
            ours_infer, ours_train = pygru_timings(problem, args.repeats)
            torch_infer, torch_train = torch_timings(problem, args.repeats)
            print(
                f"{','.join(map(str, shape)):>16} | {ours_infer * 1e3:11.3f} "
                f"{torch_infer * 1e3:8.3f} {torch_infer / ours_infer:6.2f} | "
                f"{ours_train * 1e3:11.3f} {torch_train * 1e3:8.3f} "
                f"{torch_train / ours_train:6.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
