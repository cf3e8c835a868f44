"""``python -m pygru``: train a GRUClassifier on a bundled UCR/UEA data set, print the score.

    python -m pygru                          # ItalyPowerDemand
    python -m pygru --dataset ArrowHead --no-bidirectional
    python -m pygru --dataset GunPoint --patch-size 1 --epochs 80

Long series are read in patches (``patch_size="auto"``, at most 32 GRU steps for the
longest training series); everything else is GRUClassifier's defaults.
"""

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
import warnings

from sklearn.exceptions import ConvergenceWarning

from pygru._version import __version__
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


def _dataset(text):
    """A bundled set's name in any case, as load_ucr reads it ("gunpoint" is GunPoint);
    another name is left for argparse's choices to refuse."""
    return {name.lower(): name for name in UCR_DATASETS}.get(text.lower(), text)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The examples as written, and each option's default."""


# What a shell reports for a program stopped by Ctrl-C (128 + SIGINT).
INTERRUPTED = 130


def _parser():
    # The module docstring's examples; python -OO strips docstrings, and the help with them.
    epilog = "examples:\n" + __doc__.split("\n\n")[1] if __doc__ else None
    parser = argparse.ArgumentParser(
        prog="python -m pygru",
        description="Train a GRUClassifier on a bundled UCR/UEA data set, print the score.",
        epilog=epilog,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pygru {__version__}")
    parser.add_argument(
        "--dataset",
        default="ItalyPowerDemand",
        type=_dataset,
        choices=sorted(UCR_DATASETS),
        help="the bundled data set (in any case), trained on its training split and scored "
        "on its test split",
    )
    parser.add_argument("--hidden", type=_positive_int, default=64, help="GRU hidden units")
    parser.add_argument("--epochs", type=_positive_int, default=300, help="maximum epochs")
    parser.add_argument(
        "--patch-size",
        default="auto",
        type=_patch_size,
        help='time steps per GRU step: a positive int, or "auto"',
    )
    parser.add_argument(
        "--bidirectional",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read each sequence in both directions, or forwards only",
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, help="random_state: the same seed, the same model"
    )
    return parser


@contextlib.contextmanager
def _noting_ctrl_c(interrupted):
    """Let Ctrl-C interrupt as usual (the estimator then keeps its last completed epoch),
    and note that it came: ``interrupted`` (a list) gets an entry. Signal handlers can only
    be set from the main thread; elsewhere nothing is noted. A process started to ignore
    Ctrl-C (a background job of a script's shell) goes on ignoring it."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    ):
        yield
        return

    def note_and_interrupt(signum, frame):
        interrupted.append(signum)
        signal.default_int_handler(signum, frame)

    previous = signal.signal(signal.SIGINT, note_and_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv=None):
    """Run the command; returns its exit status: 0, or 130 after Ctrl-C (the model of the
    last completed epoch is still scored)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:  # loads the kernels: PYGRU_CPU_KERNELS=bogus, or one this CPU lacks, is refused
        from pygru import GRUClassifier
    except (ValueError, RuntimeError, ImportError) as error:
        if isinstance(error, ImportError) and not (error.name or "pygru").startswith("pygru"):
            raise  # a broken environment (scipy missing, say) is no usage error
        parser.error(str(error))  # a traceback for every call before, --help included

    data = load_ucr(args.dataset)
    clf = GRUClassifier(
        hidden_layer_sizes=(args.hidden,),
        max_iter=args.epochs,
        patch_size=args.patch_size,
        bidirectional=args.bidirectional,
        random_state=args.seed,
    )
    start = time.perf_counter()
    interrupted = []
    with warnings.catch_warnings(), _noting_ctrl_c(interrupted):
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            clf.fit(data.X_train, data.y_train)
        except (ValueError, MemoryError) as error:  # settings this data set cannot take
            parser.error(
                f"{str(error) or type(error).__name__} (--hidden {args.hidden}, "
                f"--patch-size {args.patch_size})"
            )
    elapsed = time.perf_counter() - start
    accuracy = clf.score(data.X_test, data.y_test)
    kind = "bidirectional GRU" if args.bidirectional else "GRU"
    epochs = f"{clf.n_iter_} epoch{'' if clf.n_iter_ == 1 else 's'}"
    line = (
        f"{data.name}: {kind}({args.hidden}) trained on {len(data.y_train)} sequences for "
        f"{epochs}{' (interrupted)' if interrupted else ''} in {elapsed:.1f} s; test "
        f"accuracy on {len(data.y_test)} sequences: {accuracy:.3f}"
    )
    try:
        print(line, flush=True)
    except BrokenPipeError:
        # The reader left (python -m pygru | true): exit quietly, as Python's signal
        # documentation advises, without a second error when stdout is flushed at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return INTERRUPTED if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
