"""``python -m pygru``: train a GRUClassifier on a bundled UCR/UEA data set, print the score.

    python -m pygru                          # ItalyPowerDemand
    python -m pygru --dataset ArrowHead --no-bidirectional
    python -m pygru --dataset GunPoint --patch-size 1 --epochs 80

Long series are read in patches (``patch_size="auto"``, at most 32 GRU steps for the
longest training series); everything else is GRUClassifier's defaults.
"""

import argparse
import time
import warnings

from sklearn.exceptions import ConvergenceWarning

from pygru import GRUClassifier, __version__
from pygru.datasets import UCR_DATASETS, load_ucr


def _positive_int(text):
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _seed(text):
    if not (text.isascii() and text.isdigit()) or int(text) > 2**32 - 1:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 2**32 - 1, got {text!r}")
    return int(text)


def _patch_size(text):
    if text == "auto":
        return text
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f'expected a positive integer or "auto", got {text!r}')
    return int(text)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m pygru",
        description="Train a GRUClassifier on a bundled UCR/UEA data set, print the score.",
    )
    parser.add_argument("--version", action="version", version=f"pygru {__version__}")
    parser.add_argument("--dataset", default="ItalyPowerDemand", choices=sorted(UCR_DATASETS))
    parser.add_argument("--hidden", type=_positive_int, default=64, help="GRU hidden units")
    parser.add_argument("--epochs", type=_positive_int, default=300, help="maximum epochs")
    parser.add_argument(
        "--patch-size",
        default="auto",
        type=_patch_size,
        help='time steps per GRU step: a positive int, or "auto" (the default)',
    )
    parser.add_argument(
        "--bidirectional",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read each sequence in both directions (the default) or forwards only",
    )
    parser.add_argument("--seed", type=_seed, default=0)
    args = parser.parse_args(argv)

    data = load_ucr(args.dataset)
    clf = GRUClassifier(
        hidden_layer_sizes=(args.hidden,),
        max_iter=args.epochs,
        patch_size=args.patch_size,
        bidirectional=args.bidirectional,
        random_state=args.seed,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.X_train, data.y_train)
    elapsed = time.perf_counter() - start
    accuracy = clf.score(data.X_test, data.y_test)
    kind = "bidirectional GRU" if args.bidirectional else "GRU"
    print(
        f"{data.name}: {kind}({args.hidden}) trained on {len(data.y_train)} sequences for "
        f"{clf.n_iter_} epochs in {elapsed:.1f} s; test accuracy on {len(data.y_test)} "
        f"sequences: {accuracy:.3f}"
    )


if __name__ == "__main__":
    main()
