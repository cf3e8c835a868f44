"""pygru's CUDA GRU layer against torch.nn.GRU (cuDNN), on the same GPU in the same run.

Both get the same float32 weights and inputs. For each shape (B, T, I, H) it times inference
(forward only; torch under ``inference_mode``) and a train step (forward + backward of all
gradients; torch through autograd into cuDNN's RNN backward), and prints the median over
repeats and the speed ratio torch / pygru (> 1: pygru is faster). Every sample is bracketed by
device synchronisations. TF32 is off on both sides unless ``--tf32`` lets torch use it (pygru
never does). pygru is called as the estimators call it, without the finiteness check of its
inputs (``check_finite=False``), which torch does not make either. Before timing, each
shape's pygru outputs and gradients are checked against torch's.

    python benchmarks/bench_gpu.py [--repeats 20] [--shapes 32,50,8,32 ...] [--tf32]

Needs CuPy and a CUDA build of PyTorch with cuDNN; run from the repository root after
building the CPU extension (``pip install -e .`` or ``python setup.py build_ext --inplace``).
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # shared with bench_cpu.py
from bench_cpu import speed_parser  # noqa: E402

DEFAULT_SHAPES = [
    (32, 50, 8, 32),
    (64, 100, 16, 64),
    (128, 100, 32, 128),
    (64, 200, 1, 256),
    (256, 50, 64, 256),
    (512, 100, 128, 512),
    (1, 1000, 32, 128),
]


def median_seconds(function, synchronize, repeats, min_time=0.3):
    """Median wall time of one call (device work included); each sample loops enough calls
    to last about min_time / repeats."""
    for _ in range(3):
        function()
    synchronize()
    start = time.perf_counter()
    function()
    synchronize()
    once = time.perf_counter() - start
    inner = max(1, int(min_time / repeats / max(once, 1e-9)))
    samples = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        for _ in range(inner):
            function()
        synchronize()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def make_torch_problem(torch, shape, seed=0):
    batch, steps, inputs, hidden = shape
    torch.manual_seed(seed)
    gru = torch.nn.GRU(inputs, hidden, batch_first=True).cuda().float()
    x = torch.randn(batch, steps, inputs, device="cuda")
    d_out = torch.randn(batch, steps, hidden, device="cuda")
    return gru, x, d_out


def torch_timings(torch, gru, x, d_out, repeats, synchronize):
    def infer():
        with torch.inference_mode():
            gru(x)

    parameters = list(gru.parameters())

    def train():
        for parameter in parameters:
            parameter.grad = None
        x_grad = x.detach().requires_grad_()
        out, _ = gru(x_grad)
        out.backward(d_out)

    return (
        median_seconds(infer, synchronize, repeats),
        median_seconds(train, synchronize, repeats),
    )


def pygru_arrays(cupy, gru, x, d_out):
    """The torch tensors as CuPy arrays on the same device (copies, no sharing)."""

    def device(tensor):
        return cupy.asarray(tensor.detach().cpu().numpy())

    return dict(
        x=device(x),
        w_ih=device(gru.weight_ih_l0),
        w_hh=device(gru.weight_hh_l0),
        b_ih=device(gru.bias_ih_l0),
        b_hh=device(gru.bias_hh_l0),
    ), device(d_out)


def pygru_timings(arrays, d_out, repeats, synchronize):
    from pygru._cuda._backend import gru_backward_gpu, gru_forward_gpu

    # As the estimators call the layer: without the finiteness check, which torch does not
    # make either (it costs a reduction and a device synchronisation per call).
    def infer():
        gru_forward_gpu(**arrays, keep_cache=False, check_finite=False)

    def train():
        _, _, cache = gru_forward_gpu(**arrays, check_finite=False)
        gru_backward_gpu(d_out, None, cache, check_finite=False)

    return (
        median_seconds(infer, synchronize, repeats),
        median_seconds(train, synchronize, repeats),
    )


def check_against_torch(torch, cupy, gru, x, d_out, arrays, d_out_array):
    """Largest relative error of pygru's out, h_n and every gradient against torch's."""
    from pygru._cuda._backend import gru_backward_gpu, gru_forward_gpu

    x_grad = x.detach().clone().requires_grad_()
    for parameter in gru.parameters():
        parameter.grad = None
    out_t, h_t = gru(x_grad)
    out_t.backward(d_out)
    out, h_n, cache = gru_forward_gpu(**arrays)
    dx, _, dw_ih, dw_hh, db_ih, db_hh = gru_backward_gpu(d_out_array, None, cache)
    pairs = [
        (out, out_t),
        (h_n, h_t[0]),
        (dx, x_grad.grad),
        (dw_ih, gru.weight_ih_l0.grad),
        (dw_hh, gru.weight_hh_l0.grad),
        (db_ih, gru.bias_ih_l0.grad),
        (db_hh, gru.bias_hh_l0.grad),
    ]
    worst = 0.0
    for mine, theirs in pairs:
        theirs = theirs.detach().cpu().numpy().astype(np.float64)
        mine = cupy.asnumpy(mine).astype(np.float64)
        worst = max(worst, np.max(np.abs(mine - theirs)) / max(np.max(np.abs(theirs)), 1e-30))
    return worst


def plans(shape):
    """The recurrence plans pygru picks on this device for the shape (forward, backward)."""
    import cupy

    from pygru._cuda import _backend, _launch

    runtime = _backend._runtime(cupy, np.float32)
    batch, _, _, hidden = shape
    chosen = []
    for backward in (False, True):
        plan = _launch.plan_recurrence(batch, hidden, 4, True, backward, runtime.limits)
        chosen.append(
            "steps" if plan.strategy == _launch.STEPWISE else f"c{plan.cluster_size}x{plan.tiles}t"
        )
    return "/".join(chosen)


def parse_shape(text):
    values = tuple(int(v) for v in text.split(","))
    if len(values) != 4 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected B,T,I,H with positive integers, got {text}")
    return values


def main():
    parser = speed_parser(
        __doc__,
        parse_shape,
        DEFAULT_SHAPES,
        "B,T,I,H (batch, steps, inputs, hidden units)",
        repeats=20,
        threads=False,
    )
    parser.add_argument(
        "--tf32",
        action="store_true",
        help="let torch/cuDNN use TF32 (default off; pygru never does)",
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    try:
        import cupy
        import torch
    except ImportError as error:
        sys.exit(
            f"bench_gpu.py needs CuPy and PyTorch on a GPU machine ({error}): "
            'pip install ".[gpu]" torch'
        )

    if not torch.cuda.is_available() or not torch.backends.cudnn.is_available():
        sys.exit("needs a CUDA build of PyTorch with cuDNN and a GPU")
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = True

    def synchronize():
        torch.cuda.synchronize()
        cupy.cuda.Device().synchronize()

    print(
        f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, "
        f"cuDNN {torch.backends.cudnn.version()}, CuPy {cupy.__version__}, float32, "
        f"TF32 in torch: {args.tf32}; median of {args.repeats} samples; "
        "ratio = torch time / pygru time (> 1: pygru faster)"
    )
    header = (
        f"{'B':>4} {'T':>5} {'I':>4} {'H':>4} {'plan':>12} {'max err':>8} | "
        f"{'infer torch':>11} {'pygru':>9} {'ratio':>6} | "
        f"{'train torch':>11} {'pygru':>9} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for shape in args.shapes:
        gru, x, d_out = make_torch_problem(torch, shape)
        arrays, d_out_array = pygru_arrays(cupy, gru, x, d_out)
        error = check_against_torch(torch, cupy, gru, x, d_out, arrays, d_out_array)
        torch_infer, torch_train = torch_timings(torch, gru, x, d_out, args.repeats, synchronize)
        pygru_infer, pygru_train = pygru_timings(arrays, d_out_array, args.repeats, synchronize)
        print(
            f"{shape[0]:>4} {shape[1]:>5} {shape[2]:>4} {shape[3]:>4} {plans(shape):>12} "
            f"{error:>8.1e} | "
            f"{torch_infer * 1e3:>9.3f}ms {pygru_infer * 1e3:>7.3f}ms "
            f"{torch_infer / pygru_infer:>6.2f} | "
            f"{torch_train * 1e3:>9.3f}ms {pygru_train * 1e3:>7.3f}ms "
            f"{torch_train / pygru_train:>6.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
