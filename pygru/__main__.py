"""``python -m pygru``: a GRU layer forward and backward on a real series, as a smoke run."""
import time

import numpy as np

from pygru.datasets import load_airline, make_windows
from pygru.functional import gru_backward, gru_forward


def main():
    series = load_airline().data
    scaled = (series - series.mean()) / series.std()
    X, y = make_windows(scaled, lookback=12)
    X = X.astype(np.float32)
    hidden = 16
    rng = np.random.default_rng(0)
    bound = 1 / np.sqrt(hidden)
    w_ih = rng.uniform(-bound, bound, (3 * hidden, X.shape[2])).astype(np.float32)
    w_hh = rng.uniform(-bound, bound, (3 * hidden, hidden)).astype(np.float32)
    b_ih, b_hh = np.zeros(3 * hidden, np.float32), np.zeros(3 * hidden, np.float32)
    start = time.perf_counter()
    out, h_n, cache = gru_forward(X, w_ih, w_hh, b_ih, b_hh)
    grads = gru_backward(None, h_n, cache)
    elapsed = time.perf_counter() - start
    print(f"airline passengers: {len(X)} windows of 12 months -> GRU(16) states {h_n.shape}, "
          f"forward+backward in {elapsed * 1e3:.2f} ms; |dW_hh| = {np.linalg.norm(grads[3]):.4f}")


if __name__ == "__main__":
    main()
