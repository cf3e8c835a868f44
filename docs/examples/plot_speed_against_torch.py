"""
CPU speed against PyTorch (saved results)
=========================================

``benchmarks/bench_cpu.py`` times pygru against ``torch.nn.GRU`` on the CPU in the same run,
with the same thread count, and prints the ratio. Nothing is timed here: the plot draws the
ranges published in the README (2 cores of a shared AMD EPYC with AVX-512, over runs of
release 0.1.0). ``benchmarks/README.md`` has the full tables and how to reproduce them.
"""

import matplotlib.pyplot as plt
import numpy as np

hidden_sizes = [32, 64, 128, 256]
# How many times faster than torch.nn.GRU pygru is: (low, high) over runs.
speedup = {
    "inference": [(4.0, 5.0), (2.0, 2.5), (1.4, 1.6), (1.5, 1.8)],
    "train step": [(5.0, 9.0), (3.0, 3.7), (1.4, 1.7), (1.3, 1.6)],
}

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
positions = np.arange(len(hidden_sizes))
for offset, (task, ranges) in zip((-0.18, 0.18), speedup.items()):
    low = np.array([r[0] for r in ranges])
    high = np.array([r[1] for r in ranges])
    ax.bar(positions + offset, high - low, bottom=low, width=0.32, label=task)
ax.axhline(1.0, color="k", lw=0.8)
ax.set_xticks(positions, [f"H = {h}" for h in hidden_sizes])
ax.set(
    ylabel="speed-up over torch.nn.GRU (×)",
    ylim=(0, 10),
    title="pygru / torch on 2 CPU cores (range over runs)",
)
ax.legend()
plt.show()

# %%
# The bars span the range of ratios measured over runs; 1 (the black line) would be equal
# speed. To measure on your machine: ``pip install torch==2.13.0 && python
# benchmarks/bench_cpu.py``.
