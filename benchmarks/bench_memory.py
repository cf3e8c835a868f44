"""Peak memory of one ``GRUClassifier`` epoch, relative to the size of the training data.

For each n it starts a fresh Python process that makes ``X`` of shape (n, 100, 8), float32,
and binary labels, notes the resident set size (RSS) before the fit, fits
``GRUClassifier(hidden_layer_sizes=(64,), max_iter=1, random_state=0)`` and notes the peak
RSS of the process (``ru_maxrss``) and the fit time. The column ``extra / data`` is
(peak - before) / data size: how many copies of the data the fit holds at its worst.

    python benchmarks/bench_memory.py                      # n = 4000, 16000, 64000
    python benchmarks/bench_memory.py --sizes 4000 16000   # skip the slow 64k case
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

N_TIMESTEPS = 100
N_FEATURES = 8
MIB = 2**20
DEFAULT_SIZES = [4000, 16000, 64000]


def current_rss_bytes():
    """Resident set size of this process now, from /proc (Linux)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * resource.getpagesize()


def peak_rss_bytes():
    """Largest resident set size this process has had (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(n_samples):
    """Fit one epoch on n_samples random sequences; return the measurements as a dict."""
    from pygru import GRUClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_samples, N_TIMESTEPS, N_FEATURES), dtype=np.float32)
    y = rng.integers(0, 2, n_samples)
    before = current_rss_bytes()
    model = GRUClassifier(hidden_layer_sizes=(64,), max_iter=1, random_state=0)
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    return {
        "n": n_samples,
        "data": X.nbytes,
        "before": before,
        "peak": peak_rss_bytes(),
        "seconds": seconds,
    }


def measure_in_fresh_process(n_samples):
    """Run :func:`measure` in a new interpreter, so that no earlier fit raises the peak."""
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(n_samples)], capture_output=True, text=True
    )
    if child.returncode:
        sys.exit(f"measuring n={n_samples} failed in its process:\n{child.stderr}")
    return json.loads(child.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=DEFAULT_SIZES,
        help="numbers of training sequences n, each at least 2, one fresh process each "
        f"(default {' '.join(map(str, DEFAULT_SIZES))})",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.sizes) < 2:
        parser.error(f"--sizes: each size must be at least 2 sequences, got {args.sizes}")
    if args.child is not None:
        print(json.dumps(measure(args.child)))
        return
    print(
        f"{'n':>7} {'data MiB':>9} {'before MiB':>11} {'peak MiB':>9} {'extra / data':>13} "
        f"{'seconds':>8}"
    )
    for n_samples in args.sizes:
        row = measure_in_fresh_process(n_samples)
        extra = (row["peak"] - row["before"]) / row["data"]
        print(
            f"{row['n']:>7} {row['data'] / MIB:>9.1f} {row['before'] / MIB:>11.1f} "
            f"{row['peak'] / MIB:>9.1f} {extra:>13.2f} {row['seconds']:>8.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
