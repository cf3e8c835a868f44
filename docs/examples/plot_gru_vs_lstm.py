"""
GRU against LSTM
================

pygru's :class:`~pygru.GRUClassifier` against a PyTorch ``torch.nn.LSTM`` of the same width
(32 units, a linear head on the last state, ``pooling="last"`` for pygru, whose default
head also reads the mean and maximum over time; Adam at 3e-3, batches of 16) on the bundled UCR
ItalyPowerDemand set (67 training and 1,029 test days of 24 hours). A ``torch.nn.GRU`` trained
by the same loop as the LSTM is the control: torch GRU against torch LSTM is the *GRU vs LSTM*
question (same library, same loop), pygru GRU against torch GRU the *library* question.

To keep the build fast this is **one seed and 30 epochs**, so the accuracies are noisy and
below what longer training reaches; ``notebooks/06_gru_vs_lstm.ipynb`` runs three seeds on two
data sets. The fit times are the wall clock of one fit on the machine that built this page,
one thread per library, after an untimed warm-up fit: they vary from run to run. Without
PyTorch (``pip install torch``) the example still runs and shows pygru alone.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from pygru import GRUClassifier
from pygru.datasets import load_italy_power_demand

try:
    import torch
except ImportError:
    torch = None
    print("PyTorch is not installed: only pygru is shown.")

# A fixed epoch budget on purpose (no early stopping): the "not converged" warning is expected.
warnings.simplefilter("ignore", ConvergenceWarning)

WIDTH, BATCH_SIZE, LEARNING_RATE, EPOCHS, SEED = 32, 16, 3e-3, 30, 0

X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
# One standardisation for every model (learned on the training days).
mean, std = X_train.mean(), X_train.std()
X_train = ((X_train - mean) / std).astype(np.float32)
X_test = ((X_test - mean) / std).astype(np.float32)
classes = np.unique(y_train)


def fit_pygru(epochs):
    model = GRUClassifier(
        hidden_layer_sizes=(WIDTH,),
        learning_rate_init=LEARNING_RATE,
        batch_size=BATCH_SIZE,
        max_iter=epochs,
        n_iter_no_change=epochs,
        alpha=0.0,
        standardize=False,
        patch_size=None,
        pooling="last",  # the head reads the last state, as the torch models' heads do
        bidirectional=False,  # one direction and the last step's weights, as torch trains
        ema_momentum=None,
        window_warp=None,  # the series as they are: no augmentation, as torch trains
        random_state=SEED,
    )
    return model.fit(X_train, y_train)


# %%
# The torch models and their training loop
# ----------------------------------------
# The textbook loop: shuffle, cut into batches, forward, cross-entropy, backward, Adam step.
# All sequences have 24 steps, so the last state is ``h_n`` (for the LSTM the first element
# of ``(h_n, c_n)``).
if torch is not None:

    class RecurrentClassifier(torch.nn.Module):
        def __init__(self, cell):
            super().__init__()
            self.rnn = cell(X_train.shape[2], WIDTH, batch_first=True)
            self.head = torch.nn.Linear(WIDTH, len(classes))

        def forward(self, x):
            _, state = self.rnn(x)
            if isinstance(state, tuple):  # LSTM: (h_n, c_n)
                state = state[0]
            return self.head(state[-1])

    def fit_torch(cell, epochs):
        torch.manual_seed(SEED)
        rng = np.random.default_rng(SEED)
        x = torch.from_numpy(X_train)
        y = torch.from_numpy(np.searchsorted(classes, y_train))
        model = RecurrentClassifier(cell)
        optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        for _ in range(epochs):
            order = torch.from_numpy(rng.permutation(len(x)))
            for start in range(0, len(x), BATCH_SIZE):
                batch = order[start : start + BATCH_SIZE]
                loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return model


def fit(name, epochs):
    if name == "pygru GRU":
        return fit_pygru(epochs)
    return fit_torch(torch.nn.GRU if name == "torch GRU" else torch.nn.LSTM, epochs)


def test_accuracy(name, model):
    if name == "pygru GRU":
        return model.score(X_test, y_test)
    with torch.no_grad():
        logits = model(torch.from_numpy(X_test))
    return np.mean(classes[logits.argmax(1).numpy()] == y_test)


def n_parameters(name, model):
    if name == "pygru GRU":
        return model.network_.params.size
    return sum(p.numel() for p in model.parameters())


# %%
# One fit of each model
# ---------------------
# One thread for each library, so that the times compare the implementations, not the
# thread pools (torch's thread count is restored afterwards).
MODELS = ["pygru GRU"] + (["torch GRU", "torch LSTM"] if torch is not None else [])
results = {}
with threadpool_limits(1, user_api="openmp"):
    torch_threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        for name in MODELS:
            fit(name, 1)  # warm-up, not timed
            start = time.perf_counter()
            model = fit(name, EPOCHS)
            seconds = time.perf_counter() - start
            results[name] = (test_accuracy(name, model), seconds, n_parameters(name, model))
            print(
                f"{name:10}  test accuracy {results[name][0]:.3f}  fit {seconds:5.2f} s  "
                f"{results[name][2]:,} parameters"
            )
    finally:
        if torch is not None:
            torch.set_num_threads(torch_threads)

# %%
# The three numbers side by side. With the same width an LSTM has four gate blocks where a
# GRU has three: its recurrent layer holds exactly 4/3 of the GRU's weights
# (``4·W·(F + W + 2)`` against ``3·W·(F + W + 2)``, ``F = 1`` feature, ``W = 32`` units), and
# pygru's GRU holds the same weights as torch's (two bias vectors per gate). With one seed, an
# accuracy difference of a point or two says nothing: the notebook's three seeds show the
# spread.
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), layout="constrained")
colors = [f"C{k}" for k in range(len(MODELS))]
for ax, k, label in zip(
    axes, range(3), ("test accuracy", "fit time, s (1 thread, one run)", "parameters")
):
    values = [results[name][k] for name in MODELS]
    ax.bar(range(len(MODELS)), values, color=colors)
    ax.set_xticks(range(len(MODELS)), MODELS, fontsize=8)
    ax.set_title(label, fontsize=10)
    for i, value in enumerate(values):
        text = f"{value:.3f}" if k == 0 else f"{value:.2f}" if k == 1 else f"{value:,}"
        ax.annotate(text, (i, value), ha="center", va="bottom", fontsize=8)
axes[0].set_ylim(0.5, 1.0)
fig.suptitle(f"ItalyPowerDemand, width {WIDTH}, {EPOCHS} epochs, seed {SEED}", fontsize=10)
plt.show()
