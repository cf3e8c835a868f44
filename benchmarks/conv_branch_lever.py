# This script measures a lever, not a pygru feature. Issue 16 (item 4) asked whether a
# convolutional branch beside the GRU, as in GRU-FCN (Elsayed, Maida and Bayoumi 2018, the GRU
# version of Karim et al.'s 2018 LSTM-FCN), would lift the classifier's accuracy; pygru would
# only grow one if it won across the bundled sets, not on one or two. Building it into pygru's
# NumPy/CUDA layers first would have cost far more than finding out, so all the models are
# written here in PyTorch, the GRU-only model A standing in for GRUClassifier's defaults. It
# did not win (benchmarks/README.md, "A convolutional branch (GRU-FCN), measured and not
# adopted"), so nothing here is used by pygru; the script stays so that the measurement can be
# repeated, or rerun on other data.
"""A convolutional branch beside the GRU (GRU-FCN): does it help pygru's classifier?

Six models, written in PyTorch in this script, the same for every set (a run fits A-D, the
models of the committed results, unless --models names others):

- A: GRU(64) over patches of k = ceil(T / 32) steps when the longest training series T is
  over 64 steps (k = 1 otherwise; the last patch is filled with zeros), concat pooling (the
  last state, the mean and the maximum of the GRU outputs over the valid steps), a linear
  head: GRUClassifier's default architecture and optimiser, re-implemented. Not identical to
  GRUClassifier: torch's initialisation, a zero-filled last patch (pygru repeats the last
  step), and, unless --patience auto, the patience below (pygru's "auto" waits max(10,
  ceil(500 / batches per epoch)) epochs: 42 to 250 on these splits);
- B: A + the FCN branch of LSTM-FCN (Karim, Majumdar, Darabi and Chen 2018, IEEE Access 6)
  and GRU-FCN (Elsayed, Maida and Bayoumi 2018, arXiv:1812.07683) on the raw steps: three
  Conv1d blocks of 128, 256, 128 filters, kernels 8, 5, 3 ("same" padding), each with
  BatchNorm and ReLU, then global average pooling over the valid steps, concatenated with
  A's features;
- C: A + a small branch of 32, 64, 32 filters (same kernels);
- D: the FCN branch (128, 256, 128) alone;
- E, F: C and B with layer normalisation (over each series' channels and valid steps, a
  learned scale and shift per channel) in place of batch normalisation, which is unstable in
  batches of 16 (benchmarks/README.md).

Training, the same for all: inputs standardised per feature on the training part (padded
steps set to 0), Adam with learning rate 3e-3 and weight decay 1e-4, cross-entropy, batches of
16 (split evenly, never of size 1), up to 300 epochs, stopped when the training loss has not
improved by 1e-4 for 10 epochs (--patience N; --patience auto is GRUClassifier's rule, max(10,
ceil(500 / updates per epoch)) epochs). torch.manual_seed(seed) before each model is built.

Protocol (benchmarks/README.md, "Protocol"): by default each seed splits every bundled
training set once, stratified 70 / 30 (train_test_split(random_state=seed)); every model is
fitted on the 70 % and scored on the 30 %, and the test sets are never read. --split test
fits on the archive's training set and scores on its test set instead. Reported per set and
model: mean accuracy on the evaluation part, mean training accuracy, mean CPU seconds per fit;
and wins / ties / losses of B, C and D against A on the same split and seed.

    python benchmarks/conv_branch_lever.py                 # 3 seeds, six sets, A-D (~8 min)
    python benchmarks/conv_branch_lever.py --quick         # 1 seed, 20 epochs: a smoke run
    python benchmarks/conv_branch_lever.py --split test    # the archive's test split
    python benchmarks/conv_branch_lever.py --sets ArrowHead GunPoint --models A C --no-write
    python benchmarks/conv_branch_lever.py --models A E --patience auto --model-seeds 3

Needs PyTorch (pip install torch, or the `bench` extra: pip install ".[bench]"). The report
goes to stdout and (unless --no-write) to benchmarks/results/conv_branch_lever.md, or
conv_branch_lever_test.md
for --split test.
"""

import argparse
import functools
import math
import os
import platform
import sys
import time
import warnings
from datetime import date

import numpy as np
import sklearn
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from threadpoolctl import threadpool_limits

import pygru
from pygru.datasets import UCR_DATASETS, load_ucr

# The report's mean ± std is accuracy.py's, so that both tables read alike.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from accuracy import (  # noqa: E402
    command_line,
    mean_std,
    path_from_root,
    positive_int,
    publish,
    report_file,
    writable_file,
)

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
RESULTS = {
    "validation": os.path.join(RESULTS_DIR, "conv_branch_lever.md"),
    "test": os.path.join(RESULTS_DIR, "conv_branch_lever_test.md"),
}

# --------------------------------------------------------------------------- settings
# Fixed before the first run, the same for every set; nothing is tuned per set.
MODELS = {  # name: (label, GRU branch?, convolution filters or None, normalisation)
    "A": ("GRU(64), patches, concat pooling", True, None, None),
    "B": ("A + FCN branch (128, 256, 128)", True, (128, 256, 128), "batch"),
    "C": ("A + small branch (32, 64, 32)", True, (32, 64, 32), "batch"),
    "D": ("FCN branch (128, 256, 128) alone", False, (128, 256, 128), "batch"),
    "E": ("C with layer normalisation", True, (32, 64, 32), "layer"),
    "F": ("B with layer normalisation", True, (128, 256, 128), "layer"),
}
DEFAULT_MODELS = ["A", "B", "C", "D"]  # the first run's, in results/conv_branch_lever.md
REFERENCE = "A"  # the others are counted against it
KERNELS = (8, 5, 3)
HIDDEN = 64
PATCH_TARGET = 32  # patches of ceil(T / 32) steps ...
PATCH_ABOVE = 64  # ... for series longer than 64 steps
LEARNING_RATE = 3e-3
WEIGHT_DECAY = 1e-4
BATCH_SIZE = 16
MAX_EPOCHS = 300
PATIENCE = 10  # epochs without a training-loss improvement of TOL (--patience)
AUTO_PATIENCE_UPDATES = 500  # --patience auto: GRUClassifier's rule, in optimizer updates
TOL = 1e-4
VALIDATION_FRACTION = 0.3
N_SEEDS = 3
MODEL_SEED_STEP = 1000  # --model-seeds N: each split also fitted with seed + 1000, + 2000, ...
QUICK_MAX_EPOCHS = 20  # --quick: 1 seed, 20 epochs; a smoke run, not for comparison
SHORT_NAMES = {"ItalyPowerDemand": "ItalyPower", "PickupGestureWiimoteZ": "Pickup"}


# --------------------------------------------------------------------------- helpers
def log(message):
    print(message, file=sys.stderr, flush=True)


def require_torch():
    """The torch module, or exit with a message saying how to install it."""
    try:
        import torch
    except ImportError:
        sys.exit(
            "benchmarks/conv_branch_lever.py needs PyTorch, which pygru does not: "
            'pip install torch (or pip install ".[bench]" in pygru\'s source folder)'
        )
    return torch


def to_padded(X):
    """(n, T_max, F) float32 array, NaN after each series' end, and the lengths; from a 3-D
    array (NaN-padded or not) or a list of (T_i, F) arrays."""
    if isinstance(X, np.ndarray) and X.ndim == 3:
        padded = X.astype(np.float32)
        valid = ~np.isnan(padded).all(axis=2)
        lengths = np.where(valid.all(axis=1), valid.shape[1], np.argmin(valid, axis=1))
    else:
        lengths = np.array([len(x) for x in X])
        padded = np.full((len(X), lengths.max(), X[0].shape[1]), np.nan, np.float32)
        for i, x in enumerate(X):
            padded[i, : len(x)] = x
    return padded, lengths.astype(np.int64)


def standardise(X_train, X_eval):
    """Both parts scaled by the training part's per-feature mean and std, NaN set to 0."""
    mean = np.nanmean(X_train, axis=(0, 1))
    scale = np.nanstd(X_train, axis=(0, 1))
    scale[scale == 0] = 1
    return [
        np.nan_to_num((X - mean) / scale, nan=0.0).astype(np.float32) for X in (X_train, X_eval)
    ]


def make_splits(name, split, seeds):
    """[(seed, (X, lengths, y) to fit, (X, lengths, y) to score)], labels encoded 0..k-1."""
    X_train, y_train, X_test, y_test = load_ucr(name, return_X_y=True)
    X_train, len_train = to_padded(X_train)
    X_test, len_test = to_padded(X_test)
    encoder = LabelEncoder().fit(y_train)
    y_train = encoder.transform(y_train)
    out = []
    for seed in seeds:
        if split == "validation":
            fit, held = train_test_split(
                np.arange(len(y_train)),
                test_size=VALIDATION_FRACTION,
                random_state=seed,
                stratify=y_train,
            )
            parts = [(X_train[i], len_train[i], y_train[i]) for i in (fit, held)]
        else:
            parts = [(X_train, len_train, y_train), (X_test, len_test, encoder.transform(y_test))]
        (Xa, la, ya), (Xb, lb, yb) = parts
        Xa, Xb = standardise(Xa[:, : la.max()], Xb[:, : lb.max()])
        out.append((seed, (Xa, la, ya), (Xb, lb, yb)))
    return out, len(encoder.classes_)


# --------------------------------------------------------------------------- the models
@functools.cache
def model_class():
    """The torch.nn.Module of the six models (defined once torch is known to be there)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def valid_steps(lengths, T):
        return torch.arange(T)[None, :] < lengths[:, None]  # (B, T) bool

    class MaskedLayerNorm(nn.Module):
        """Layer normalisation of each series over its channels and valid steps (GroupNorm
        with one group, but blind to the padding), with a learned scale and shift per
        channel: unlike batch normalisation, the same in training and at prediction, and
        independent of the other series in a batch."""

        def __init__(self, channels, eps=1e-5):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(channels))
            self.bias = nn.Parameter(torch.zeros(channels))
            self.eps = eps

        def forward(self, h, valid):  # h: (B, C, T), valid: (B, 1, T) of 0 / 1
            count = valid.sum((1, 2), keepdim=True) * h.shape[1]
            mean = (h * valid).sum((1, 2), keepdim=True) / count
            var = (((h - mean) * valid) ** 2).sum((1, 2), keepdim=True) / count
            h = (h - mean) / torch.sqrt(var + self.eps)
            return h * self.weight[None, :, None] + self.bias[None, :, None]

    class GRUWithConvBranch(nn.Module):
        def __init__(self, T, n_features, n_classes, gru, filters, norm):
            super().__init__()
            self.use_gru, self.filters = gru, filters
            width = 0
            if gru:
                self.patch = math.ceil(T / PATCH_TARGET) if T > PATCH_ABOVE else 1
                self.gru = nn.GRU(n_features * self.patch, HIDDEN, batch_first=True)
                width += 3 * HIDDEN  # last, mean, max
            if filters:
                blocks, channels = [], n_features
                for n_filters, kernel in zip(filters, KERNELS):
                    conv = nn.Conv1d(channels, n_filters, kernel, padding="same")
                    normalise = (
                        nn.BatchNorm1d(n_filters)
                        if norm == "batch"
                        else MaskedLayerNorm(n_filters)
                    )
                    blocks.append(nn.ModuleDict(dict(conv=conv, norm=normalise)))
                    channels = n_filters
                self.blocks = nn.ModuleList(blocks)
                width += filters[-1]
            self.head = nn.Linear(width, n_classes)

        def gru_features(self, x, lengths):
            B, T, n_features = x.shape
            p = self.patch
            if p > 1:
                T_full = math.ceil(T / p) * p
                x = F.pad(x, (0, 0, 0, T_full - T)).reshape(B, T_full // p, p * n_features)
                lengths = (lengths + p - 1) // p
            out, _ = self.gru(x)  # (B, S, H)
            valid = valid_steps(lengths, out.shape[1]).unsqueeze(-1)
            last = out[torch.arange(B), lengths - 1]
            mean = (out * valid).sum(1) / lengths[:, None].float()
            largest = out.masked_fill(~valid, float("-inf")).max(1).values
            return [last, mean, largest]

        def conv_features(self, x, lengths):
            valid = valid_steps(lengths, x.shape[1]).unsqueeze(1).float()  # (B, 1, T)
            h = x.transpose(1, 2)
            for block in self.blocks:
                h = block["conv"](h)
                h = (
                    block["norm"](h, valid)
                    if isinstance(block["norm"], MaskedLayerNorm)
                    else block["norm"](h)
                )
                h = F.relu(h) * valid  # padded steps stay 0
            return [h.sum(2) / lengths[:, None].float()]  # average over the valid steps

        def forward(self, x, lengths):
            """x: (B, T, F) standardised, 0 after each series' end; lengths: (B,)."""
            features = []
            if self.use_gru:
                features += self.gru_features(x, lengths)
            if self.filters:
                features += self.conv_features(x, lengths)
            return self.head(torch.cat(features, 1))

    return GRUWithConvBranch


def build_model(model, T, n_features, n_classes):
    _, gru, filters, norm = MODELS[model]
    return model_class()(T, n_features, n_classes, gru=gru, filters=filters, norm=norm)


def epochs_of_patience(patience, n_batches):
    """``patience`` epochs, or for "auto" GRUClassifier's n_iter_no_change="auto":
    max(10, ceil(500 / updates per epoch))."""
    if patience == "auto":
        return max(10, math.ceil(AUTO_PATIENCE_UPDATES / n_batches))
    return patience


def fit(model_name, train, n_classes, seed, max_epochs, patience):
    """Fitted model, CPU seconds, epochs run, mean training loss of the last epoch (in
    training mode: BatchNorm on batch statistics)."""
    import torch
    import torch.nn.functional as F

    X, lengths, y = (torch.from_numpy(a) for a in train)
    y = y.long()
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    model = build_model(model_name, X.shape[1], X.shape[2], n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    n = len(X)
    n_batches = math.ceil(n / BATCH_SIZE)
    patience_epochs = epochs_of_patience(patience, n_batches)
    best, bad, epochs = float("inf"), 0, 0
    start = time.process_time()
    while epochs < max_epochs:
        epochs += 1
        model.train()
        total = 0.0
        for index in np.array_split(rng.permutation(n), n_batches):
            index = torch.from_numpy(index)
            batch_lengths = lengths[index]
            logits = model(X[index, : int(batch_lengths.max())], batch_lengths)
            loss = F.cross_entropy(logits, y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        total /= n
        if total < best - TOL:
            best, bad = total, 0
        else:
            bad += 1
            if bad >= patience_epochs:
                break
    return model, time.process_time() - start, epochs, total


def accuracy(model, part):
    import torch

    X, lengths, y = part
    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy(X), torch.from_numpy(lengths)).argmax(1).numpy()
    return float(np.mean(predicted == y))


# --------------------------------------------------------------------------- one set
def run_set(name, models, seeds, split, max_epochs, patience, model_seeds=1):
    """{model: {"eval": [...], "train": [...], "cpu": [...], "epochs": [...]}} over seeds."""
    splits, n_classes = make_splits(name, split, seeds)
    result = {m: dict(eval=[], train=[], cpu=[], epochs=[], params=0) for m in models}
    fits = [
        (seed, train, held, seed + MODEL_SEED_STEP * j)
        for j in range(model_seeds)
        for seed, train, held in splits
    ]
    for seed, train, held, model_seed in fits:
        for m in models:
            model, cpu, epochs, loss = fit(m, train, n_classes, model_seed, max_epochs, patience)
            r = result[m]
            r["eval"].append(accuracy(model, held))
            r["train"].append(accuracy(model, train))
            r["cpu"].append(cpu)
            r["epochs"].append(epochs)
            r["params"] = sum(p.numel() for p in model.parameters())
            log(
                f"[{name}] seed {seed} model seed {model_seed} {m}: accuracy "
                f"{r['eval'][-1]:.3f}  train "
                f"{r['train'][-1]:.3f} (last epoch's loss {loss:.3f})  {cpu:.1f} s CPU, "
                f"{epochs} epochs"
            )
    return result


# --------------------------------------------------------------------------- report
def wins_ties_losses(results, model, sets):
    """Counts of (set, seed) fits where model scored above, equal to, below the reference."""
    w = t = l = 0
    for name in sets:
        ours, ref = (
            np.array(results[name][model]["eval"]),
            np.array(results[name][REFERENCE]["eval"]),
        )
        w += int(np.sum(ours > ref + 1e-9))
        l += int(np.sum(ours < ref - 1e-9))
        t += int(np.sum(np.abs(ours - ref) <= 1e-9))
    return f"{w} / {t} / {l}"


def protocol_rule(results, model, sets):
    """benchmarks/README.md's rule: a higher mean over the sets, and on no set lower than the
    reference by more than the candidate's seed-to-seed std."""
    means = [np.mean(results[s][model]["eval"]) for s in sets]
    ref = [np.mean(results[s][REFERENCE]["eval"]) for s in sets]
    worse = [
        SHORT_NAMES.get(s, s)
        for s, m, r in zip(sets, means, ref)
        if m < r - np.std(results[s][model]["eval"])
    ]
    if np.mean(means) <= np.mean(ref):
        return "no: mean not higher" + (f"; lower on {', '.join(worse)}" if worse else "")
    return f"no: lower on {', '.join(worse)}" if worse else "yes"


def report(results, models, sets, seeds, split, max_epochs, patience, model_seeds=1):
    where = (
        "the archive's test split"
        if split == "test"
        else f"a stratified {VALIDATION_FRACTION:.0%} inner split of each training set, one "
        "per seed (the test sets are not read)"
    )
    compare = REFERENCE in models
    lines = [
        f"## Accuracy on {where}",
        "",
        f"Mean over {len(seeds)} seed(s) ({', '.join(map(str, seeds))})"
        + (
            f", each split fitted with {model_seeds} model seeds (seed + {MODEL_SEED_STEP} × j)"
            if model_seeds > 1
            else ""
        )
        + "; every model fitted "
        f"up to {max_epochs} epochs, stopped after {patience_text(patience)} without a "
        "training-loss improvement. Models (docstring of `benchmarks/conv_branch_lever.py`):",
        "",
    ]
    lines += [f"- **{m}**: {MODELS[m][0]}" for m in models]
    lines += [
        "",
        "| model | "
        + " | ".join(SHORT_NAMES.get(s, s) for s in sets)
        + " | mean |"
        + (f" W / T / L vs {REFERENCE} (fits) |" if compare else "")
        + (" adopt by the protocol rule? |" if compare and split == "validation" else ""),
        "|---|"
        + "---|" * (len(sets) + 1)
        + ("---|" if compare else "")
        + ("---|" if compare and split == "validation" else ""),
    ]
    for m in models:
        means = [np.mean(results[s][m]["eval"]) for s in sets]
        line = (
            f"| {m} | " + " | ".join(f"{v:.3f}" for v in means) + f" | **{np.mean(means):.3f}** |"
        )
        if compare:
            line += " – |" if m == REFERENCE else f" {wins_ties_losses(results, m, sets)} |"
            if split == "validation":
                line += " – |" if m == REFERENCE else f" {protocol_rule(results, m, sets)} |"
        lines.append(line)
    lines += [
        "",
        "W / T / L: fits (one per set and seed, same split) where the model's accuracy was "
        f"above / equal to / below {REFERENCE}'s. Protocol rule (`benchmarks/README.md`): a "
        "higher mean over the sets, and on no set lower by more than the model's seed-to-seed "
        "standard deviation.",
        "",
        "### Per set and model",
        "",
        "| data set | model | accuracy | train acc. | CPU s per fit"
        + (f" (× {REFERENCE})" if compare else "")
        + " | epochs | parameters |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in sets:
        ref_cpu = np.mean(results[s][REFERENCE]["cpu"]) if compare else None
        for m in models:
            r = results[s][m]
            cpu = np.mean(r["cpu"])
            ratio = f" (× {cpu / ref_cpu:.1f})" if compare else ""
            lines.append(
                f"| {s} | {m} | {mean_std(r['eval'])} | {mean_std(r['train'])} | "
                f"{cpu:.1f}{ratio} | {' '.join(map(str, r['epochs']))} | {r['params']:,} |"
            )
    cpu_means = {m: np.mean([np.mean(results[s][m]["cpu"]) for s in sets]) for m in models}
    lines += [
        "",
        "CPU s per fit, mean over the sets: "
        + ", ".join(f"{m} {cpu_means[m]:.1f}" for m in models)
        + ". Epochs: one per fit; parameters: of the last fit (the GRU's input width depends "
        "on the patch size and the number of features).",
    ]
    return lines


# --------------------------------------------------------------------------- main
def patience_setting(text):
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'expected a positive integer or "auto", got {text!r}')
    return int(text)


def patience_text(patience):
    if patience == "auto":
        return "max(10, ceil(500 / updates per epoch)) epochs (GRUClassifier's rule)"
    return f"{patience} epochs"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=positive_int, default=N_SEEDS, help=f"default {N_SEEDS}")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"1 seed, {QUICK_MAX_EPOCHS} epochs: a smoke run, not for comparison",
    )
    parser.add_argument(
        "--sets",
        nargs="+",
        default=list(UCR_DATASETS),
        choices=UCR_DATASETS,
        help="bundled sets to run (default: all six)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=DEFAULT_MODELS,
        choices=list(MODELS),
        help=f"models to fit, from the docstring (default {' '.join(DEFAULT_MODELS)}; E and F "
        "are C and B with layer normalisation)",
    )
    parser.add_argument(
        "--split",
        choices=["validation", "test"],
        default="validation",
        help="validation: the inner 70/30 split of each training set (default); test: the "
        "archive's test split",
    )
    parser.add_argument(
        "--model-seeds",
        type=positive_int,
        default=1,
        help="fit each split with this many model seeds (seed, seed + 1000, ...); default 1",
    )
    parser.add_argument(
        "--patience",
        type=patience_setting,
        default=PATIENCE,
        help=f"epochs without a training-loss improvement before stopping (default {PATIENCE}), "
        'or "auto": GRUClassifier\'s rule, max(10, ceil(500 / updates per epoch))',
    )
    parser.add_argument(
        "--threads", type=positive_int, default=1, help="torch/BLAS threads (default 1)"
    )
    parser.add_argument(
        "--output",
        type=writable_file,
        help=f"report file (default {path_from_root(RESULTS['validation'])}, or "
        f"{path_from_root(RESULTS['test'])} with --split test; a --quick run writes only to "
        "--output)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    torch = require_torch()
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:  # already set, or torch already ran parallel work in this process
        pass
    seeds = list(range(1 if args.quick else args.seeds))
    max_epochs = QUICK_MAX_EPOCHS if args.quick else MAX_EPOCHS
    models = [m for m in MODELS if m in args.models]  # in A-F order
    output = report_file(args, RESULTS[args.split])  # a --quick run only to an --output

    start = time.perf_counter()
    with threadpool_limits(args.threads), warnings.catch_warnings():
        # "padding='same' with even kernel lengths ... may require a zero-padded copy"
        warnings.filterwarnings("ignore", message="Using padding='same'")
        results = {
            name: run_set(
                name, models, seeds, args.split, max_epochs, args.patience, args.model_seeds
            )
            for name in args.sets
        }
    elapsed = time.perf_counter() - start

    command = command_line("conv_branch_lever.py", argv)
    header = [
        "# A convolutional branch beside the GRU (GRU-FCN): a lever measured in PyTorch",
        "",
        f"Written by `{command}` on {date.today().isoformat()}: pygru {pygru.__version__}, "
        f"PyTorch {torch.__version__}, scikit-learn {sklearn.__version__}, NumPy "
        f"{np.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPU(s), "
        f"{args.threads} thread(s); total {elapsed / 60:.1f} min. "
        + (
            f"**--quick run: 1 seed, {QUICK_MAX_EPOCHS} epochs; not for comparison.** "
            if args.quick
            else ""
        )
        + "All the models are written in PyTorch in the script (pygru's own branch is "
        "its conv_layers option). "
        'Protocol and conclusion: `benchmarks/README.md`, "A convolutional branch '
        '(GRU-FCN): an option (`conv_layers`), not a default".',
        "",
    ]
    text = "\n".join(
        header
        + report(
            results,
            models,
            args.sets,
            seeds,
            args.split,
            max_epochs,
            args.patience,
            args.model_seeds,
        )
    )
    text += "\n"
    publish(text, output)
    return results


if __name__ == "__main__":
    main()
