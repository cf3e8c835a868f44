"""scikit-learn estimators: GRUClassifier and GRURegressor.

The estimators are thin: input checking (``_sequences``), the training loop, and the
scikit-learn API. The model is a ``GRUNetwork`` (``_network``), the updates come from
``_optimizers`` and the loss from ``_losses``. Parameter names and fitted attributes follow
``sklearn.neural_network.MLPClassifier``; layer options follow Keras' ``GRU``.
"""

import contextlib
import copy
import functools
import inspect
import numbers
import sys
import time
from abc import ABCMeta, abstractmethod
from collections.abc import MappingView, Set
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from pygru import _losses, _sequences
from pygru._arrays import to_host
from pygru._cuda import device_module
from pygru._fitted_state import (
    VALUES_BEFORE_ADDED,
    as_string_array,
    describe_network,
    read_array,
    read_choice,
    read_count,
    read_flag,
    read_float,
    read_float_list,
    read_generator,
    read_network,
    required,
)
from pygru._fork import after_fork_in_child
from pygru._linear import chosen_penalty, ridge_blocked_errors, ridge_loo
from pygru._network import (
    INITIALIZERS,
    MAX_LINEAR_STEPS,
    MAX_LINEAR_VALUES,
    POOLINGS,
    GRUNetwork,
    last_steps_window,
)
from pygru._numbers import is_integer, refuse_bools_for_counts, refuse_bools_in_a_list_of_counts
from pygru._optimizers import WeightAverage, clip_gradients, make_optimizer, make_schedule
from pygru._sklearn_private import (
    Interval,
    Options,
    StrOptions,
    _check_sample_weight,
    _fit_context,
)
from pygru._warnings import warn

# Prediction runs the network over chunks of at most _PREDICT_BATCH sequences; on the CPU
# over fewer (not under _PREDICT_MIN_BATCH) when one layer's outputs (n, T, width) would
# exceed _PREDICT_CHUNK_BYTES. glibc hands larger temporaries back to the kernel after each
# pass and faults them in again on the next: at 512 sequences of ArrowHead or JapaneseVowels
# that cost 2,200-2,700 page faults and 15-22 % of predict's time (benchmarks/README.md).
_PREDICT_BATCH = 512
_PREDICT_MIN_BATCH = 64
_PREDICT_CHUNK_BYTES = 4 << 20
# Long sequences (rows over 1 MiB) go in fewer than _PREDICT_MIN_BATCH, down to one, so that
# a chunk's layer outputs stay within this (64 sequences of 20,000 steps peaked at 1.6 GB).
_PREDICT_MAX_CHUNK_BYTES = 64 << 20
# patch_size="auto": sequences up to _AUTO_PATCH_FROM steps are read step by step; longer
# ones in patches that make the longest training sequence _AUTO_PATCH_STEPS GRU steps.
_AUTO_PATCH_FROM = 64
# The ridge penalties among which leave-one-out cross-validation chooses the linear skip's
# starting point (inputs standardised; for inputs that are not, times their variance), wide
# enough that the choice falls inside: 1e-3..1e3 cut it at both ends on two held-out sets,
# spectra whose steps are nearly collinear (Tecator, 3e-6 to 3e-5 on inner splits) and a
# target with little signal (Covid3Month, 1e4); the bundled series choose 0.1 to 32.
_LINEAR_SKIP_ALPHAS = np.logspace(-6, 6, 25)
# Validation inputs whose mean is this many times the training inputs' scale away missed a
# transformation, most likely (a series 10 deviations past its training range is rare).
_FAR_FROM_TRAINING = 10.0
# partial_fit's first call chooses the skip's penalties; with fewer sequences the correction
# test's five blocks hold under ten each (a warning says so).
_FEW_FOR_PENALTIES = 50
# Held-out blocks of the training sequences (in their order) that test whether the untrained
# GRU's features add to the linear skip's window, and choose the penalty on the GRU's
# correction where they do (_correction_alpha).
_CORRECTION_BLOCKS = 5
# The share of its initial weights the head that carries the GRU's correction starts with
# (beside the linear skip's ridge, which training falls back to): with weights zero, the GRU
# layers get no gradient from the loss, only from the L2 penalty, whose Adam steps shrink
# them before the correction can use them (_fit_linear_skip).
_CORRECTION_START_SHARE = 0.1
# A fit off the ridge that max_iter ended within this many epochs may not have come back
# down from the rise of Adam's first steps (one or two epochs on random walks): the
# warning of a rise says so, and to try more epochs, besides a smaller learning rate.
_EARLY_EPOCHS = 10
_AUTO_PATCH_STEPS = 32
# How numeric input is scaled, as fit learns it (cleared by each first fit)
_INPUT_SCALING_ATTRIBUTES = ("input_mean_", "input_scale_", "sequence_spread_floor_")
_AUTO_MIN_UPDATES = 500  # n_iter_no_change="auto": patience of at least this many updates
_AUTO_MIN_PATIENCE = 10  # ... and of at least this many epochs
# What the optimizer is made with: partial_fit starts a new one when set_params changes them.
_OPTIMIZER_SETTINGS = (
    "solver",
    "learning_rate",
    "learning_rate_init",
    "power_t",
    "decay_rate",
    "tol",
    "n_iter_no_change",  # the adaptive schedule's patience
    "momentum",
    "nesterovs_momentum",
    "beta_1",
    "beta_2",
    "epsilon",
    "rho",
)
# window_warp="auto": the share of each sequence's steps that a warped window covers, where
# the input is numeric and there is one prediction per sequence (benchmarks/README.md).
_AUTO_WINDOW_WARP = 0.05
# ... where the training sequences' consecutive steps correlate at least this much (median)
_AUTO_WARP_MIN_STEP_CORRELATION = 0.5


# The estimators whose fit or partial_fit is running (by id), so that another call on one of
# them (from its own callback, or from another thread) is refused rather than interleaved with
# it. A forked child runs none of them.
_FITTING = {}
after_fork_in_child(_FITTING.clear)


def _one_fit_at_a_time(fit):
    """Refuse to start ``fit`` on an estimator whose own fit is running: the two would
    share its network, optimizer and record (a callback that refits ended with 5 epochs of
    max_iter=3, or a broadcasting error after a change of width)."""

    @functools.wraps(fit)
    def guarded(self, *args, **kwargs):
        running = object()
        if _FITTING.setdefault(id(self), running) is not running:  # atomic: one winner
            raise RuntimeError(
                f"this {type(self).__name__} is being fitted already (fit or partial_fit was "
                "called from one of its callbacks, or from another thread while it trains); "
                "wait for that call to end, or fit a copy (sklearn.base.clone)"
            )
        try:
            return fit(self, *args, **kwargs)
        finally:
            _FITTING.pop(id(self), None)  # a child forked during the call has none

    return guarded


class BaseGRU(BaseEstimator, metaclass=ABCMeta):
    """Shared parameters, training loop and prediction of the GRU estimators."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "reset_after": ["boolean"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "vocabulary_size": [Interval(Integral, 1, None, closed="left"), None],
        "pooling": [StrOptions(set(POOLINGS))],
        "conv_layers": [list, tuple, None],
        "solver": [StrOptions({"sgd", "adam", "rmsprop"})],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "exponential"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "decay_rate": [Interval(Real, 0, 1, closed="right")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "ema_momentum": [Interval(Real, 0, 1, closed="left"), None],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "recurrent_dropout": [Interval(Real, 0, 1, closed="left")],
        "clipnorm": [Interval(Real, 0, None, closed="neither"), None],
        "clipvalue": [Interval(Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "validation_split": [StrOptions({"random", "last"})],
        "n_iter_no_change": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "callbacks": [list, tuple, callable, None],
        "kernel_initializer": [StrOptions(set(INITIALIZERS))],
        "recurrent_initializer": [StrOptions(set(INITIALIZERS))],
        # An orthogonal matrix needs two dimensions; biases have one.
        "bias_initializer": [StrOptions(set(INITIALIZERS) - {"orthogonal"})],
        "standardize": ["boolean", StrOptions({"auto", "sequence"})],
        "patch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"), None],
        "window_warp": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="neither"), None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        # As NumPy users write it, too: np.float32, np.dtype("float64").
        "dtype": [
            StrOptions({"float32", "float64"}),
            Options(type, {np.float32, np.float64}),
            Options(np.dtype, {np.dtype("float32"), np.dtype("float64")}),
        ],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes=(64,),
        *,
        bidirectional=False,
        reset_after=True,
        embedding_dim=None,
        vocabulary_size=None,
        pooling="last",
        conv_layers=None,
        solver="adam",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        decay_rate=0.96,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        rho=0.9,
        ema_momentum=None,
        batch_size=16,
        max_iter=300,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        alpha=1e-4,
        dropout=0.0,
        recurrent_dropout=0.0,
        clipnorm=None,
        clipvalue=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="random",
        n_iter_no_change="auto",
        warm_start=False,
        verbose=False,
        callbacks=None,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        standardize=True,
        patch_size="auto",
        window_warp=None,
        device="cpu",
        dtype="float32",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.bidirectional = bidirectional
        self.reset_after = reset_after
        self.embedding_dim = embedding_dim
        self.vocabulary_size = vocabulary_size
        self.pooling = pooling
        self.conv_layers = conv_layers
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.decay_rate = decay_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.rho = rho
        self.ema_momentum = ema_momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.alpha = alpha
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.verbose = verbose
        self.callbacks = callbacks
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.standardize = standardize
        self.patch_size = patch_size
        self.window_warp = window_warp
        self.device = device
        self.dtype = dtype

    # ------------------------------------------------------------------ what subclasses add
    @abstractmethod
    def _prepare_targets(self, y, lengths, first_call, classes=None, continues_training=False):
        """Targets in the form the loss reads, fitting label/shape metadata on first call.
        ``continues_training``: y trains a model fitted before (a warm fit, partial_fit),
        which an error about y then names as the cause."""

    @abstractmethod
    def _loss(self, output, targets, sample_weight, lengths):
        """(loss, d_output) for a batch."""

    @abstractmethod
    def _validation_score(self, X, lengths, targets, sample_weight):
        """Score on held-out data (higher is better)."""

    @abstractmethod
    def _n_outputs(self):
        """Width of the network's output layer."""

    @abstractmethod
    def _stratify(self, targets):
        """Labels to stratify the validation split on, or None."""

    @abstractmethod
    def _get_target_state(self):
        """What fit learned about y, as ``(state, arrays)`` (see :meth:`_get_fitted_state`)."""

    @abstractmethod
    def _set_target_state(self, state, arrays):
        """Restore, with checks, what :meth:`_get_target_state` returned."""

    # ------------------------------------------------------------------ input checking
    def _check_settings(self):
        refuse_bools_for_counts(self)  # embedding_dim=True failed inside the network
        refuse_bools_in_a_list_of_counts("hidden_layer_sizes", self.hidden_layer_sizes)
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if sizes.ndim != 1 or sizes.size == 0 or sizes.dtype.kind not in "iu" or np.any(sizes < 1):
            raise ValueError(
                "hidden_layer_sizes must be a positive int or a non-empty sequence of "
                f"positive ints (of 64 bits at most), got {self.hidden_layer_sizes!r}"
            )
        if self.patch_size not in (None, "auto", 1):
            self._check_numeric_per_sequence("patch_size")
        self._conv_layers()
        if self.vocabulary_size is not None and not hasattr(self, "network_"):
            _refuse_rows_no_id_reaches(self.vocabulary_size)  # (a panel checks it up front)
        if self.vocabulary_size is not None and self.embedding_dim is None:
            raise ValueError(
                f"vocabulary_size={self.vocabulary_size!r} sizes an embedding table, which "
                "a model reads only with embedding_dim: set embedding_dim, or leave "
                "vocabulary_size None"
            )
        if self.window_warp not in (None, "auto"):
            self._check_numeric_per_sequence(
                "window_warp",
                ": it warps the time axis of the input, which per-step targets or token ids "
                "would not follow",
            )
        return tuple(int(size) for size in sizes)

    def _check_epsilon(self):
        """Refuse an ``epsilon`` that rounds to 0 in the model's dtype: Adam's and RMSprop's
        steps divide by it where a gradient is 0 (an embedding row no sequence reads), and
        0 / 0 was reported as a divergence, with the advice of a smaller learning rate
        (audit39d)."""
        if self.solver not in ("adam", "rmsprop"):
            return
        dtype = np.dtype(self.dtype)
        with np.errstate(over="ignore"):
            rounded = dtype.type(self.epsilon)
        if rounded == 0 or not np.isfinite(rounded):
            # (one that overflows to inf made every step 0: training stopped, silently)
            raise ValueError(
                f"epsilon={self.epsilon!r} rounds to {rounded} in {dtype.name}, and "
                f"{self.solver}'s steps divide by it; pass a value that is neither, of the "
                "order of the gradients or below (the default is 1e-8)"
            )

    def _window_warp_share(self):
        """The share of each sequence that window warping covers while training, or None
        for no warping: "auto" warps numeric input with one prediction per sequence whose
        steps change smoothly (as this call's training data showed)."""
        if self.window_warp != "auto":
            return self.window_warp
        warps = self._numeric_per_sequence() and self._smooth_steps
        return _AUTO_WINDOW_WARP if warps else None

    def _note_whether_steps_are_smooth(self, padded, lengths, sample_weight):
        """Linear interpolation halfway between two steps keeps (1 + r) / 2 of a series'
        variance, r the correlation of consecutive steps: below r = 0.5 (3/4 kept), a warp
        would change the series themselves, not only their timing. NaN (no sequence
        varies) counts as smooth. Weights count as copies; a weight of 0 leaves a sequence
        out."""
        if self.window_warp == "auto" and self._numeric_per_sequence():
            correlation = _sequences.median_step_correlation(padded, lengths, sample_weight)
            self._smooth_steps = not correlation < _AUTO_WARP_MIN_STEP_CORRELATION

    def _numeric_per_sequence(self):
        """Whether the input is numeric (not token ids) and there is one prediction per
        sequence: what patches, the convolutional branch, window warping and the linear
        skip need."""
        return self.embedding_dim is None and self._output_mode() == "last"

    def _check_numeric_per_sequence(self, name, reason=""):
        """A ValueError naming the parameter ``name``, which the caller found set, if the
        input is token ids or the output is per step: it serves neither."""
        if not self._numeric_per_sequence():
            raise ValueError(
                f"{name}={getattr(self, name)!r} needs numeric input and one prediction per "
                f"sequence (not embedding_dim or output='sequence'){reason}"
            )

    def _conv_layers(self):
        """``conv_layers`` checked, as a tuple of (filters, kernel_size) pairs of ints."""
        layers = () if self.conv_layers is None else tuple(self.conv_layers)
        well_formed = all(
            isinstance(pair, (list, tuple))
            and len(pair) == 2
            and all(is_integer(v) and v >= 1 for v in pair)
            for pair in layers
        )
        if not well_formed:
            raise ValueError(
                "conv_layers must be None or a sequence of (filters, kernel_size) pairs of "
                f"positive ints, such as ((128, 8), (256, 5), (128, 3)); got {self.conv_layers!r}"
            )
        if layers:
            self._check_numeric_per_sequence("conv_layers")
        return tuple((int(filters), int(size)) for filters, size in layers)

    def _network_pooling(self):
        """``pooling``, which ``output="sequence"`` ignores: it reads every step."""
        return "last" if self._output_mode() == "sequence" else self.pooling

    def _validate_sequences(self, X):
        """(network input, lengths) for X to predict, prepared as fit prepared its training
        data (standardised from each value exactly, whatever else X holds)."""
        padded, lengths = self._padded_input(X, reset=False, for_prediction=True)
        return self._network_input(X, padded, lengths)

    def _padded_input(self, X, reset, for_prediction=False, name="X"):
        """X as a padded array (token ids, or numbers of ``dtype``) and its lengths, checked
        against what fit saw unless ``reset``, which records the input's size instead.
        ``for_prediction``: X is to be predicted, not trained or validated on. ``name``:
        what errors call X."""
        if reset:
            self._forget_the_other_input_kind()
        if self.embedding_dim is not None:
            ids, lengths = _sequences.to_padded_tokens(X, name)
            if reset and self.vocabulary_size is None:
                self.vocabulary_size_ = int(ids.max()) + 1
            elif reset:
                _sequences.refuse_ids_past_vocabulary(ids, self.vocabulary_size, name, given=True)
                _refuse_rows_no_id_reaches(self.vocabulary_size)
                self.vocabulary_size_ = self.vocabulary_size
            else:
                _sequences.refuse_ids_past_vocabulary(ids, self.vocabulary_size_, name)
            return ids, lengths
        # Standardised in float64 where dtype would round X's values: an offset far larger
        # than the spread (a timestamp, a coordinate) would otherwise leave no spread.
        # Training data are widened where their range needs it (the copy stays small
        # elsewhere); a prediction standardises every value exactly, so that what a
        # sequence is predicted to be never depends on the rest of the batch.
        # A model that scales each sequence by itself reads every value exactly, also to
        # train (see _fit_input_transform).
        standardizes = self.standardize if reset else hasattr(self, "input_mean_")
        exactly = for_prediction or (not reset and hasattr(self, "sequence_spread_floor_"))
        keep_precision = standardizes and ("always" if exactly else True)
        padded, lengths = _sequences.to_padded(
            X, dtype=self.dtype, name=name, keep_precision=keep_precision
        )
        if reset:
            self.n_features_in_ = padded.shape[2]
            _sequences.warn_if_channels_first(padded, lengths)
        else:
            _sequences.check_n_features(X, padded, self.n_features_in_, type(self).__name__, name)
        if name == "X" and not for_prediction:  # (saved since format version 12)
            one_step = reset or getattr(self, "_trained_on_one_step", False)
            self._trained_on_one_step = one_step and bool(lengths.max() <= 1)
        # With y (training, validation), y's length settles it; a model trained on
        # sequences of one step reads such X as it was trained (it warned at every predict;
        # audit39j). A model loaded from a file of format version 11 or older, which does
        # not record it, warns.
        if for_prediction and not getattr(self, "_trained_on_one_step", False):
            _sequences.warn_if_one_univariate_sequence(X, self.n_features_in_)
        return padded, lengths

    def _forget_the_other_input_kind(self):
        """Drop what an earlier fit on the other kind of input (numbers or token ids) left:
        a refit of the same model on token ids kept the numbers' patch size and
        statistics, and the gate plots drew patches of tokens (audit39h)."""
        numeric = ("n_features_in_", "patch_size_") + _INPUT_SCALING_ATTRIBUTES
        self._forget(numeric if self.embedding_dim is not None else ("vocabulary_size_",))

    def _forget(self, attributes):
        """Drop those of the fitted ``attributes`` the estimator has, which a first fit
        learns anew (or not at all, where they no longer apply)."""
        for attribute in attributes:
            if hasattr(self, attribute):
                delattr(self, attribute)

    def _network_input(self, X, padded, lengths):
        """Numeric input standardised and cut into patches as fitted; token ids as they are.

        The caller's X is never changed: a copy of our own is standardised and cut into
        patches in place, so that fit holds one prepared copy of the data."""
        if self.embedding_dim is not None:
            return padded, lengths
        owned = _sequences.is_own_copy(padded, X)
        if hasattr(self, "sequence_spread_floor_"):
            padded = _sequences.scale_each_sequence(padded, lengths, self.sequence_spread_floor_)
            owned = True
        if hasattr(self, "input_mean_"):
            padded = _sequences.standardize(
                padded,
                lengths,
                self.input_mean_,
                self.input_scale_,
                out=padded if owned and padded.dtype == self.dtype else None,
                dtype=self.dtype,
            )
            owned = True
        patch_size = getattr(self, "patch_size_", 1)
        return _sequences.to_patches(padded, lengths, patch_size, overwrite=owned)

    def _fit_input_transform(self, X, padded, lengths, fitted, sample_weight):
        """Learn the standardisation statistics (weighted by ``sample_weight``, class weights
        included, so that a weight of k counts as k copies of a sequence) and the patch size
        from the training sequences, ``padded[fitted]``.

        Returns the padded X to train on: ``padded``, or where each sequence is scaled by
        itself, X's values as they are (float64 where ``dtype`` would round them), as
        ``predict`` reads them: rounded first, a faint sequence on an offset (spread 1e-6
        at level 300) would be a constant in training and a shape in prediction. Whether
        sequences are faint (to scale them, or to warn a classifier) is also judged from
        the exact values."""
        self._forget(_INPUT_SCALING_ATTRIBUTES)
        if self.standardize:
            exact = padded
            if self.standardize in ("auto", "sequence") or is_classifier(self):
                exact = _sequences.padded_exactly(X, self.dtype)
            if self._scales_each_sequence(exact[fitted], lengths[fitted], sample_weight):
                padded = exact
                self.sequence_spread_floor_, self.input_mean_, self.input_scale_ = (
                    _sequences.sequence_scaling(padded[fitted], lengths[fitted], sample_weight)
                )
            else:
                self.input_mean_, self.input_scale_ = _sequences.feature_statistics(
                    padded[fitted], lengths[fitted], sample_weight
                )
        self.patch_size_ = self._resolve_patch_size(
            _longest_counted(lengths[fitted], sample_weight)
        )
        return padded

    def _warn_of_scaling_from_constant_inputs(self, padded, lengths, sample_weight):
        """Warn where the first ``partial_fit`` batch fixed a feature's standardisation from
        one value (an idle sensor), among the sequences its weights count: the scale is
        then 1 around that value for every later batch, where the feature may vary by
        thousands (accuracy 0.52 where a first batch that saw it vary gave 1.0)."""
        if not hasattr(self, "input_mean_"):
            return
        constant = np.flatnonzero(_constant_over_counted_steps(padded, lengths, sample_weight))
        if constant.size:
            warn(
                "partial_fit's first batch fixes the input standardisation (standardize) "
                f"for every later batch, and feature(s) {constant[:10].tolist()} are constant "
                "in it, so they are scaled by 1 around that value. Unless they are constant "
                "by design (a column of ones), give the first call a batch that spans the "
                "data, or set standardize=False and scale X yourself.",
                UserWarning,
            )
        counted = len(padded) if sample_weight is None else np.count_nonzero(sample_weight)
        if hasattr(self, "sequence_spread_floor_") and counted < 2:
            warn(
                "partial_fit's first batch fixes the input standardisation (standardize) "
                "for every later batch, and it holds one sequence: each sequence's level and "
                "log spread, which the model reads as channels of their own, are then "
                "scaled by 1 around that one's. Give the first call a batch of many "
                "sequences, or set standardize=True.",
                UserWarning,
            )

    def _scales_each_sequence(self, padded, lengths, sample_weight):
        """Whether each sequence is scaled by itself (``standardize="sequence"``, or "auto"
        where most training sequences are faint), else warn a classifier of faint
        sequences.

        Faint: varying, but in every feature by less than 5% as much as a typical sequence
        (PLAID: 3e-5 to 96 amperes, two in three below). Standardised over all the
        data they are nearly constant, and the classifier could hardly tell them apart
        (training accuracy 0.64 there, 0.98 scaled by themselves). "auto" leaves a causal
        per-step model's sequences as they are, since their scale comes from the whole
        sequence. A regressor of ``standardize=True`` is not told: its targets may scale
        with the amplitude, which the standardisation over all the data keeps."""
        if self.standardize == "sequence":
            return True
        if self.standardize is True and not is_classifier(self):
            return False
        share = _sequences.share_of_faint_sequences(padded, lengths, sample_weight)
        if not share > 0.5:
            return False
        causal = self._output_mode() == "sequence" and not self.bidirectional
        if self.standardize == "auto" and not causal:
            return True
        if is_classifier(self):
            warn(
                f"{share:.0%} of the training sequences vary, in every feature, by less than "
                "5% as much as a typical one (the root mean square of their standard "
                "deviations): "
                "standardised over all the data they are nearly constant, and the "
                "classifier can hardly tell them apart. "
                + (
                    "standardize='auto' scales each sequence by itself in such data, but "
                    "not for a causal model (output='sequence', bidirectional=False): its "
                    "label at a step would then depend on the steps after it. Scale the "
                    "sequences yourself if that is acceptable (standardize='sequence')."
                    if causal
                    else "Set standardize='sequence' (or 'auto') to scale each sequence "
                    "by itself, its level and spread kept as input channels of their own."
                ),
                UserWarning,
            )
        return False

    def _output_mode(self):
        """ "last" (one prediction per sequence) or "sequence" (one per time step): the
        ``output`` parameter of both estimators."""
        return self.output

    def _resolve_patch_size(self, longest):
        if self.patch_size is None or self._output_mode() == "sequence":
            return 1
        if self.patch_size == "auto":
            return 1 if longest <= _AUTO_PATCH_FROM else -(-longest // _AUTO_PATCH_STEPS)
        return int(self.patch_size)  # a NumPy int from a search, saved as JSON

    def _refuse_patches_past(self, longest):
        """Refuse a patch longer than the longest sequence ``fit`` was given (validation
        part and weight-0 sequences included, so that neither the split nor the weights
        decide it): the network reads ``patch_size`` times the features per step, and
        10**6 on series of 24 steps allocated until the process was killed."""
        if self.patch_size_ > longest:
            raise ValueError(
                f"patch_size={self.patch_size_} is more than the longest sequence given "
                f"({longest} time steps): each sequence would be one patch padded with copies "
                f"of its last step, the network's input {self.patch_size_} steps wide. Use at "
                f"most {longest}, or 'auto'."
            )

    def _score_per_sequence(self, metric, X, y, sample_weight):
        """``metric(y, predict(X))`` with ``output="last"``, as scikit-learn's ``score``
        computes it, the weights checked as fit checks them (passed on unchecked, negative
        ones gave an accuracy of 2.57; audit38e)."""
        predictions = self.predict(X)
        weights = self._check_sample_weight(sample_weight, len(predictions))
        return metric(y, predictions, sample_weight=weights)

    def _check_sample_weight(self, sample_weight, n_samples):
        if sample_weight is None:
            return None
        _refuse_weights_per_step(sample_weight, n_samples)
        given = np.asarray(sample_weight)  # (array-likes that refuse NumPy's functions too)
        if given.dtype.kind == "c":  # (scikit-learn's error printed every weight)
            raise ValueError(
                f"sample_weight has complex values (dtype {given.dtype}): "
                "weights must be real, non-negative numbers"
            )
        sample_weight = _check_sample_weight(
            sample_weight, np.empty(n_samples), dtype=np.float64, ensure_non_negative=True
        )
        _refuse_weights_too_large(sample_weight, "sample_weight")
        return sample_weight

    # ------------------------------------------------------------------ training
    def _uses_linear_skip(self):
        """Whether the network adds a linear function of each sequence's last steps (the
        regressor's ``linear_skip``)."""
        return False

    def _network_features(self):
        """The values the network reads per time step before patches: the input's features,
        and where each sequence is scaled by itself, their levels and log spreads too."""
        channels = 3 if hasattr(self, "sequence_spread_floor_") else 1
        return self.n_features_in_ * channels

    def _linear_steps(self, longest):
        """How many final steps (after patching) the linear skip reads: all ``longest``, the
        steps of the longest training sequence, at most ``MAX_LINEAR_STEPS`` and, of steps
        of many values, at most ``MAX_LINEAR_VALUES`` values (but one step); 0 without the
        skip."""
        if not self._uses_linear_skip():
            return 0
        step_values = self._network_features() * self.patch_size_
        widest = max(1, MAX_LINEAR_VALUES // step_values)
        return min(longest, MAX_LINEAR_STEPS, widest)

    def _initialize(self, hidden_layer_sizes, rng, linear_steps=0):
        n_inputs = (
            self.vocabulary_size_
            if self.embedding_dim is not None
            else self._network_features() * self.patch_size_
        )
        self.network_ = GRUNetwork(
            n_inputs,
            hidden_layer_sizes,
            self._n_outputs(),
            bidirectional=self.bidirectional,
            reset_after=self.reset_after,
            embedding_dim=self.embedding_dim,
            output=self._output_mode(),
            pooling=self._network_pooling(),
            linear_steps=linear_steps,
            conv_layers=self._conv_layers(),
            dtype=self.dtype,
        )
        self.network_.initialize(
            rng, self.kernel_initializer, self.recurrent_initializer, self.bias_initializer
        )
        self._weight_mask = self.network_.weight_mask()
        # The optimizer of the network this one replaces is made anew for it; left, it was
        # moved onto the new parameters before that, and a call undone then restored it
        # holding them (review40).
        self._forget(("_optimizer", "_optimizer_made_with"))
        self.n_iter_ = 0
        self.best_epoch_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._no_improvement_count = 0

    def _fit_linear_skip(self, X, lengths, targets, sample_weight, train):
        """Start the network at the ridge regression of the targets on each training
        sequence's last ``linear_steps`` steps (the penalty chosen by leave-one-out
        cross-validation, with sample weights as repetitions): the linear skip holds its
        coefficients, the head's bias its intercept, and the head's weights zero, so that the
        GRU layers learn what the linear model leaves unexplained; where the held-out blocks
        free the correction (``_correction_alpha``), a tenth of their initial values
        (``_CORRECTION_START_SHARE``) instead. With the head's weights zero, the loss gave
        the GRU layers no gradient until the head had grown, and Adam's normalised steps on
        the L2 penalty alone shrank them meanwhile (4,000 sequences whose target was the
        sine of a sum plus a count of threshold crossings: test R² 0.29, against 0.96 now
        and 0.96 with ``linear_skip=False``). The chosen penalty is kept
        (``linear_skip_alpha_``) for training: see ``_penalties_besides_alpha``. Returns
        whether it is the strongest penalty of the grid (``_skip_penalties``: no linear
        signal found in targets that vary), and the ridge regression itself (the network's
        weights with the head's zero), which a fit that gains nothing from the GRU ends on."""
        network = self.network_
        window = last_steps_window(np, X, lengths, network.linear_steps)[train]
        weight = None if sample_weight is None else sample_weight[train]
        alphas = _skip_penalties(len(train) if weight is None else float(np.sum(weight)))
        if not hasattr(self, "input_mean_"):  # the grid is for inputs of unit variance
            with np.errstate(over="ignore"):
                variance = _mean_feature_variance(window, weight)
            if not np.isfinite(variance * alphas[-1]):
                # (the grid before the weights moved it up would have fitted)
                heavy = bool(np.isfinite(variance * _LINEAR_SKIP_ALPHAS[-1]))
                raise ValueError(
                    f"standardize=False with X's values up to {np.abs(window).max():.3g}: "
                    "their variance"
                    + (" times the sequences' total weight" if heavy else "")
                    + " is too large for the linear skip's ridge penalties in float64. "
                    "Standardise X (standardize=True)"
                    + (", divide sample_weight by a common factor," if heavy else "")
                    + " or pass linear_skip=False."
                )
            alphas = alphas * variance
        coef, intercept, alpha = ridge_loo(window, targets[train], weight, alphas)
        with np.errstate(over="ignore", invalid="ignore"):
            fitted = window @ coef.T + intercept
        if not np.isfinite(fitted).all():
            raise ValueError(
                "The linear skip's ridge regression overflows float64 with targets up to "
                f"{np.abs(targets[train]).max():.3g}: standardise them "
                "(standardize_target=True) or pass linear_skip=False."
            )
        if alpha is None:
            warn(
                "The linear skip's ridge penalty could not be chosen: leave-one-out "
                "cross-validation needs more than two training sequences (with a weight above "
                "0). The skip starts at the strongest penalty and trains under alpha alone; "
                "with partial_fit, give the first call more sequences.",
                UserWarning,
            )
        self.linear_skip_alpha_ = alpha
        self.correction_alpha_ = self._correction_alpha(
            X, lengths, targets[train], weight, train, window, alphas
        )
        self._linear_skip_sequences = len(train)  # what the penalty was chosen for
        xp = network.xp
        network.views["linear.weight"][...] = xp.asarray(coef)
        network.views["head.bias"][...] = xp.asarray(intercept)
        initial_head = network.views["head.weight"].copy()
        network.views["head.weight"][...] = 0
        ridge = network.params.copy()
        if self.correction_alpha_ != alpha:  # the held-out blocks freed the correction
            network.views["head.weight"][...] = initial_head * _CORRECTION_START_SHARE
        # Constant targets tie every penalty (the intercept fits them exactly): no signal
        # was missed, and the model predicts them.
        targets_vary = np.ptp(targets[train], axis=0).any()
        return alpha is not None and alpha == alphas[-1] and bool(targets_vary), ridge

    def _warn_of_penalties_from_few_sequences(self, n_sequences):
        """Warn where ``partial_fit``'s first call, which chooses the linear skip's
        penalties for every later call, holds fewer than ``_FEW_FOR_PENALTIES`` sequences
        and its correction test kept the GRU's correction at the skip's penalty (a call
        that holds a single one has its own warning)."""
        if self.linear_skip_alpha_ is None or n_sequences >= _FEW_FOR_PENALTIES:
            return
        if self.correction_alpha_ != self.linear_skip_alpha_:
            return  # the correction test freed the correction even so
        warn(
            f"partial_fit's first call chose the linear skip's ridge penalties "
            f"(linear_skip_alpha_={self.linear_skip_alpha_:g}, correction_alpha_="
            f"{self.correction_alpha_:g}) from its {n_sequences} sequences, and every later "
            "call keeps them. From so few, the test that frees the GRU's correction rarely "
            "can, and it did not (a stream whose target was the mean of x**2 over 10 steps "
            "reached test R² 0.0 after a first call of 16 sequences, 0.92 after one of 64). "
            f"Give the first call at least {_FEW_FOR_PENALTIES} sequences, or pass "
            "linear_skip=False (fit on the same sequences would choose the same penalties).",
            UserWarning,
        )

    def _correction_alpha(self, X, lengths, targets, weight, train, window, alphas):
        """The ridge penalty that training keeps on the head's weights, which carry the GRU's
        correction to the linear skip: the skip's own (``linear_skip_alpha_``), unless a
        ridge on the window together with what the head reads of the untrained GRU (fixed
        nonlinear features of each sequence, as an echo-state network's readout)
        predicts held-out blocks of the training sequences better than the window's ridge
        alone, by more than one standard error of the two's paired errors; then the penalty
        the same blocks choose for that ridge. Where the inputs explain the targets only
        nonlinearly, the window's ridge finds no linear signal and picks a large penalty,
        which held the GRU back as well (test R² 0 on the mean of x**2 over 10 steps, where
        the GRU alone reaches 0.95); on noisy, nearly linear data the skip's penalty stays.
        The blocks follow the sequences' order in X (a validation split shuffles ``train``)
        and, where neighbouring sequences share values (sliding windows of one series), are
        purged of the sequences within one window's length of them
        (``ridge_blocked_errors``): leave-one-out over sliding windows credits the features
        with what neighbouring windows share."""
        if self.linear_skip_alpha_ is None:
            return None
        rows = np.argsort(train, kind="stable")  # in X's order
        train, targets, window = train[rows], targets[rows], window[rows]
        weight = None if weight is None else weight[rows]
        purge = X.shape[1] * self.patch_size_ if _share_values(X, lengths, train) else 0
        # (read as float64 a chunk of rows at a time, beside the window: not copied into one)
        features = self._forward_all(X, lengths, train, head_input=True)
        held_out = [
            ridge_blocked_errors(inputs, targets, weight, alphas, _CORRECTION_BLOCKS, purge)
            for inputs in (window, (window, features))
        ]
        if held_out[0] is None:  # too few sequences for the purged blocks
            return self.linear_skip_alpha_
        (linear, weights), (combined, _) = held_out
        weights = weights / weights.max()  # (relative frequencies: sums of 1e308 overflow)
        best = [chosen_penalty(errors @ weights, alphas) for errors in (linear, combined)]
        if _lower_by_a_standard_error(combined[best[1]], linear[best[0]], weights):
            return float(alphas[best[1]])
        return self.linear_skip_alpha_

    def _patience(self, n_samples):
        """Epochs without improvement before stopping: ``n_iter_no_change``, or for "auto"
        at least 10 epochs and at least 500 optimizer updates, so that small data sets (a
        few updates per epoch) are not stopped on the plateau a GRU starts with."""
        if self.n_iter_no_change != "auto":
            return self.n_iter_no_change
        updates_per_epoch = -(-n_samples // self._batch_size(n_samples))
        return max(_AUTO_MIN_PATIENCE, -(-_AUTO_MIN_UPDATES // updates_per_epoch))

    def _optimizer_settings(self):
        return {name: getattr(self, name) for name in _OPTIMIZER_SETTINGS}

    def _optimizer_settings_changed(self):
        """Whether ``set_params`` changed a setting the optimizer was made with since then
        (partial_fit then starts a new one from the current weights, as a warm fit does);
        True when there is no optimizer. A model pickled before the settings were kept
        goes on with its optimizer."""
        if not hasattr(self, "_optimizer"):
            return True
        made_with = getattr(self, "_optimizer_made_with", None)
        return made_with is not None and made_with != self._optimizer_settings()

    def _make_optimizer(self, patience):
        self._optimizer_made_with = self._optimizer_settings()
        schedule = make_schedule(
            self.learning_rate,
            self.learning_rate_init,
            power_t=self.power_t,
            decay_rate=self.decay_rate,
            tol=self.tol,
            n_iter_no_change=patience,
        )
        schedule.resume(self.n_iter_, self.t_)  # a warm fit goes on where the counts left it
        options = {
            "sgd": dict(momentum=self.momentum, nesterov=self.nesterovs_momentum),
            "adam": dict(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon),
            "rmsprop": dict(rho=self.rho, epsilon=self.epsilon),
        }[self.solver]
        return make_optimizer(
            self.solver,
            self.network_.params,
            self.learning_rate_init,
            schedule=schedule,
            **options,
        )

    @_one_fit_at_a_time
    def _fit(
        self, X, y, sample_weight=None, incremental=False, classes=None, validation_data=None
    ):
        """Train on (X, y); ``validation_data`` is the user's (X_val, y_val, sample_weight_val)
        for early stopping, None to hold out ``validation_fraction`` of X."""
        # A call refused (bad input or settings) or interrupted before its first epoch leaves
        # a fitted model as it was.
        was_fitted = hasattr(self, "network_")
        with self._unchanged_unless_training_starts() as (training_starts, undo_call):
            if incremental:  # scikit-learn checks them in fit, and in partial_fit only once
                self._validate_params()
            hidden_layer_sizes = self._check_settings()
            self._check_epsilon()  # training alone reads it
            _as_callback_list(self.callbacks)  # refused before the model changes
            device_module(self.device)  # a device that is not there is refused here
            if y is None:
                raise ValueError(
                    f"{type(self).__name__} requires y to be passed, but the target y is None"
                )
            validation_data = self._check_validation_data(validation_data)
            first_call = not hasattr(self, "network_") or (not self.warm_start and not incremental)
            if not first_call:
                self._check_matches_network(
                    ". Set them back to continue training, or start again with "
                    + ("fit" if incremental else "warm_start=False")
                )
            padded, lengths = self._padded_input(X, reset=first_call)
            targets = self._prepare_targets(
                y, lengths, first_call, classes, continues_training=not first_call
            )
            holds_out_last = (
                self.early_stopping
                and self.validation_split == "last"
                and validation_data is None
                and not incremental
            )
            n_held_out = self._n_validation(len(padded)) if holds_out_last else 0
            # The statistics come from the training sequences only (class weights
            # included): a time-ordered validation part must not leak into them.
            fitted = slice(0, len(padded) - n_held_out)
            sample_weight = self._check_sample_weight(sample_weight, len(padded))
            if incremental:
                self._warn_if_the_call_cannot_balance(targets, lengths, sample_weight)
            sample_weight = self._sample_weight(sample_weight, targets, lengths, fitted)
            weight = None if sample_weight is None else sample_weight[fitted]
            _refuse_no_weight_left_for_training(
                weight, self, ", or pass X_val and y_val" if n_held_out else ""
            )
            self._note_whether_steps_are_smooth(padded[fitted], lengths[fitted], weight)
            if first_call:
                if self.embedding_dim is None:
                    padded = self._fit_input_transform(X, padded, lengths, fitted, weight)
                    self._refuse_patches_past(int(lengths.max()))
                self._fit_target_transform(targets[fitted], lengths[fitted], weight)
                if incremental:
                    self._warn_of_scaling_from_constant_inputs(
                        padded[fitted], lengths[fitted], weight
                    )
                    self._warn_of_scaling_from_constant_targets(
                        targets[fitted], lengths[fitted], weight
                    )
            targets = self._training_targets(targets)
            X, lengths = self._network_input(X, padded, lengths)
            del padded  # float64 where each sequence is scaled by itself: not kept to train
            self._seed_generator(first_call)
            if first_call:
                longest = _longest_counted(lengths[fitted], weight)
                self._initialize(hidden_layer_sizes, self._rng, self._linear_steps(longest))
            train, validation = self._split_validation(
                X, lengths, targets, sample_weight, validation_data, n_held_out, incremental
            )
            self._refuse_steps_that_all_weigh_nothing(targets, lengths, sample_weight, train)
            xp = self._use_device(training=True)
            self._train_own_params()
            linear_start, ridge, strongest_penalty = None, None, False
            if first_call and self.network_.linear_steps:
                strongest_penalty, ridge = self._fit_linear_skip(
                    X, lengths, targets, sample_weight, train
                )
                if incremental:
                    self._warn_of_penalties_from_few_sequences(len(train))
                else:
                    linear_start = ridge
            # Where the blocks freed the correction, its head starts live (_fit_linear_skip):
            # training starts a little off the ridge.
            live_start = None
            if linear_start is not None and self.correction_alpha_ != self.linear_skip_alpha_:
                live_start = self.network_.params.copy()
            self._refuse_penalties_the_dtype_cannot_square(sample_weight, train)
            patience = self._patience(len(train))
            if first_call or not incremental or self._optimizer_settings_changed():
                self._optimizer = self._make_optimizer(patience)
            epochs = 1 if incremental else self.max_iter
            # The data crosses to the device once (with the validation rows, which cost less
            # than a host copy of the training rows); lengths stay on the host.
            X, targets = xp.asarray(X), xp.asarray(targets)
            average = None
            if self.ema_momentum is not None and not incremental:
                average = WeightAverage(self.network_.params, self.ema_momentum)
            epochs_before = self.n_iter_
            raised, kept_callback_weights, ran_out, ended_by_max_iter = self._train(
                X,
                lengths,
                targets,
                sample_weight,
                train,
                epochs,
                validation,
                patience,
                average,
                training_starts,
                start_params=ridge,
            )
        if linear_start is not None and not self.validation_scores_ and not kept_callback_weights:
            # A fit that completed no epoch already holds the ridge: after a divergence in
            # its first epoch the objectives the guard compares can all be NaN (audit38a).
            if self.n_iter_ == epochs_before:
                if strongest_penalty and raised is None:  # (not before an error, or Ctrl-C's)
                    self._warn_ended_on_a_ridge_without_signal()
            else:
                # (a rise off the ridge that max_iter cut short within its first epochs may
                # not have come back down yet: audit38a)
                cut_short = ended_by_max_iter and self.n_iter_ - epochs_before <= _EARLY_EPOCHS
                warned = self._keep_correction_only_if_it_pays(
                    X,
                    lengths,
                    targets,
                    sample_weight,
                    train,
                    linear_start,
                    strongest_penalty,
                    live_start,
                    cut_short,
                    raised is not None,  # quiet: the error, or Ctrl-C's warning, says it
                )
                # (the guard's warning says what to do where it warns of the weights it kept)
                ran_out = None if warned else ran_out
        if ran_out is not None:
            warn(ran_out, ConvergenceWarning)
        undone = raised is not None and self.n_iter_ == epochs_before and was_fitted
        if undone:
            # No epoch of this call is complete: the model goes back to what it was, its
            # optimizer and generator too (a warm fit had made a new optimizer, and a
            # validation split had drawn from the generator: audit40d), and a fitted model
            # that a fresh fit was replacing is kept (also where a MemoryError ended it).
            undo_call()
        if isinstance(raised, KeyboardInterrupt):  # told once the weights kept are known
            warn(self._interruption_message(epochs_before, validation, undone), UserWarning)
        elif raised is not None:
            raise raised
        return self

    @contextlib.contextmanager
    def _unchanged_unless_training_starts(self):
        """Undo the attributes a block set if it raises or is interrupted (Ctrl-C) before it
        calls the function it is given (as training starts): a fit call refused while
        checking and preparing its data must not leave a fitted model half overwritten (its
        ``classes_`` from the refused labels, say), nor a fresh one fitted with random
        weights (audit33a: Ctrl-C in ``_train``'s own setup did). Yields that function and
        ``undo_call``, which puts the attributes back later too (a fitted model's call that
        completed no epoch, audit40d), but not the weights changed in place. The block may
        move the network to the device in place; ``_use_device`` then moves what the
        restored attributes hold there too."""
        attributes = self.__dict__.copy()
        # The generator is changed in place (a validation split draws from it): its state
        # too, or a refused call would change the next call's shuffles and masks; and a
        # RandomState given as random_state, which a fresh fit draws its seed from.
        rng_state = self._rng.bit_generator.state if hasattr(self, "_rng") else None
        seed_source = self.random_state
        seed_state = (
            seed_source.get_state() if isinstance(seed_source, np.random.RandomState) else None
        )
        started = False

        def training_starts():
            nonlocal started
            started = True

        def undo_call():
            """Put the attributes back as the call found them. The network's weights,
            changed in place, are the caller's to put back (the call's first epoch, cut
            short, has restored its starting weights; a fresh fit made a new network)."""
            # Not clear() first: another thread (a panel's redraw) would meet an estimator
            # without even its hyper-parameters (review40c).
            for name in self.__dict__.keys() - attributes.keys():
                del self.__dict__[name]
            self.__dict__.update(attributes)
            if rng_state is not None:
                self._rng.bit_generator.state = rng_state
            if seed_state is not None:
                seed_source.set_state(seed_state)

        try:
            yield training_starts, undo_call
        except BaseException:
            if started:
                raise
            undo_call()
            raise

    def _seed_generator(self, first_call):
        """A first call's generator comes from ``random_state``; a later call (a warm fit,
        partial_fit) continues it, so that a sequence of calls reproduces, unless
        ``random_state`` was set to another seed since, as a user giving a copy of the model
        another seed expects."""
        if first_call or not _same_seed(self.random_state, self._rng_seeded_by):
            self._rng = _make_rng(self.random_state)
            self._rng_seeded_by = self.random_state

    def _reseeds_next(self):
        """Whether the next training call draws a new generator from ``random_state``, which
        was set to another seed since the current one was made (a saved file records it: the
        loaded model trained on with the old seed's generator, audit39a, review39)."""
        return not _same_seed(
            self.random_state, getattr(self, "_rng_seeded_by", self.random_state)
        )

    def _check_validation_data(self, validation_data):
        """``validation_data`` if the user gave a validation set, else None."""
        if validation_data is None:
            return None
        X_val, y_val, sample_weight_val = validation_data
        if X_val is None and y_val is None:
            if sample_weight_val is not None:  # it was ignored, even of the wrong length
                raise ValueError(
                    "sample_weight_val is provided, but X_val and y_val were not: it weighs "
                    "the validation set X_val, y_val (the part validation_split holds out "
                    "keeps its sample_weight)"
                )
            return None
        if X_val is None or y_val is None:
            given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(f"{given} is provided, but {missing} was not provided")
        if not self.early_stopping:
            raise ValueError(
                "X_val and y_val are passed to fit while early_stopping is False; they are "
                "only used for early stopping: set early_stopping=True"
            )
        return validation_data

    def _split_validation(
        self, X, lengths, targets, sample_weight, validation_data, n_held_out, incremental
    ):
        """(indices of the training sequences in X, the validation set as (X, lengths,
        targets, sample weights) or None): the user's ``validation_data``, else the last
        ``n_held_out`` sequences, else a random split for ``early_stopping`` in ``fit``;
        held-out sequences keep their weights (``sample_weight`` and class weights), as in
        ``HistGradientBoostingClassifier``. The training sequences are those of positive
        weight (``_of_positive_weight``).

        Training minibatches are taken from X by index: X[train] would copy the training data
        while X is still alive, 2x the data at once (issue 13)."""
        train = np.arange(len(X))
        if validation_data is not None:
            validation = self._prepare_validation_data(*validation_data)
            return _of_positive_weight(train, sample_weight, self), validation
        counted = f"{len(X)} sequences"
        if n_held_out:
            train, valid = train[:-n_held_out], train[-n_held_out:]
        elif self.early_stopping and not incremental:
            # Drawn among the sequences that weigh something: one of weight 0 counts as
            # removed (scikit-learn's convention), and a split that held out only such
            # sequences, which score nothing, was refused for some seeds and not others.
            weighs = train if sample_weight is None else train[sample_weight > 0]
            if len(weighs) < len(X):
                counted = f"the {len(weighs)} sequences of weight above 0"
            train, valid = train_test_split(
                weighs,
                test_size=self._n_validation(len(weighs), counted),
                random_state=self._rng.integers(2**31),
                stratify=self._stratify(targets[weighs]),
            )
        else:
            return _of_positive_weight(train, sample_weight, self), None
        train = _of_positive_weight(train, sample_weight, self)
        holds = f"validation_fraction={self.validation_fraction} of {counted} holds out"
        remedy = "Pass more sequences, a larger validation_fraction, or X_val and y_val."
        self._check_validation_size(lengths[valid], holds, remedy)
        weights = None if sample_weight is None else sample_weight[valid]
        if weights is not None and not weights.any():
            raise ValueError(
                f"the weights ({_weights_named(self)}) are zero for every one of the "
                f"{len(valid)} sequences that validation_split={self.validation_split!r} holds "
                "out, so they cannot score the model. Pass X_val and y_val, or give them weight."
            )
        self._check_validation_targets(targets[valid], lengths[valid], weights, holds, remedy)
        # (the time-ordered split holds out sequences of weight 0 too, which count nowhere)
        weighted_valid = valid if weights is None else valid[weights > 0]
        self._warn_of_classes_held_out(
            (targets[train], lengths[train]), (targets[weighted_valid], lengths[weighted_valid])
        )
        return train, (X[valid], lengths[valid], targets[valid], weights)

    def _check_validation_size(self, lengths, holds, remedy):
        """Refuse a validation set too small for the validation score; ``holds`` says what
        holds it out, ``remedy`` what to do. Accuracy is defined on any number of
        sequences."""

    def _check_validation_targets(self, targets, lengths, sample_weight, holds, remedy):
        """Refuse validation targets on which the validation score cannot tell epochs apart.
        Accuracy always can."""

    def _warn_of_classes_held_out(self, train, valid):
        """Warn when a split leaves a class no training sequence (or time step, of labels
        per step); ``train`` and ``valid`` are (targets, lengths). Only the classifier has
        classes."""

    def _n_validation(self, n_samples, counted=None):
        """How many sequences a validation split holds out, refused where it leaves no
        training sequence: at random ``ceil(validation_fraction * n_samples)``, as
        scikit-learn's ``train_test_split``; the last ones as Keras' ``validation_split``,
        ``n_samples - floor(n_samples * (1 - validation_fraction))`` (the same number but
        where rounding differs: 0.07 of 100 is 7.000000000000001, whose ceiling held out 8),
        and at least one."""
        fraction = float(self.validation_fraction)  # np.float32(0.1) * 30 rounds up to 4
        if self.validation_split == "last":
            # At least one, as at random: 1 - 1e-300 is 1, and such a fraction held out none
            # and was refused as leaving no training sequence (audit40e, review40).
            n_validation = max(1, n_samples - int(n_samples * (1.0 - fraction)))
        else:
            n_validation = int(np.ceil(fraction * n_samples))
        if n_validation >= n_samples:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} of "
                f"{counted or f'{n_samples} sequences'} leaves no training sequence"
            )
        return n_validation

    def _prepare_validation_data(self, X_val, y_val, sample_weight_val):
        """The user's validation set, prepared as the training data (never fitted on). The
        checks name X, y and sample_weight, so their errors say that they are about the
        validation set."""
        # X_val reaches the model as given: a pipeline's steps transform it only if asked to.
        hint = (
            " In a Pipeline, X_val reaches this model untransformed unless the pipeline is "
            "made with transform_input=['X_val']."
        )
        try:
            padded, lengths = self._padded_input(X_val, reset=False, name="X_val")
            self._warn_if_far_from_the_training_inputs(padded, lengths)
            hint = ""
            targets = self._prepare_targets(y_val, lengths, first_call=False)
            weights = self._check_sample_weight(sample_weight_val, len(padded))
            self._warn_if_far_from_the_training_targets(targets, lengths, weights)
            scaled = self._training_targets(targets)  # (too large: named as validation's)
        except (TypeError, ValueError) as error:
            kind = TypeError if isinstance(error, TypeError) else ValueError
            about = f"{str(error).rstrip('.')}.{hint}" if hint else error
            message = f"the validation set (X_val, y_val, sample_weight_val): {about}"
            raise kind(message) from error
        self._check_validation_size(lengths, "X_val has", "Pass a larger X_val.")
        self._check_validation_targets(
            targets, lengths, weights, "y_val has", "Pass another y_val."
        )
        X_val, lengths = self._network_input(X_val, padded, lengths)
        return X_val, lengths, scaled, weights

    def _warn_if_far_from_the_training_inputs(self, padded, lengths):
        """Warn where a feature of the validation inputs has a mean more than
        ``_FAR_FROM_TRAINING`` times the training inputs' scale from theirs (with
        the inputs standardised per feature): the mark of an X_val that missed a pipeline's
        transformation, on which early stopping would score the model silently and keep
        an early epoch (test R² 0.04 where the transformed X_val gave 0.92; audit31)."""
        standardised = hasattr(self, "input_mean_") and self.embedding_dim is None
        if not standardised or hasattr(self, "sequence_spread_floor_"):
            return  # token ids, no standardisation, or each sequence scaled by itself
        mean, _ = _sequences.feature_statistics(padded, lengths, name="X_val")
        far = _farthest_from_training(mean, self.input_mean_, self.input_scale_)
        if far is None:
            return
        feature, distance = far
        warn(
            f"X_val's feature {feature} has mean {mean[feature]:.4g}, against "
            f"{self.input_mean_[feature]:.4g} in the training inputs: {distance:.3g} "
            f"times their scale (input_scale_[{feature}]={self.input_scale_[feature]:.4g}, "
            "their standard deviation, or 1 for a constant feature). Early stopping scores "
            "the model on X_val as given. In a Pipeline, X_val reaches this model "
            "untransformed unless the pipeline is made with transform_input=['X_val']; "
            "otherwise check that X_val holds X's features in X's units. A series whose "
            "level has moved far past its training range gets this warning too: model its "
            "changes or logarithm, or scale each sequence by itself (standardize='sequence').",
            UserWarning,
        )

    def _warn_if_far_from_the_training_targets(self, targets, lengths, weights):
        """Warn where the validation targets lie far from the training targets (the
        regressor's, standardised)."""

    def _fit_target_transform(self, targets, lengths, sample_weight):
        """Learn what the targets are scaled by (the regressor's ``standardize_target``)."""

    def _training_targets(self, targets):
        """The targets the loss reads: as prepared, or standardised by the regressor."""
        return targets

    def _warn_of_scaling_from_constant_targets(self, targets, lengths, sample_weight):
        """After the first ``partial_fit`` call fixed the target scaling (the regressor's)."""

    def _warn_if_the_call_cannot_balance(self, targets, lengths, sample_weight):
        """Where a ``partial_fit`` call lacks some classes that "balanced" would weigh (the
        classifier's)."""

    def _refuse_steps_that_all_weigh_nothing(self, targets, lengths, sample_weight, train):
        """Refuse training sequences ``train`` whose every step weighs 0 (the classifier's
        class weights per step)."""

    def _sample_weight(self, sample_weight, targets, lengths, fitted):
        """The weight of each sequence in the loss: ``sample_weight`` (checked, or None),
        times its class's weight for a classifier, counted over the sequences ``fitted``
        (a slice: those not held out as a time-ordered validation part)."""
        return sample_weight

    def _use_device(self, training):
        """Put the network (and optimizer state) on ``device``; return its array module.

        For prediction, a device that is not available here leaves the parameters where they
        are, so that a model trained on a GPU predicts on a machine without one."""
        try:
            xp = device_module(self.device)
        except ValueError:
            if training:
                raise
            return self.network_.xp
        if xp is not self.network_.xp:
            self.network_.move_to(xp)
            if hasattr(self, "_optimizer"):
                self._optimizer.move_to(self.network_.params)
        # Also where the network was already there: a fit interrupted after moving it in
        # place restores the mask the model had before.
        self._weight_mask = (
            xp.asarray(self._weight_mask) if xp is not np else to_host(self._weight_mask)
        )
        return xp

    def _train_own_params(self):
        """Let training change this model's own weights: a model loaded read-only (joblib's
        ``mmap_mode``, the memory map a loky worker gets) trains on a copy, and the optimizer
        steps the network's array, which a joblib round trip does not keep shared."""
        self.network_.make_writable()
        if hasattr(self, "_optimizer") and self._optimizer.params is not self.network_.params:
            self._optimizer.move_to(self.network_.params)

    def _mask_rng(self, xp):
        """Random numbers for dropout masks, made where the network is: the estimator's own
        Generator on the CPU; on the GPU a CuPy Generator seeded from its state (through a
        jumped copy, so the Generator itself does not advance and shuffling is the same on
        both; a model loaded from a file continues the same way) and the sequences trained
        on so far (``t_``): without shuffling nothing else advances the Generator between
        calls, and every partial_fit or warm fit drew the same masks."""
        if xp is np:
            return self._rng
        seed = int(self._rng.bit_generator.jumped().random_raw())
        if self.t_:  # a later call (a fresh fit draws the masks it always drew)
            entropy = np.random.SeedSequence([seed, int(self.t_)])
            seed = int(entropy.generate_state(1, np.uint64)[0])
        return xp.random.default_rng(seed)

    def __getstate__(self):
        # Pickles hold NumPy arrays only: a model trained on a GPU loads without CuPy.
        state = dict(super().__getstate__())  # for Python >= 3.11 that is our own __dict__
        network = state.get("network_")
        if network is not None and network.xp is not np:
            state["network_"] = copy.copy(network)  # GRUNetwork copies itself to the host
            state["_weight_mask"] = to_host(self._weight_mask)
            if "_optimizer" in state:
                state["_optimizer"] = copy.copy(self._optimizer)
                state["_optimizer"].move_to(state["network_"].params)
        return state

    def __setstate__(self, state):
        # A pickle from an older pygru lacks the hyper-parameters added since; without them
        # even repr() would fail. Each gets the value that reproduces what the pickled model
        # was, as pygru.load gives files of older formats.
        super().__setstate__(state)
        signature = inspect.signature(type(self).__init__).parameters
        for name in self._get_param_names():
            if name not in self.__dict__:
                setattr(self, name, VALUES_BEFORE_ADDED.get(name, signature[name].default))
        if hasattr(self, "_rng") and not hasattr(self, "_rng_seeded_by"):
            # The seed its generator came from, as far as the pickle tells: its own.
            self._rng_seeded_by = self.random_state

    # ------------------------------------------------------------------ fitted state
    def _get_fitted_state(self, copy_params=True):
        """The fitted model as plain values: what :func:`pygru.save` stores.

        The optimizer state is not part of it: a model restored from these values predicts
        exactly as this one and trains on with a fresh optimizer.

        Parameters
        ----------
        copy_params : bool, default=True
            Return a copy of the parameters (of one moment, for a file); False returns the
            network's own array, where only the entries' names are read.

        Returns
        -------
        state : dict
            JSON values (floats may be infinite or NaN): what fit learned about the input,
            the training progress, the random generator's state, the network's layout
            (``"network"``), then what fit learned about y (:meth:`_get_target_state`).
        arrays : dict of str to ndarray
            ``params`` (the network's flat parameters, on the host), ``input_mean_`` and
            ``input_scale_`` with standardisation, then the arrays that describe y.

        Raises
        ------
        ValueError
            The hyper-parameters no longer describe the network (e.g. ``dtype`` was
            changed after fit), so a model restored from these values would differ.
        """
        self._check_matches_network()
        if self.embedding_dim is not None:
            state = {"vocabulary_size_": int(self.vocabulary_size_)}
        else:
            state = {
                "n_features_in_": int(self.n_features_in_),
                "patch_size_": int(self.patch_size_),
            }
        state.update(
            {
                "n_iter_": int(self.n_iter_),
                "best_epoch_": int(self.best_epoch_),
                "t_": int(self.t_),
                "_no_improvement_count": int(self._no_improvement_count),
                "loss_curve_": [float(loss) for loss in self.loss_curve_],
                "best_loss_": float(self.best_loss_),
                "validation_scores_": None
                if self.validation_scores_ is None
                else [float(score) for score in self.validation_scores_],
                "best_validation_score_": None
                if self.best_validation_score_ is None
                else float(self.best_validation_score_),
                "rng_state": self._rng.bit_generator.state,
                "rng_reseeds": self._reseeds_next(),
                "trained_on_one_step": getattr(self, "_trained_on_one_step", False),
                "network": describe_network(self.network_),
            }
        )
        # A copy: the file's checksum and its bytes must be of one moment, also while
        # another thread trains the model (a TrainingPanel's). Not for a check of the
        # entries' names alone (``copy_params=False``), which has no use for it.
        params = to_host(self.network_.params)
        arrays = {"params": np.array(params, order="C", copy=True) if copy_params else params}
        if self.embedding_dim is None and hasattr(self, "input_mean_"):
            arrays["input_mean_"] = np.ascontiguousarray(self.input_mean_)
            arrays["input_scale_"] = np.ascontiguousarray(self.input_scale_)
        if self.embedding_dim is None and hasattr(self, "sequence_spread_floor_"):
            arrays["sequence_spread_floor_"] = np.ascontiguousarray(self.sequence_spread_floor_)
        target_state, target_arrays = self._get_target_state()
        return {**state, **target_state}, {**arrays, **target_arrays}

    def _set_fitted_state(self, state, arrays):
        """Become the fitted model that :meth:`_get_fitted_state` described.

        The values may come from a file written by anyone: each one is checked, and entries
        that :meth:`_get_fitted_state` would not return are refused.

        Parameters
        ----------
        state : dict
            JSON values, non-finite floats decoded.
        arrays : dict of str to ndarray

        Raises
        ------
        ValueError
            An entry is missing, unknown, of the wrong type or range, or does not match the
            network or the hyper-parameters.
        """
        if self.embedding_dim is not None:
            self.vocabulary_size_ = read_count(state, "vocabulary_size_", minimum=1)
        else:
            self.n_features_in_ = read_count(state, "n_features_in_", minimum=1)
            # Files written before patch_size existed have no patch_size_: they read steps.
            self.patch_size_ = read_count(state, "patch_size_", minimum=1, default=1)
            if "sequence_spread_floor_" in arrays:
                self.sequence_spread_floor_ = _read_spread_floor(arrays, self.n_features_in_)
                if "input_mean_" not in arrays:
                    raise ValueError(
                        "sequence_spread_floor_ needs input_mean_ and input_scale_: the "
                        "scaled channels are always standardised"
                    )
            if "input_mean_" in arrays or "input_scale_" in arrays:
                self.input_mean_, self.input_scale_ = _read_scaling(
                    arrays, "input", self._network_features()
                )
        self.n_iter_ = read_count(state, "n_iter_")
        self.t_ = read_count(state, "t_")
        self._no_improvement_count = read_count(state, "_no_improvement_count")
        self.loss_curve_ = read_float_list(state, "loss_curve_")
        self.best_loss_ = read_float(state, "best_loss_")
        self.validation_scores_ = read_float_list(state, "validation_scores_", allow_none=True)
        self.best_validation_score_ = read_float(state, "best_validation_score_", allow_none=True)
        self.best_epoch_ = read_count(state, "best_epoch_", default=None)
        if self.best_epoch_ is None:  # files before format version 3
            self.best_epoch_ = _first_best_epoch(self.n_iter_, self.validation_scores_)
        if self.best_epoch_ > self.n_iter_:
            raise ValueError(
                f"best_epoch_={self.best_epoch_} is later than n_iter_={self.n_iter_}"
            )
        self._rng = read_generator(state, "rng_state")
        # Files before format version 12 record neither: the generator continues, and the
        # model warns of one-step columns at predict as any model not trained on them.
        reseeds = read_flag(state, "rng_reseeds", default=False)
        self._rng_seeded_by = _SEEDED_BY_ANOTHER if reseeds else self.random_state
        self._trained_on_one_step = read_flag(state, "trained_on_one_step", default=False)
        self.network_ = read_network(state, "network", required(arrays, "params"))
        self._weight_mask = self.network_.weight_mask()
        self._set_target_state(state, arrays)
        self._refuse_unknown_entries(state, arrays)

    def _refuse_unknown_entries(self, state, arrays):
        """Refuse the entries of a restored state that this estimator does not write.

        Writing the restored state again also checks it against the network.
        """
        written_state, written_arrays = self._get_fitted_state(copy_params=False)
        unknown = sorted(set(state) - set(written_state))
        if unknown:
            raise ValueError(f"unknown fitted attribute(s) {unknown}")
        unknown = sorted(set(arrays) - set(written_arrays))
        if unknown:
            raise ValueError(f"arrays {unknown} do not fit a {type(self).__name__}")

    def _check_matches_network(self, remedy=""):
        """Raise a ValueError, ending with ``remedy``, unless the hyper-parameters and
        fitted attributes describe ``network_`` (``set_params`` after fit can break that)."""
        network = self.network_
        problems = []
        hidden_layer_sizes = self._check_settings()
        if hidden_layer_sizes != tuple(network.hidden_layer_sizes):
            problems.append(
                f"hidden_layer_sizes={self.hidden_layer_sizes!r} but the network has "
                f"{tuple(network.hidden_layer_sizes)!r}"
            )
        for name in ("bidirectional", "reset_after"):
            if bool(getattr(self, name)) != bool(getattr(network, name)):
                problems.append(
                    f"{name}={getattr(self, name)!r} but the network has "
                    f"{getattr(network, name)!r}"
                )
        if np.dtype(self.dtype) != network.dtype:
            problems.append(f"dtype={self.dtype!r} but the network is {network.dtype.name}")
        if self._conv_layers() != network.conv_layers:
            problems.append(
                f"conv_layers={self.conv_layers!r} but the network has {network.conv_layers!r}"
            )
        output = self._output_mode()
        if output != network.output:
            problems.append(f"output={output!r} but the network has {network.output!r}")
        else:  # the pooling and the linear skip follow from output: named only if it matches
            if self._network_pooling() != network.pooling:
                problems.append(
                    f"pooling={self.pooling!r} but the network has {network.pooling!r}"
                )
            if self._uses_linear_skip() != bool(network.linear_steps):
                uses = self._uses_linear_skip()
                problems.append(
                    f"the estimator {'uses' if uses else 'has no'} linear skip but the "
                    f"network {'has one' if network.linear_steps else 'has none'}"
                )
        if self.embedding_dim != network.embedding_dim:
            problems.append(
                f"embedding_dim={self.embedding_dim!r} but the network has "
                f"{network.embedding_dim!r}"
            )
        elif self.embedding_dim is not None:
            if self.vocabulary_size_ != network.n_inputs:
                problems.append(
                    f"vocabulary_size_={self.vocabulary_size_!r} but the network "
                    f"has {network.n_inputs} inputs"
                )
            if self.vocabulary_size not in (None, network.n_inputs):
                problems.append(
                    f"vocabulary_size={self.vocabulary_size!r} but the network's embedding "
                    f"has {network.n_inputs} rows"
                )
        else:
            features = self._network_features()
            if features * self.patch_size_ != network.n_inputs:
                scaled = hasattr(self, "sequence_spread_floor_")
                problems.append(
                    f"n_features_in_={self.n_features_in_!r}"
                    + (" (3 values each, sequences scaled by themselves)" if scaled else "")
                    + f" and patch_size_={self.patch_size_!r} but the network has "
                    f"{network.n_inputs} inputs"
                )
            if hasattr(self, "input_mean_") and not (
                np.shape(self.input_mean_) == np.shape(self.input_scale_) == (features,)
            ):
                problems.append(
                    f"input_mean_ and input_scale_ have shapes "
                    f"{np.shape(self.input_mean_)} and "
                    f"{np.shape(self.input_scale_)}, expected ({features},)"
                )
        if self._n_outputs() != network.n_outputs:
            problems.append(
                f"{self._n_outputs()!r} outputs expected but the network has {network.n_outputs}"
            )
        if problems:
            raise ValueError(
                "the estimator's parameters do not match its fitted network: "
                + "; ".join(problems)
                + remedy
            )

    def _train(
        self,
        X,
        lengths,
        targets,
        sample_weight,
        train,
        epochs,
        validation,
        patience,
        average,
        training_starts,
        start_params=None,
    ):
        """Run up to ``epochs`` epochs over the sequences ``train`` (indices into X). With
        ``average`` (a WeightAverage), the model after each epoch is the averaged weights.
        ``start_params`` are the weights this call keeps where no epoch does better (by
        default the network's own; the ridge regression that a linear skip's training
        starts near).
        ``training_starts()`` is called where an error or Ctrl-C no longer undoes the call
        (see ``_unchanged_unless_training_starts``) but ends it at the last completed epoch
        (``_fit`` still undoes a fitted model's call that completed none).
        Returns the error a callback or an epoch raised (for the caller to raise once the
        model is final; Ctrl-C's KeyboardInterrupt is returned too, for its warning), else
        None; whether the weights kept are ones a callback set (which the regressor's
        guard then leaves as they are); the ConvergenceWarning's message where
        ``max_iter`` ended training (else None), for the caller to warn once the weights
        kept are known; and whether ``max_iter`` ended it (one epoch has no such warning;
        a callback or the stopping rule at the last epoch is not max_iter)."""
        batch_size = self._batch_size(len(train))
        self._extra_penalties = {
            name: strength - float(self.alpha)
            for name, strength in self._penalties_besides_alpha(batch_size, len(train)).items()
        }
        mask_rng = self._mask_rng(self.network_.xp)
        callbacks = _as_callback_list(self.callbacks)
        if start_params is None:
            start_params = self.network_.params.copy()
        best_params = last_good_params = last_step_params = start_params
        best_epoch = start_epoch = self.best_epoch_  # (the epoch whose weights start_params are)
        # Without a validation set, the fallbacks where training raised the loss (see the
        # end): the epoch of the lowest loss (best_params), and the one before the last
        # completed (a jump late in the last epoch leaves its average loss the lowest).
        previous_params, previous_epoch = start_params, start_epoch
        epochs_before = self.n_iter_
        # Each call's stopping rule counts its own epochs against its own best loss, as
        # Keras' EarlyStopping does: a warm fit on new data is stopped neither by the last
        # fit's count nor by a loss only the old data reached.
        self._no_improvement_count = 0
        best_loss_of_call = np.inf
        from_initialisation = epochs_before == 0
        stopped_by = "max_iter"
        raised = None
        set_by_callback = False  # whether the last completed epoch's weights are a callback's
        # Where Ctrl-C or an error cuts an epoch short, the model goes back to the end of
        # the last completed one (or to the start): the epoch's steps leave no optimizer
        # moments or random draws behind, nor a record half written. The record's snapshot
        # is taken as each epoch starts, where it costs nothing extra (a partial_fit call
        # has one epoch, and its steps can be few); the weights of the completed epoch are
        # copies already.
        completed = (last_good_params, last_step_params, best_params, best_epoch)
        completed_record, in_progress = self._training_record(), True
        start_score = None
        if validation is not None:  # setup too: Ctrl-C here undoes the call
            start_score = self._start_validation(start_params, validation)
        progress = _progress_bar(epochs, self.verbose)
        try:
            training_starts()
            for _ in range(epochs):
                if not in_progress:
                    completed_record, in_progress = self._training_record(), True
                start = time.perf_counter()
                objective = self._run_epoch(
                    X, lengths, targets, sample_weight, train, batch_size, mask_rng, average
                )
                loss = objective * self._loss_unit()
                if not np.isfinite(loss):
                    advice = self._divergence_advice() + ", or scaling the input"
                    if self.n_iter_ == epochs_before:
                        advice = (
                            self._advice_if_the_start_diverged(
                                start_params,
                                X,
                                lengths,
                                targets,
                                sample_weight,
                                train,
                                batch_size,
                                from_initialisation,
                            )
                            or advice
                        )
                    self.network_.params[...] = last_good_params
                    if self.n_iter_ > epochs_before:
                        kept = (
                            "Stopped at the weights of the last completed epoch (where "
                            "those training started from have a lower training loss, the "
                            "fit goes back, and says to what)"
                        )
                    elif from_initialisation and self.network_.linear_steps:
                        kept = "Kept the linear skip's ridge regression training started from"
                    else:
                        kept = "Kept the weights this call started from"
                    warn(
                        f"Training diverged: the loss became {loss} in epoch "
                        f"{self.n_iter_ + 1}. {kept}; {advice}.",
                        ConvergenceWarning,
                    )
                    stopped_by = "divergence"
                    break
                epoch_params = (
                    self.network_.params if average is None else average.average
                ).copy()
                step_params = self.network_.params.copy() if average is not None else None
                score = None
                if validation is not None:
                    score = self._validation_score_of(epoch_params, validation)
                # The epoch is recorded from here, its loss and its validation score alike;
                # it counts once the record is complete (in_progress False, below).
                previous_params, previous_epoch = last_good_params, self.n_iter_
                last_good_params = epoch_params
                if average is not None:
                    last_step_params = step_params
                self.n_iter_ += 1
                self.t_ += len(train)
                self.loss_curve_.append(loss)
                if validation is not None:
                    self.validation_scores_.append(score)
                record = {
                    "epoch": self.n_iter_,
                    "loss": loss,
                    "validation_score": score,
                    "learning_rate": self._optimizer.learning_rate,
                }
                if validation is not None:
                    self._update_no_improvement(-score, -self.best_validation_score_)
                    if score > self.best_validation_score_:
                        self.best_validation_score_ = score
                        best_params, best_epoch = last_good_params, self.n_iter_
                else:
                    # Improvements are judged (against tol) on the objective minimised.
                    self._update_no_improvement(objective, best_loss_of_call / self._loss_unit())
                    if loss < best_loss_of_call:  # a fallback if the last epochs raise it
                        best_params, best_epoch = last_good_params, self.n_iter_
                    best_loss_of_call = min(best_loss_of_call, loss)
                    self.best_loss_ = min(self.best_loss_, loss)
                record["duration"] = time.perf_counter() - start
                self._last_epoch_record = dict(record)  # what a TrainingPanel shows
                # The postfix first: update redraws the bar, which showed the last epoch's.
                progress.set_postfix(_postfix(record), refresh=False)
                progress.update(1)
                schedule_stop = self._optimizer.on_epoch_end(
                    self.n_iter_, objective if validation is None else -score, self.t_
                )
                # The epoch is complete. While the callbacks run, the model holds its
                # weights and their score (a checkpoint a callback saves is of this epoch).
                self.best_epoch_ = self.n_iter_
                in_progress = False  # first: from here the locals are those of this epoch
                completed = (last_good_params, last_step_params, best_params, best_epoch)
                so_far = self.best_validation_score_, self.validation_scores_
                self.best_validation_score_ = score  # None where this call does not validate
                if validation is None:  # an earlier call's scores, of other epochs
                    self.validation_scores_ = None
                try:
                    stop, weights_set = self._run_callbacks(
                        callbacks, record, epoch_params, step_params, average
                    )
                finally:
                    self.best_validation_score_, self.validation_scores_ = so_far
                set_by_callback = weights_set is not None
                if set_by_callback:
                    # Weights a callback set (a pruning, a constraint, a checkpoint put
                    # back) are this epoch's: a stop or the end of the fit keeps them, but
                    # not early stopping, which keeps weights it has scored.
                    last_good_params = weights_set
                    if average is not None:
                        last_step_params = weights_set
                    if validation is None and best_epoch == self.n_iter_:
                        best_params = weights_set  # the fallback keeps a callback's weights too
                    completed = (last_good_params, last_step_params, best_params, best_epoch)
                if stop:
                    stopped_by = "callback"
                    break
                if self.learning_rate == "adaptive" and schedule_stop:
                    stopped_by = "adaptive"
                    break
                if (
                    self.learning_rate != "adaptive"
                    and epochs > 1
                    and self._no_improvement_count >= patience
                ):
                    stopped_by = "no_improvement"
                    break
        except BaseException as error:
            # Ctrl-C, or a callback or the epoch itself raised (SystemExit and asyncio's
            # CancelledError included): the model ends as after a stop at the last
            # completed epoch, then an error goes on.
            if in_progress:
                last_good_params, last_step_params, best_params, best_epoch = completed
                self._restore_training_record(completed_record)
            self.network_.params[...] = last_good_params
            raised = error
            stopped_by = "interrupt"
        finally:
            progress.close()
        training_failed = stopped_by == "divergence"
        went_back = False  # to weights before the last step's (not an average of them)
        kept_the_start = False  # no epoch of this call beat its start, by validation
        if self.n_iter_ == epochs_before:
            # Stopped before an epoch of this call was complete: the weights it started
            # from, with their score where it was taken. An interruption has also put the
            # optimizer back as it was; a divergence resets it below.
            self.network_.params[...] = start_params
            if start_score is not None:
                self.best_validation_score_ = start_score
        elif validation is not None:
            went_back = best_params is not last_good_params
            # Random initial weights that tie the best epoch (validation accuracy 1.0 on a
            # few sequences throughout) give way to it, as in MLPClassifier: keeping them
            # threw a trained model away (audit36d). A ridge start or earlier training
            # is kept on a tie.
            random_start = from_initialisation and not self.network_.linear_steps
            tied = random_start and self.best_validation_score_ == start_score
            if not (self.best_validation_score_ > start_score or tied):
                # No epoch of this call beat the weights it started from (a warm fit's best
                # so far is their score): they are kept, and their epoch with them.
                best_params, went_back, kept_the_start = start_params, True, True
                best_epoch = 0 if from_initialisation else best_epoch
                best_of_call = max(self.validation_scores_[epochs_before - self.n_iter_ :])
                self._warn_no_epoch_beat_the_start(
                    best_of_call, start_score, best_epoch, self.n_iter_ - epochs_before
                )
                self.best_validation_score_ = start_score
            self.network_.params[...] = best_params
            self.best_epoch_ = best_epoch
        else:
            # The average guards against ending on a step that raised the loss, the last
            # step against an average that straddles a jump of the weights, and the weights
            # training started from against a fit that made the objective worse: a learning
            # rate so large that the loss explodes without becoming inf (from the random
            # initial weights), or becomes inf (from a warm start too, whose trained weights
            # an epoch's noise could otherwise beat by tol). Before falling back to them, the
            # epoch of the lowest training loss (one bad last step threw away a trained model).
            candidates = [last_good_params]
            if average is not None:
                candidates.append(last_step_params)
            checks_start = (
                (from_initialisation or stopped_by == "divergence")
                and not set_by_callback  # weights the user chose are not a divergence
                # a first fit's ridge start has its own guard (_keep_correction_only_if_it_pays)
                and not (self.network_.linear_steps and from_initialisation)
                and epochs > 1
                and stopped_by != "interrupt"
                and last_good_params is not start_params
            )
            compared = candidates + ([start_params] if checks_start else [])
            kept, objectives = 0, None
            if len(compared) > 1:
                objectives = self._objectives_unless_interrupted(
                    compared, X, lengths, targets, sample_weight, train, batch_size
                )
            kept_params, kept_epoch = None, None  # an earlier epoch's, or the start's
            if objectives is not None:
                trained = objectives[: len(candidates)]
                kept = int(np.argmin(trained))  # the first of equals: the last epoch's
                # The start only where training raised the objective by more than tol: on
                # data with nothing to learn, the initial loss is already the least, and
                # a rise of 2e-5 is no divergence. Before it, the better earlier epoch
                # (compared only then: a successful fit pays nothing), unless that too is
                # worse than the start by more than tol.
                start_objective, tol = objectives[-1], float(self.tol)
                if checks_start and start_objective < trained[kept] - tol:
                    kept_params, kept_epoch, kept_objective = start_params, start_epoch, None
                    earlier = self._earlier_epochs_scored(
                        [(best_epoch, best_params), (previous_epoch, previous_params)],
                        [last_good_params, start_params],
                        (X, lengths, targets, sample_weight, train, batch_size),
                    )
                    if earlier is None:  # Ctrl-C: its warning says the last epoch is kept
                        kept_params = None
                    elif earlier:
                        best = min(earlier, key=lambda scored: scored[2])
                        if not start_objective < best[2] - tol:
                            kept_epoch, kept_params, kept_objective = best
            self.network_.params[...] = compared[kept] if kept_params is None else kept_params
            self.best_epoch_ = self.n_iter_
            # No longer the score of the weights kept, nor scores of the last epochs run
            # (a plot drew them at the epochs of this call).
            self.best_validation_score_ = self.validation_scores_ = None
            if kept_params is not None:
                self.best_epoch_ = kept_epoch
                self._warn_training_raised_the_loss(
                    min(trained),
                    start_objective,
                    None if from_initialisation else start_epoch,
                    sample_weight is not None,
                    kept_objective,
                )
                training_failed = True
        if training_failed or went_back:
            # The weights went back to before the steps that failed, or to an earlier
            # epoch's; the optimizer's moments go with them, else the next partial_fit would
            # start with the momentum of steps the model no longer holds (a forecaster that
            # early stopping had taken back, updated window by window, fell from R² 0.93 to
            # 0.67) or, after a failure, fail again whatever its settings. Its learning rate
            # stays.
            self._optimizer.reset_state()
        kept_callback_weights = set_by_callback and validation is None
        ended_by_max_iter = stopped_by == "max_iter"
        if raised is not None:
            return raised, kept_callback_weights, None, ended_by_max_iter
        # (not after a warning that training failed, which gives its own advice)
        if not (ended_by_max_iter and epochs > 1) or training_failed or kept_the_start:
            return None, kept_callback_weights, None, ended_by_max_iter
        message = (
            f"Stochastic optimizer: maximum iterations ({self.max_iter}) "
            "reached and the optimization hasn't converged yet."
        )
        if (
            self.n_iter_no_change == "auto"
            and patience >= epochs
            and self._no_improvement_count >= _AUTO_MIN_PATIENCE
        ):
            # A few sequences make one update per epoch: 500 epochs of patience.
            message += (
                f" Its last {self._no_improvement_count} epochs did not improve by tol, "
                f"but on {len(train)} training sequences n_iter_no_change='auto' waits "
                f"{patience} epochs, which max_iter does not leave: set n_iter_no_change "
                "to a number of epochs to stop such fits sooner."
            )
        if validation is None and self.network_.linear_steps:
            message += (
                " More epochs can fit noise rather than signal: the default regressor, "
                "which starts as a ridge regression, ended 20-100 % behind that ridge "
                "on small, noisy series of forecast windows. Validate on held-out "
                "sequences (early_stopping=True; for forecast windows the latest ones, with "
                "validation_split='last' or X_val and y_val) to keep the epoch that "
                "predicts them best."
            )
        return None, kept_callback_weights, message, ended_by_max_iter

    def _run_callbacks(self, callbacks, record, epoch_params, step_params, average):
        """Run the callbacks. Returns whether one asks to stop training, and a copy of the
        weights if one changed them (else None). With weight averaging (``step_params`` the
        optimizer's last step, ``average`` the WeightAverage) the model holds the epoch's
        averaged weights while they run, the weights the record's scores are of and that a
        stop keeps: a callback that scores or saves the model sees those. Weights a
        callback changes are where training goes on from, as without averaging: the last
        step and the average both become them."""
        if not callbacks:
            return False, None
        params = self.network_.params
        if step_params is not None:
            params[...] = epoch_params
        changed = False
        try:
            stop = any([_asks_to_stop(callback, callback(self, record)) for callback in callbacks])
            changed = not bool((params == epoch_params).all())
        finally:
            if step_params is not None:
                if changed:
                    average.average[...] = params
                else:
                    params[...] = step_params
        # Weights that are not finite are no epoch's result: training goes on from them and
        # fails, and the model goes back to the epoch's own.
        kept = changed and bool(self.network_.xp.isfinite(params).all())
        return stop, (params.copy() if kept else None)

    def _training_record(self):
        """What an epoch changes in the model besides its weights, for
        :meth:`_restore_training_record`: the counts and best scores, the curves' lengths
        (they only grow), the optimizer's state and the random generator's."""
        return {
            "attributes": {
                name: getattr(self, name)
                for name in (
                    "n_iter_",
                    "t_",
                    "best_epoch_",
                    "best_loss_",
                    "best_validation_score_",
                    "_no_improvement_count",
                )
            },
            "loss_curve_": len(self.loss_curve_),
            "validation_scores_": None
            if self.validation_scores_ is None
            else len(self.validation_scores_),
            "optimizer": self._optimizer.state(),
            "rng": (self._rng, self._rng.bit_generator.state),
        }

    def _restore_training_record(self, record):
        """Go back to a :meth:`_training_record`."""
        for name, value in record["attributes"].items():
            setattr(self, name, value)
        del self.loss_curve_[record["loss_curve_"] :]
        kept_scores = record["validation_scores_"]
        if kept_scores is None:
            self.validation_scores_ = None
        else:
            del self.validation_scores_[kept_scores:]
        self._optimizer.restore(record["optimizer"])
        self._rng, state = record["rng"]
        self._rng.bit_generator.state = state

    def _interruption_message(self, epochs_before, validation, undone):
        """The warning of a fit stopped by Ctrl-C, which keeps the weights of its last
        completed epoch (or of its best validation score), or where it completed none the
        model as it was before the call (``undone``, a model fitted before; with a hint
        where hyper-parameters changed since no longer describe it), or else the weights it
        started from; or where a regressor's guard dropped the GRU's correction
        (``linear_skip``), the ridge it started from."""
        if undone:
            try:
                self._check_matches_network(". Set them back to predict with it, or fit again")
                hint = ""
            except ValueError as error:  # (refitting with other sizes, say: review40)
                hint = f". {error}"
            return (
                "fit interrupted before its first epoch was complete; the model is as it "
                f"was before this call (n_iter_={self.n_iter_}){hint}"
            )
        if self.n_iter_ == epochs_before:
            return (
                "fit interrupted before its first epoch was complete; the model keeps the "
                f"weights it started from (n_iter_={self.n_iter_})"
            )
        if validation is None and self.best_epoch_ == 0 and self.network_.linear_steps:
            return (
                f"fit interrupted after {self.n_iter_} epochs; the GRU's correction did not "
                "lower the training objective by tol, so the model keeps the linear skip's "
                "ridge regression it started from (best_epoch_=0; see linear_skip)"
            )
        return (
            f"fit interrupted after {self.n_iter_} epochs; the model keeps the weights of "
            "the last completed epoch"
            + (", or of the best validation score" if validation is not None else "")
        )

    def _earlier_epochs_scored(self, epochs, compared_already, data):
        """(epoch, weights, training objective) of each of ``epochs`` ((epoch, weights)
        pairs) that is not one of ``compared_already`` nor a repeat; None where Ctrl-C
        stops the comparison (its warning says the fit keeps its last epoch, which it
        then does). ``data``: the arguments of :meth:`_objective_of` after the weights."""
        distinct = []
        for epoch, params in epochs:
            if all(params is not other for other in compared_already + [p for _, p in distinct]):
                distinct.append((epoch, params))
        if not distinct:
            return []
        objectives = self._objectives_unless_interrupted([p for _, p in distinct], *data)
        if objectives is None:
            return None
        return [(*pair, objective) for pair, objective in zip(distinct, objectives)]

    def _objectives_unless_interrupted(
        self, candidates, X, lengths, targets, sample_weight, train, batch_size
    ):
        """The training objective of each weight vector in ``candidates``, or None (with
        the interruption's warning) if Ctrl-C stops their comparison: the fit then keeps
        the first candidate, the weights of the last completed epoch."""
        try:
            return [
                self._objective_of(params, X, lengths, targets, sample_weight, train, batch_size)
                for params in candidates
            ]
        except KeyboardInterrupt:
            warn(
                f"fit interrupted after {self.n_iter_} epochs, while choosing the weights to "
                "keep; the model keeps the weights of the last completed epoch",
                UserWarning,
            )
            return None

    def _keep_correction_only_if_it_pays(
        self,
        X,
        lengths,
        targets,
        sample_weight,
        train,
        linear_start,
        strongest_penalty,
        live_start,
        cut_short,
        quiet,
    ):
        """After a fit that started as the linear skip's ridge regression (``linear_start``)
        and ended without a validation score: keep the GRU's correction only if it pays for
        itself on the training data, lowering the objective by at least tol (what the
        stopping rule counts as an improvement), and leaves it no higher than at the start.
        One that does not can still move the forecasts a long way on inputs outside the
        training range. Without it the model holds the weights from before training
        (``best_epoch_`` 0), with a warning where training raised the objective by more
        than tol (a learning rate far too large), or where that ridge had the strongest
        penalty of its grid (``strongest_penalty``): the model then predicts about the
        targets' mean, silently, where the GRU alone could have learned them. Training that
        started from ``live_start`` (the ridge with the correction's head live, or None)
        raised the objective only if it ended above that start's objective too;
        ``cut_short``: max_iter ended the fit within its first ``_EARLY_EPOCHS`` (the
        warning says the rise may be one it had not yet come back down from); ``quiet``:
        an error or Ctrl-C ends the call, which says so itself (a raising callback leaves
        the model without a warning of its own). Returns whether it warned."""
        batch_size = self._batch_size(len(train))
        corrected = self.network_.params.copy()
        uncorrected = self._without_correction(corrected, linear_start)
        objectives = self._objectives_unless_interrupted(
            [corrected, uncorrected, linear_start],
            X,
            lengths,
            targets,
            sample_weight,
            train,
            batch_size,
        )
        if objectives is None:
            self.network_.params[...] = corrected
            return False
        corrected_objective, uncorrected_objective, start_objective = objectives
        # The start counts too: after a divergence the GRU's weights give both of the
        # others the same huge (or infinite) L2 term, which hides what the correction does.
        if (
            np.isfinite(corrected_objective)
            and corrected_objective <= uncorrected_objective - float(self.tol)
            and corrected_objective <= start_objective
        ):
            self.network_.params[...] = corrected
            return False
        rose = not corrected_objective <= start_objective + float(self.tol)  # (tol: no rise)
        if rose and live_start is not None:  # (a tiny learning rate stays near its start)
            started_at = self._objectives_unless_interrupted(
                [live_start], X, lengths, targets, sample_weight, train, batch_size
            )
            if started_at is None:  # Ctrl-C: its warning says the last epoch is kept
                self.network_.params[...] = corrected
                return False
            rose = not corrected_objective <= max(start_objective, *started_at) + float(self.tol)
        # The weights from before training, the GRU's own included: kept as trained, they
        # would not change a prediction (the head reads them with weights zero), but a warm
        # fit would go on from them and a file would hold them (1e13 after a divergence).
        self.network_.params[...] = linear_start
        self.best_epoch_ = 0
        self._optimizer.reset_state()  # the weights went back (see _train)
        # Under the strongest penalty the head barely moves, and Adam's steps against that
        # penalty raise the objective a little (0.05 % at learning_rate_init=1e-4): no
        # divergence, which a smaller rate would not cure (audit36d), unless it doubles.
        diverged = rose and not (
            strongest_penalty and corrected_objective <= 2 * start_objective  # (NaN: not)
        )
        if quiet:
            return False
        if diverged:
            self._warn_training_raised_the_loss(
                corrected_objective,
                start_objective,
                None,
                sample_weight is not None,
                cut_short=cut_short,
            )
        elif strongest_penalty:
            self._warn_ended_on_a_ridge_without_signal()
        # (either says what the model is, and what to do: the iteration warning's advice,
        # more epochs or validation, would repeat or contradict it)
        return diverged or strongest_penalty

    def _warn_ended_on_a_ridge_without_signal(self):
        warn(
            "The fit ended on the linear skip's ridge regression (best_epoch_=0), whose "
            "leave-one-out choice was the strongest penalty of its grid "
            f"(linear_skip_alpha_={self.linear_skip_alpha_:g}): the inputs' last steps "
            "explain the targets linearly by next to nothing, so the model predicts about "
            "the training targets' mean, and no correction by the GRU paid for itself under "
            f"the penalty training kept on it (correction_alpha_={self.correction_alpha_:g}). "
            "Where the targets depend on the inputs nonlinearly (an energy, "
            "a maximum, a count of events), fit with linear_skip=False; on noise, the mean is "
            "the right answer.",
            UserWarning,
        )

    def _without_correction(self, params, linear_start):
        """``params`` with the GRU's correction switched off: the linear skip and the head
        as they started (the ridge regression, the head's weights zero), the GRU's own
        weights as trained, so that the two differ in the correction alone, L2 terms
        included."""
        uncorrected = params.copy()
        views = self.network_.unflatten(uncorrected)
        start = self.network_.unflatten(linear_start)
        for name in ("linear.weight", "head.weight", "head.bias"):
            views[name][...] = start[name]
        return uncorrected

    def _start_validation(self, start_params, validation):
        """Ready the record of a fit that validates and return the validation score of the
        weights it starts from, which training must beat for its weights to be kept: the
        initial weights (for a regressor with a linear skip, its ridge regression) or, for
        a warm fit, whose validation split is its own, the weights so far, whose score is
        then the best so far (scores from another split must not decide which weights are
        kept). A fresh fit's stopping rule still counts from its first epoch's score."""
        if self.validation_scores_ is None:
            self.validation_scores_ = []
        start_score = self._validation_score_of(start_params, validation)
        if self.n_iter_:
            self.best_validation_score_ = start_score
        elif self.best_validation_score_ is None:  # a warm fit after calls that never validated
            self.best_validation_score_ = -np.inf
        return start_score

    def _validation_score_of(self, params, validation):
        """The validation score of the model with weights ``params``; the network keeps its
        own weights (training goes on from them)."""
        own = self.network_.params.copy()
        self.network_.params[...] = params
        try:
            return self._validation_score(*validation)
        finally:
            self.network_.params[...] = own

    def _loss_unit(self):
        """What the minimised objective is multiplied by in ``loss_curve_`` (the regressor
        reports it on the scale of y)."""
        return 1.0

    def _update_no_improvement(self, value, best):
        """MLP's rule: count epochs that fail to beat ``best`` (lower is better) by tol."""
        if value > best - float(self.tol):
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0

    def _batch_size(self, n_samples):
        """The minibatch size for ``n_samples`` training sequences, a Python int: NumPy's
        unsigned and small integers overflow in the ceiling divisions that count updates
        (``-(-n // size)``; np.uint64(3) raised OverflowError)."""
        if self.batch_size == "auto":
            return min(200, int(n_samples))
        return min(int(self.batch_size), int(n_samples))

    def _run_epoch(
        self, X, lengths, targets, sample_weight, train, batch_size, mask_rng, average=None
    ):
        """One pass over the sequences ``train`` in minibatches; ``sample_weight`` is a
        host array (or None), sent to the device batch by batch with the batch's indices;
        ``average`` (a WeightAverage or None) follows every update. A non-finite loss,
        gradient or weight ends the pass, returning a non-finite loss."""
        xp = self.network_.xp
        order = train[self._rng.permutation(len(train))] if self.shuffle else train
        total = 0.0
        batches = self._minibatches(X, lengths, targets, sample_weight, order, batch_size)
        n_read = 0
        warp = self._window_warp_share()
        # A diverging fit overflows; the checks below stop it, and the fit says so clearly,
        # so NumPy's overflow warnings from inside pygru would only add noise.
        with np.errstate(over="ignore", invalid="ignore"):
            for batch in batches:
                batch_X = batch.X
                if warp is not None:
                    batch_X = _sequences.window_warp(
                        batch_X, batch.lengths, self.patch_size_, warp, self._rng, xp
                    )
                output, cache = self.network_.forward(
                    batch_X,
                    batch.lengths,
                    dropout=self.dropout,
                    recurrent_dropout=self.recurrent_dropout,
                    rng=mask_rng,
                )
                loss, d_output = self._loss(output, batch.targets, batch.weights, batch.lengths)
                if loss is None:  # every step weighs 0 (class weights per step)
                    continue
                if not np.isfinite(loss):
                    return loss
                if batch.share != 1.0:  # a weighted batch counts by the weight it holds
                    loss *= batch.share
                    d_output *= batch.share  # the loss's own array, scaled in place
                grad = self.network_.backward(d_output.astype(self.dtype, copy=False), cache)
                loss += self._l2_penalty(batch.size_in_weight, grad)
                if not (np.isfinite(loss) and xp.isfinite(grad).all()):
                    return np.inf if np.isfinite(loss) else loss
                clip_gradients(grad, self.clipnorm, self.clipvalue)
                self._optimizer.step(grad)
                if not xp.isfinite(self.network_.params).all():
                    return np.inf
                if average is not None:
                    average.update(self.network_.params)
                total += loss * batch.counted
                n_read += batch.counted
        return total / n_read

    def _minibatches(self, X, lengths, targets, sample_weight, order, batch_size):
        """A :class:`_Minibatch` (X, lengths, targets, sample weights on the device or None,
        share, size in weight, sequences counted) of each minibatch of the sequences
        ``order``, in that order; ``sample_weight`` is a host array (or None), sent to the
        device batch by batch; every weight is positive (``_of_positive_weight``). The
        epoch's loss is the mean of its batches' by their counts of sequences.

        A weight of k acts as k copies of a sequence in every minibatch, not only in one
        full batch: each batch counts by the weight it holds, as Keras' sum over the batch's
        size has it. Its size in weight is its number of sequences times their mean weight
        in ``order``; the batch's loss, a weighted mean, is to be multiplied by its
        ``share``, its total weight over that size, and the L2 term divided by that size.
        With one full batch the size is the total weight, as copies would have it.
        (Dividing each batch by its own total weight, as MLP does, pulled the fit towards
        equal weights: a rare class weighted to balance, alone in a batch of 16, moved the
        model a quarter of the way.)
        Without weights both are plain: 1 and the batch's size."""
        xp = self.network_.xp
        device_order = xp.asarray(order)  # one small copy per epoch on the GPU
        mean_weight = None if sample_weight is None else float(sample_weight[order].mean())
        for start in range(0, len(order), batch_size):
            batch = device_order[start : start + batch_size]
            host_batch = order[start : start + batch_size]
            batch_lengths = lengths[host_batch]
            # Batches are cut to their own longest sequence: padding is never computed.
            batch_X = X[batch][:, : batch_lengths.max()]
            batch_targets = targets[batch]
            if self._output_mode() == "sequence":
                batch_targets = batch_targets[:, : batch_lengths.max()]
            n = len(host_batch)
            if sample_weight is None:
                yield _Minibatch(batch_X, batch_lengths, batch_targets, None, 1.0, n, n)
            else:
                host_weights = sample_weight[host_batch]
                # NumPy scalars: under NumPy 2's promotion a float32 gradient scaled by them
                # is computed in float64, where a Python float would keep float32.
                size_in_weight = np.float64(n * mean_weight)
                share = float(host_weights.sum()) / size_in_weight
                weights = xp.asarray(host_weights)
                yield _Minibatch(
                    batch_X, batch_lengths, batch_targets, weights, share, size_in_weight, n
                )

    def _training_objective(self, X, lengths, targets, sample_weight, train, batch_size):
        """What training minimises (the loss with its L2 terms, summed as ``_run_epoch``
        sums it), for the network's current weights on the sequences ``train``, without
        dropout and without changing the weights. Diverged weights give an infinite
        objective without NumPy's overflow warnings: the fit's own warning names it."""
        total, n_read = 0.0, 0
        batches = self._minibatches(X, lengths, targets, sample_weight, train, batch_size)
        with np.errstate(over="ignore", invalid="ignore"):
            l2_terms = self._l2_terms(self._masked_params())  # the weights stay as they are
            for batch in batches:
                output, _ = self.network_.forward(batch.X, batch.lengths, keep_cache=False)
                loss, _ = self._loss(output, batch.targets, batch.weights, batch.lengths)
                if loss is None:  # every step weighs 0, as in _run_epoch
                    continue
                loss = loss * batch.share + _per_unit_of_weight(l2_terms, batch.size_in_weight)
                total += loss * batch.counted
                n_read += batch.counted
        return total / n_read

    def _warn_no_epoch_beat_the_start(self, best_score, start_score, kept_epoch, epochs):
        best, start = _distinct_digits(best_score, start_score)
        warn(
            f"No epoch's validation score beat that of the weights training started from: "
            f"{best} at best after {epochs} epochs, {start} before, so the model keeps "
            f"the weights it started from (best_epoch_={kept_epoch}). If the training loss "
            f"grew, the optimization diverged: {self._divergence_advice()}."
            + self._warping_as_a_cause(),
            ConvergenceWarning,
        )

    def _warn_training_raised_the_loss(
        self,
        trained_objective,
        start_objective,
        start_epoch,
        weighted,
        kept_objective=None,
        cut_short=False,
    ):
        """Warn that training raised the objective above that of the weights it started
        from (those of epoch ``start_epoch`` of an earlier call; None: the initial weights,
        or for a first fit with a linear skip its ridge regression) and that the model keeps
        those, or, given ``kept_objective``, the weights of the earlier epoch
        ``best_epoch_``; ``weighted``: sample weights were given; ``cut_short``: max_iter
        ended the fit within its first ``_EARLY_EPOCHS``, perhaps before the objective came
        back down (Adam's first steps off a ridge start raised it by 30-80 % for one or two
        epochs on random walks, below the start from the third: audit38a)."""
        unit = self._loss_unit()
        trained, start = _distinct_digits(trained_objective * unit, start_objective * unit)
        if start_epoch is not None:
            started = f"with the weights this call started from (those of epoch {start_epoch})"
        elif self.network_.linear_steps:  # (from the guard: a first fit starts at the ridge)
            started = "with the linear skip's ridge regression training started from"
        else:
            started = "with the initial weights"
        if kept_objective is None:
            kept = f"those (best_epoch_={self.best_epoch_})"
        else:
            earlier = _distinct_digits(kept_objective * unit, trained_objective * unit)[0]
            kept = (
                f"the weights of epoch {self.best_epoch_}, whose training loss is {earlier} "
                f"(best_epoch_={self.best_epoch_})"
            )
        weights = (
            "; sample weights far below 1 also make the L2 penalty (alpha) outweigh the data"
            if weighted and self.alpha > 0
            else ""
        )
        cause = (
            "the optimization diverged, or max_iter ended it before the loss came back "
            f"down from a rise in its first epochs: try more epochs (max_iter="
            f"{self.max_iter}); for a divergence, {self._divergence_advice()}"
            if cut_short
            else f"the optimization diverged; {self._divergence_advice()}"
        )
        warn(
            f"Training raised the training loss, to {trained} after {self.n_iter_} epochs "
            f"from {start} {started}, so the model keeps {kept}: {cause}{weights}."
            + self._warping_as_a_cause(),
            ConvergenceWarning,
        )

    def _divergence_advice(self):
        """What to try after a divergence: a smaller learning rate, and with plain SGD a
        clipped gradient norm (Adam and RMSprop divide each step by the gradients' own
        scale, so clipnorm barely changes theirs)."""
        advice = f"try a smaller learning_rate_init (now {self.learning_rate_init})"
        return advice + (" or clipnorm" if self.solver == "sgd" else "")

    def _advice_if_the_start_diverged(
        self, start, X, lengths, targets, sample_weight, train, batch, first_fit
    ):
        """Where a call diverged in its first epoch from weights that already give a
        non-finite loss on its data, say so, with the causes: for a first fit, data that
        overflow the loss in the model's dtype (targets of 1e22 on their own scale in
        float32; audit39j); else also earlier training that left the weights broken (a call
        at a huge learning rate, say), or this call's data far outside what the first call
        standardised. Advising a smaller rate, which the user may have set already, would
        help with none of them. Else None."""
        objective = self._objective_of(start, X, lengths, targets, sample_weight, train, batch)
        if np.isfinite(objective):
            return None
        if first_fit:
            dtype = np.dtype(self.dtype)
            settings = [
                setting
                for setting, is_off in (
                    ("standardize=True", not self.standardize),
                    ("standardize_target=True", not getattr(self, "standardize_target", True)),
                    ("dtype='float64'", dtype == np.float32),
                )
                if is_off
            ]
            remedy = f"fit with {' or '.join(settings)}" if settings else "scale the data down"
            return (
                "the loss is not finite even at the weights training started from, which no "
                f"learning rate changes: the data overflow it in {dtype.name}; " + remedy
            )
        largest = float(np.max(np.abs(start)))
        if largest > 1e3:  # trained GRU weights are of order 1
            return (
                "the weights this call started from already give a non-finite loss on its "
                f"data, and the largest is {largest:.3g}: earlier training diverged; fit "
                "again from scratch, or load a model saved before"
            )
        return (
            "the weights this call started from already give a non-finite loss on its "
            f"data, though none is large ({largest:.3g} at most): this call's X or y lie "
            "orders of magnitude outside what the model was fitted on (and, with "
            "standardize or standardize_target, what its first call standardised); fit on "
            "data that span them, or scale them"
        )

    def _warping_as_a_cause(self):
        """The other cause of a fit that left its start weights better, where it warped:
        the warped training series, not the series themselves, were fitted."""
        if self._window_warp_share() is None:
            return ""
        return (
            " Training also warped its series (window_warp): if the loss fell during "
            "training, the model fitted the warped series but not the series themselves; "
            "try window_warp=None."
        )

    def _objective_of(self, params, X, lengths, targets, sample_weight, train, batch_size):
        """The training objective of the weights ``params``, which the network then holds."""
        self.network_.params[...] = params
        return self._training_objective(X, lengths, targets, sample_weight, train, batch_size)

    def _refuse_penalties_the_dtype_cannot_square(self, sample_weight, train):
        """Refuse L2 penalties that, over the weight of the lightest minibatch of the
        sequences ``train``, make gradients whose squares overflow Adam's or RMSprop's
        second moments in the model's dtype: with sample weights of 1e-60 the fit warned
        of a divergence to be cured by a smaller learning rate, and with alpha=1e4 at
        weights of 2e-20 hundreds of weights froze, silently (audit32, review32). A
        penalty counts against the weight a minibatch holds, so sample weights far below 1
        scale it up. The gradient is reckoned on weights of size 1 for alpha (the GRU's
        start near it), and for the skip's and the head's penalties on their weights'
        size at the start or the learning rate, by which the optimizers move a weight a
        step (``_largest_gradient``: clipped gradients, and plain SGD's, need only be
        finite)."""
        batch_size = self._batch_size(len(train))
        mean_weight = 1.0 if sample_weight is None else float(sample_weight[train].mean())
        lightest = (len(train) % batch_size or batch_size) * mean_weight
        gradients = {"alpha": float(self.alpha) / lightest}
        for name, strength in self._penalties_besides_alpha(batch_size, len(train)).items():
            size = max(float(abs(self.network_.views[name]).max()), self.learning_rate_init)
            gradients[name] = strength / lightest * size
        name, gradient = max(gradients.items(), key=lambda item: item[1])
        if gradient > self._largest_gradient():
            weighted = sample_weight is not None
            raise ValueError(self._overflowing_penalty_message(name, gradient, lightest, weighted))

    def _largest_gradient(self):
        """The largest gradient that training takes in the model's dtype, with room
        (``_GRADIENT_ROOM``) for the data's gradient beside it: one whose square Adam's
        ``(1 - beta_2) g**2`` or RMSprop's ``(1 - rho) g**2`` holds; a finite one where
        clipping bounds what the optimizer sees, or for plain SGD, which keeps no moments
        (its steps diverge instead, which the fit reports)."""
        largest = float(np.finfo(self.dtype).max)
        if self._squares_gradients():
            decay = 1.0 - (self.beta_2 if self.solver == "adam" else self.rho)
            largest = float(np.sqrt(largest / decay))
        return largest / _GRADIENT_ROOM

    def _squares_gradients(self):
        """Whether the optimizer squares the gradients as they come (Adam, RMSprop without
        clipping)."""
        return self.solver != "sgd" and self.clipnorm is None and self.clipvalue is None

    def _overflowing_penalty_message(self, name, gradient, lightest, weighted):
        """What ``_refuse_penalties_the_dtype_cannot_square`` says of the penalty ``name``
        ("alpha" or a weight of ``_penalties_besides_alpha``), and the remedies that apply:
        the sequences' weights only where there are some (``weighted``), alpha only where
        it is the penalty, float64 only for float32."""
        remedies = ["multiply all the weights by a common factor"] if weighted else []
        if name == "alpha":
            penalty = f"alpha={self.alpha!r}"
            remedies.append("lower alpha")
        else:
            penalty = _PENALISED_NAMES[name]
            # (only settings that are not on already: audit33c was advised standardize=True)
            if not self.standardize:
                remedies.append("standardize=True (the skip's penalty grows with X's variance)")
            if getattr(self, "standardize_target", True) is False:
                remedies.append("standardize_target=True (and with y's)")
            remedies.append("linear_skip=False")
        if np.dtype(self.dtype) == np.float32:
            remedies.append("dtype='float64'")
        weights = ", with the sequences' weights, class weights included" if weighted else ""
        return (
            f"The L2 penalty {penalty}, over the weight of the lightest minibatch "
            f"({lightest:.3g}{weights}), makes gradients of up to {gradient:.3g}, "
            + (
                f"whose squares overflow the {self.solver} optimizer's second moments"
                if self._squares_gradients()
                else "which overflow"
            )
            + f" in {np.dtype(self.dtype).name}. Remedies: {'; '.join(remedies)}."
        )

    def _penalties_besides_alpha(self, batch_size, n_sequences):
        """{parameter name: L2 strength, on alpha's scale} for the weights that training
        penalises by a strength of their own instead of ``alpha``, in minibatches of
        ``batch_size`` of ``n_sequences`` training sequences. None here."""
        return {}

    def _l2_penalty(self, batch_weight, grad=None):
        """MLP's L2 term alpha/2 * ||W||^2 / (the batch's size in weight) and the other
        penalties' differences from it, for the loss; with ``grad`` (training), their
        gradient is added to it too."""
        masked = self._masked_params()
        if grad is not None:
            if masked is not None:
                grad += (float(self.alpha) / batch_weight) * masked  # float: see SGD
            if self._extra_penalties:
                grads = self.network_.unflatten(grad)
                for name, extra in self._extra_penalties.items():
                    grads[name] += (extra / batch_weight) * self.network_.views[name]
        return _per_unit_of_weight(self._l2_terms(masked), batch_weight)

    def _masked_params(self):
        """The weights MLP's L2 term counts (biases left out); None where alpha is 0."""
        return None if self.alpha == 0 else self.network_.params * self._weight_mask

    def _l2_terms(self, masked_params):
        """The L2 terms of the loss times the batch's size in weight, in the order the
        loss adds them: alpha/2 * ||W||^2 of ``masked_params`` (None: none) and each other
        penalty's difference from it (negative for one weaker than alpha)."""
        terms = []
        if masked_params is not None:
            # A sum, not a dot: a BLAS dot can depend on the thread count.
            terms.append(0.5 * float(self.alpha) * float((masked_params * masked_params).sum()))
        views = self.network_.views
        for name, extra in self._extra_penalties.items():
            terms.append(0.5 * extra * float((views[name] * views[name]).sum()))
        return terms

    # ------------------------------------------------------------------ prediction
    def _forward_all(self, X, lengths, rows=None, head_input=False):
        """Network output (NumPy) for the sequences ``rows`` of X (NumPy; default all), in
        that order (per-step outputs as long as X); with ``head_input``, what the head reads
        of each instead. They run shortest first, in chunks of similar length, each cut to
        its own longest sequence and as large as that length lets it be
        (_predict_batch_size). On the GPU each chunk crosses the bus once each way."""
        xp = self.network_.xp
        rows = np.arange(len(X)) if rows is None else rows
        order = np.argsort(lengths[rows], kind="stable")  # positions in rows
        chunks, outputs, start = [], [], 0
        while start < len(order):
            # The shortest sequence left bounds the chunk's size from above, and the longest
            # within that bound from below.
            most = self._predict_batch_size(lengths[rows[order[start]]])
            longest = lengths[rows[order[min(start + most, len(order)) - 1]]]
            chunk = order[start : start + self._predict_batch_size(longest)]
            batch_lengths = lengths[rows[chunk]]
            batch_X = xp.asarray(_rows_of(X, rows[chunk])[:, : batch_lengths.max()])
            output, cache = self.network_.forward(batch_X, batch_lengths, keep_cache=False)
            chunks.append(chunk)
            outputs.append(to_host(cache.head_input if head_input else output))
            start += len(chunk)
        return _sequences.in_order(chunks, outputs, n_steps=X.shape[1])  # as long as X

    def _predict_batch_size(self, n_steps):
        """Sequences per forward pass when predicting (see _PREDICT_CHUNK_BYTES)."""
        network = self.network_
        if network.xp is not np:
            return _PREDICT_BATCH
        widths = [size * len(network.directions) for size in network.hidden_layer_sizes]
        reads = [network.n_inputs] + [filters for filters, _ in network.conv_layers]
        for (filters, kernel_size), channels in zip(network.conv_layers, reads):
            widths += [filters, kernel_size * channels]  # its output and its windows (im2col)
        row_bytes = n_steps * max(widths) * network.dtype.itemsize
        efficient = max(_PREDICT_MIN_BATCH, _PREDICT_CHUNK_BYTES // row_bytes)
        return max(1, min(_PREDICT_BATCH, efficient, _PREDICT_MAX_CHUNK_BYTES // row_bytes))

    def _network_by_group(self, X):
        """``(positions in X, network output, lengths in the network's steps)`` of each
        group of similar length of a list X (``_sequences.similar_length_groups``), or once
        ``(None, ...)`` for an array or a list of one group: a list is never padded to its
        longest sequence as a whole, and each sequence's output is the same either way. A
        generator: the fitted check and the device come with the first group."""
        self._check_fitted_network()
        self._use_device(training=False)
        for positions, _, (inputs, lengths) in _sequences.read_by_length(
            X, self._validate_sequences
        ):
            yield positions, self._forward_all(inputs, lengths), lengths

    def _predict_network(self, X):
        """(Network output for every sequence of X, in X's order, and their lengths in the
        network's steps), the groups of a list joined."""
        groups, outputs, lengths = [], [], []
        for positions, output, group_lengths in self._network_by_group(X):
            groups.append(positions)
            outputs.append(output)
            lengths.append(group_lengths)
        return _sequences.in_order(groups, outputs), _sequences.in_order(groups, lengths)

    def _listed_step_rows(self, X, finish):
        """Per-step predictions of a list X: ``finish`` (the network's outputs of a batch
        to values) group by group, each sequence's own steps as an array of its own, in X's
        order. Joined first, the groups were one array as long as the longest sequence
        (2,000 sequences of 20 steps and one of 10,000: 1.2 GB)."""
        rows = [None] * len(X)
        for positions, output, lengths in self._network_by_group(X):
            places = range(len(X)) if positions is None else positions
            for position, row in zip(places, _own_rows(finish(output), lengths)):
                rows[position] = row
        return rows

    def gate_activations(self, X):
        """Gate values over time for inspection and plots.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            The sequences, in any form ``fit`` accepts.

        Returns
        -------
        activations : list of dict
            One entry per GRU layer, mapping each direction ("forward", and "backward" for a
            bidirectional layer) to a dict with keys "r" (reset gate), "z" (update gate),
            "n" (candidate state) and "h" (hidden state), each an array of shape
            (n_samples, n_timesteps, hidden_size), NaN past each sequence's length:
            n_timesteps is X's (an array's steps, a list's longest sequence), as in
            ``predict``'s per-step output. With ``patch_size_ > 1`` a time step is a patch:
            n_timesteps = ceil(T / patch_size_). The backward direction's arrays are in the
            input's time order too (step t is the gate as that direction read step t), as
            ``torch.nn.GRU`` aligns its reverse outputs.

        Examples
        --------
        >>> import numpy as np
        >>> from pygru import GRUClassifier
        >>> X = np.random.default_rng(0).normal(size=(6, 5, 2))
        >>> clf = GRUClassifier(hidden_layer_sizes=(3,), max_iter=1, random_state=0)
        >>> activations = clf.fit(X, [0, 1] * 3).gate_activations(X[:2])
        >>> sorted(activations[0]["forward"]), activations[0]["forward"]["z"].shape
        (['h', 'n', 'r', 'z'], (2, 5, 3))
        """
        self._check_fitted_network()
        network_input, lengths = self._validate_sequences(X)
        xp = self._use_device(training=False)
        activations = self.network_.gate_activations(xp.asarray(network_input), lengths)
        if _sequences._is_list_of_sequences(X):
            return activations
        # As long in time as X (in patches), as predict's per-step output: the network read
        # X only up to its longest sequence.
        patch_size = 1 if self.embedding_dim is not None else getattr(self, "patch_size_", 1)
        n_steps = -(-np.shape(X)[1] // patch_size)
        return [
            {direction: _nan_padded_steps(gates, n_steps) for direction, gates in layer.items()}
            for layer in activations
        ]

    def _check_fitted_network(self):
        """Refuse to predict unless fitted, with the parameters the network was fitted
        with."""
        check_is_fitted(self, "network_")
        self._check_matches_network(". Set them back, or fit again")

    @property
    def loss_(self):
        """The last value of ``loss_curve_`` (None before the first completed epoch)."""
        check_is_fitted(self, "network_")
        return self.loss_curve_[-1] if self.loss_curve_ else None

    @property
    def n_layers_(self):
        """Number of layers, as ``MLPClassifier`` counts them: input, GRU layers, output."""
        check_is_fitted(self, "network_")
        return len(self.network_.hidden_layer_sizes) + 2

    @property
    def coefs_(self):
        """Weight matrices, input to output, the output layer's last (as in MLPClassifier):
        views into the flat parameter vector (NumPy copies when the network is on the GPU)."""
        return [v for name, v in self._views_input_to_output() if not _is_bias(name)]

    @property
    def intercepts_(self):
        """Bias vectors, input to output, the output layer's last: views into the flat
        parameter vector (NumPy copies when the network is on the GPU)."""
        return [v for name, v in self._views_input_to_output() if _is_bias(name)]

    def _views_input_to_output(self):
        """(name, array) of every weight array, the output layer's (the head's) last; the
        linear skip and the convolutional branch, which also feed the head, come before."""
        check_is_fitted(self, "network_")
        views = self.network_.views.items()
        return sorted(
            ((name, to_host(v)) for name, v in views),
            key=lambda item: item[0].startswith("head."),
        )

    def set_params(self, **params):
        """Set the estimator's parameters, as scikit-learn's ``set_params``.

        Refused while this estimator is being fitted (from one of its callbacks, or from
        another thread): a fit reads most settings as it starts and some at every epoch, so
        a change would half apply (a new learning rate was ignored, a new dtype broke the
        fit). To change settings during training, stop from a callback (return True) and
        go on with ``set_params`` and ``partial_fit`` or a warm fit.

        Parameters
        ----------
        **params : dict
            Estimator parameters, by name.

        Returns
        -------
        self : estimator instance
            The estimator.
        """
        if id(self) in _FITTING:
            raise RuntimeError(
                f"set_params({', '.join(sorted(params))}) was called while this "
                f"{type(self).__name__} is being fitted (from one of its callbacks, or from "
                "another thread): a fit reads its settings as it starts, so the change "
                "would apply in part; stop training from the callback (return True), then "
                "set_params and continue with partial_fit or warm_start=True"
            )
        return super().set_params(**params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # NaN is accepted only as trailing padding, so the estimators do not "allow NaN".
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags


class GRUClassifier(ClassifierMixin, BaseGRU):
    """Sequence classifier: GRU layers, pooling over time, then a softmax.

    The model reads each sequence with one or more stacked GRU layers and classifies it with
    a dense softmax layer from what ``pooling`` makes of the last layer's outputs over the
    sequence's own length, whatever the padding: by default its final state, the mean and
    the maximum side by side. It minimises the cross-entropy plus an L2 penalty with a
    stochastic solver ("adam", "sgd" or "rmsprop"), in minibatches of sequences. With
    ``output="sequence"`` it labels every time step instead (sequence labelling).

    Parameters
    ----------
    hidden_layer_sizes : int or array-like of int, default=(64,)
        The ith element is the number of units of the ith stacked GRU layer; an int is one
        layer.

    output : {"last", "sequence"}, default="last"
        What is classified. "last": each sequence, y of shape (n_samples,). "sequence":
        each time step, from the last layer's state at that step (with ``bidirectional``,
        both directions' states there, so a step's label may depend on the steps after
        it); y is a list of 1-D label arrays with the lengths of the sequences of X, or a
        2-D array (n_samples, n_timesteps) whose entries past each sequence's length are
        ignored (in a float array padded with NaN, which a DataFrame of ragged rows is,
        whole-number labels are read as the integers NaN made floats). ``pooling`` and
        ``patch_size`` do not apply; ``class_weight`` weighs each time step's loss term by
        its class; the loss, the score and the validation score are over all valid time
        steps. scikit-learn's string scorers
        (``scoring="accuracy"`` in ``cross_val_score`` or ``GridSearchCV``) expect one label
        per sample and measure something else: a 2-D y of 0/1 labels is read as multilabel
        (the share of sequences with every step right); other labels, and ragged lists, are
        refused (a NaN score in a search). Leave ``scoring=None``, which uses
        :meth:`score`, or pass a scorer that reads each sequence's steps. Their default
        splitter for a classifier refuses NaN in y: in a search or ``cross_val_score``, pad
        with -1 or give a list of label arrays (or pass ``cv=KFold(...)``). Every step
        within a sequence's length is labelled: there is no per-step mask or ignored label
        (PyTorch's ``ignore_index``); ``class_weight={label: 0}`` gives the steps of that
        label no weight in the loss (their sequences still count in each minibatch's L2
        term and in ``loss_curve_``'s mean), and :meth:`score` and the validation score
        still count them.

    bidirectional : bool, default=True
        If True, each GRU layer reads every sequence forwards and, with its own weights,
        backwards (within the sequence's length), and concatenates the two directions: the
        next layer gets ``2 * units`` features per time step, and (with
        ``pooling="last"``) the output layer the forward state at the end of the sequence
        and the backward state at its start; the default "concat" pools both directions.
        True by default for the classifier, unlike Keras, PyTorch and the regressor: a
        classifier reads each sequence whole, and on the inner validation split of the
        bundled sets it raised the mean accuracy from 0.882 to 0.913 at about twice the fit
        time (``benchmarks/README.md``). Set False for a causal model (each step's label
        from the steps up to it, with ``output="sequence"``) or half the cost.

    reset_after : bool, default=True
        Which GRU variant to use. True applies the reset gate after the recurrent matrix
        product, as PyTorch, cuDNN and Keras 2+; False applies it to the previous state
        before the product, as Cho et al. (2014). See Notes.

    embedding_dim : int, default=None
        If set, X holds integer token ids (0 marks padding) and the first GRU layer reads
        them through an embedding table of ``embedding_dim`` columns, trained with the
        rest of the network and initialised uniformly in [-0.05, 0.05]. The table has one
        row per id from 0 to ``vocabulary_size_ - 1``: ``vocabulary_size`` rows if set, else
        one more than the largest id in the training data;
        larger ids in later calls are an error. ``standardize`` does not apply.
        :class:`pygru.text.TokenSequencer` turns raw text into such ids. Every update
        steps the whole table (a dense gradient, as PyTorch's ``Embedding`` without
        ``sparse=True``), so its cost grows with the vocabulary: about 0.5 s per update
        for 300,000 ids of 64 columns, against 0.05 s for 30,000 (one CPU core); cap it with
        ``TokenSequencer(max_features=...)``.

    vocabulary_size : int, default=None
        The number of rows of the embedding table (ids 0 to ``vocabulary_size - 1``), as
        Keras' ``Embedding(input_dim=...)``; None: one more than the largest id of the
        first fit (or partial_fit call). Give it where later data may hold larger ids, as
        when batches stream in through ``partial_fit``: a ``TokenSequencer``'s
        ``vocabulary_size_``. Needs ``embedding_dim``.

    pooling : {"concat", "last", "mean", "max", "attention"}, default="concat"
        What the output layer reads of each sequence, always within its own length (padding
        never enters, and the other sequences of a batch never matter). "last": the last
        layer's state at the sequence's end (with ``bidirectional``, the backward state at
        its start). "mean" or "max": the mean or the per-unit maximum of the last layer's
        output over the sequence's steps (both directions at every step). "attention": a
        softmax weighting of those outputs by learned scores ``w @ h_t``. "concat": the
        final state, the mean and the maximum side by side (concat pooling, as ULMFiT).
        "concat" is the default because it won or tied on every bundled set on inner
        validation splits of the training data (5 seeds; ``benchmarks/README.md``), never
        on test accuracy. The layer-level converters (``to_torch_state_dict``,
        ``to_keras_weights``) carry the GRU layers only, whatever the pooling; the whole
        models (``to_onnx``, ``to_torch_module``) carry the head too. Ignored with
        ``output="sequence"``.

    conv_layers : sequence of (filters, kernel_size) pairs, default=None
        A convolutional branch beside the GRU layers, as GRU-FCN (Elsayed et al. 2018): one
        1-D convolution per pair ("same" padding, stride 1), each normalised over the
        sequence's steps and filters (GroupNorm with one group, blind to the padding and the
        batch, the same in training and prediction), scaled and shifted per filter, then a
        ReLU; the mean of the last one's output over each sequence's steps joins what the
        output layer reads. The convolutions read the same steps as the GRU (patches, with
        ``patch_size``); steps past a sequence's length never enter. GRU-FCN's is
        ``((128, 8), (256, 5), (128, 3))``. None: no branch. Needs numeric input and one
        prediction per sequence. ``to_onnx``, ``to_torch_module`` and ``save`` carry it (the
        layer-level converters carry the GRU layers only). Not a default: on the inner
        splits of the bundled sets ``((32, 8), (64, 5), (32, 3))`` gained 0.6 ± 0.5 points
        at about twice the fit time (``benchmarks/README.md``).

    solver : {"adam", "sgd", "rmsprop"}, default="adam"
        The solver for weight optimisation.

        - "adam": Adam (Kingma & Ba, 2015), with ``beta_1``, ``beta_2`` and ``epsilon``,
          bias correction folded into the step size as in scikit-learn.
        - "sgd": stochastic gradient descent with ``momentum`` and, if
          ``nesterovs_momentum``, Nesterov's momentum, as in scikit-learn.
        - "rmsprop": RMSprop (Tieleman & Hinton, 2012) as in Keras, with ``rho`` and
          ``epsilon`` and without momentum.

    learning_rate : {"constant", "invscaling", "adaptive", "exponential"}, \
default="constant"
        Learning-rate schedule, updated at the end of every epoch. Unlike
        ``MLPClassifier``'s, it applies to every solver.

        - "constant": ``learning_rate_init`` throughout.
        - "invscaling": ``learning_rate_init / (t_ + 1) ** power_t`` after each epoch,
          ``t_`` being the number of training samples seen so far.
        - "adaptive": ``learning_rate_init`` while the training loss (with
          ``early_stopping``, the validation score) keeps improving; whenever it fails to
          improve by ``tol`` for ``n_iter_no_change`` consecutive epochs, the rate is
          divided by 5, and training stops when that happens with the rate at or below
          1e-6. This replaces the stopping rule described under ``tol``.
        - "exponential": epoch k (counting from 0) runs at
          ``learning_rate_init * decay_rate ** k``.

        A warm fit goes on with "invscaling" and "exponential" where ``t_`` and ``n_iter_``
        left them (``MLPClassifier`` starts again at ``learning_rate_init``), and so does a
        model that :func:`pygru.load` read. "adaptive" keeps its lowered rate across
        ``partial_fit`` calls (and a pickle) only: a fit, a warm fit and a loaded model
        start it again at ``learning_rate_init``, as their optimizer state is new.

    learning_rate_init : float, default=3e-3
        The initial learning rate, > 0. (:class:`GRURegressor` defaults to 1e-3.)

    power_t : float, default=0.5
        Exponent of the inverse scaling learning rate. Only used when
        ``learning_rate="invscaling"``.

    decay_rate : float, default=0.96
        Factor by which the learning rate is multiplied after each epoch, in (0, 1]. Only
        used when ``learning_rate="exponential"``.

    momentum : float, default=0.9
        Momentum of the gradient descent update, in [0, 1]. Only used when
        ``solver="sgd"``.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum. Only used when ``solver="sgd"`` and
        ``momentum > 0``.

    beta_1 : float, default=0.9
        Exponential decay rate of Adam's first-moment estimates, in [0, 1). Only used when
        ``solver="adam"``.

    beta_2 : float, default=0.999
        Exponential decay rate of Adam's second-moment estimates, in [0, 1). Only used
        when ``solver="adam"``.

    epsilon : float, default=1e-8
        Value for numerical stability, > 0 and finite and not 0 in ``dtype`` (else an
        error when adam or rmsprop trains): added to the denominator of Adam's update, and
        (as in Keras) to RMSprop's mean square under the square root. Only used when
        ``solver="adam"`` or ``solver="rmsprop"``.

    rho : float, default=0.9
        Decay rate of RMSprop's moving mean of squared gradients, in [0, 1). Only used
        when ``solver="rmsprop"``.

    ema_momentum : float, default=0.99
        If set, in [0, 1): ``fit`` keeps an exponential moving average of the weights over
        its optimizer steps (Polyak averaging; 0.99 is Keras' ``ema_momentum``), with
        momentum ``min(ema_momentum, (1 + t) / (10 + t))`` after step t. The fit ends on
        the average or the last step's weights, whichever has the lower training objective
        (loss and L2 terms): the average guards against a run that ends on a step that
        happened to raise the loss, the last step against an average that straddles a jump
        of the weights (Adam can leave one region for another late in a run, and a point
        between the two is a poor model). With early stopping the averaged weights are the
        ones scored and kept. ``partial_fit`` takes plain steps. None: the weights of the
        last step (or of the best epoch, with early stopping). On by default for the
        classifier, off for the regressor (a tie on the forecasting series); see
        ``benchmarks/README.md`` for the measurements.

    batch_size : int or "auto", default=16
        Number of sequences per minibatch (one optimizer update each). "auto" uses
        ``min(200, n_samples)``, as ``MLPClassifier``; a larger value than the number of
        training sequences uses them all. Each minibatch is computed up to the length of
        its own longest sequence.

    max_iter : int, default=300
        Maximum number of epochs (passes over the training data) of ``fit``. Training
        stops earlier by the rule described under ``tol``; when it runs all ``max_iter``
        epochs (and ``max_iter > 1``), a :class:`~sklearn.exceptions.ConvergenceWarning`
        is issued. ``partial_fit`` runs one epoch per call.

    shuffle : bool, default=True
        Whether to shuffle the training sequences before each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, the dropout masks, the window warps and
        the validation split of ``early_stopping``. Pass an int for reproducible results:
        on the CPU, the same seed gives bit-identical models on one kernel path (CPUs with
        and without AVX-512 round differently in the last bits: see ``PYGRU_CPU_KERNELS``
        in the README). None draws from NumPy's global random state
        (``np.random.seed``), as scikit-learn's estimators do. A warm fit or
        ``partial_fit`` continues the generator of the calls before it, so that a sequence
        of calls reproduces; one made after ``set_params(random_state=...)`` with another
        seed starts from that seed.

    tol : float, default=1e-4
        Tolerance for the optimisation. When the training loss (with ``early_stopping``,
        the validation score) fails to improve by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs, ``fit`` stops, unless
        ``learning_rate="adaptive"``, which lowers the learning rate instead.

    alpha : float, default=1e-4
        Strength of the L2 penalty on all weights (input, recurrent, embedding, attention,
        convolution and output weights; not the biases, nor the convolutional branch's norm
        scales, which start at 1): ``alpha / 2 * ||W||^2``, divided by the minibatch's
        number of sequences, is added to its loss, as in ``MLPClassifier``. With
        ``sample_weight`` or ``class_weight`` (which count as sample weights here too) that
        number is multiplied by the training sequences' mean weight, and the minibatch's
        loss counts by the weight it holds, so that a weight of k acts as k copies in every
        minibatch; weights all scaled by c weaken the penalty c times, as scikit-learn's
        ``sample_weight`` does.

    dropout : float, default=0.0
        Fraction of each GRU layer's input features set to zero while training, in [0, 1),
        with one mask per sequence shared by all its time steps (as Keras' ``dropout``) and,
        with ``bidirectional``, by both directions, which read the same input (Keras'
        ``Bidirectional`` draws one per direction); the kept features are scaled by
        ``1 / (1 - dropout)``. Not applied in prediction.

    recurrent_dropout : float, default=0.0
        Fraction of the units of the previous state h_{t-1} set to zero while training
        where it meets the recurrent weights, in [0, 1), with one mask per sequence and
        direction shared by all time steps and the three gates (Gal & Ghahramani, 2016;
        Keras' ``recurrent_dropout``). Not applied in prediction.

    clipnorm : float, default=None
        If set (> 0), each minibatch's gradient of all parameters is rescaled so that its
        global L2 norm is at most ``clipnorm`` (Keras' ``global_clipnorm``).

    clipvalue : float, default=None
        If set (> 0), every entry of each minibatch's gradient is clipped to
        ``[-clipvalue, clipvalue]`` (after ``clipnorm``).

    early_stopping : bool, default=False
        Whether ``fit`` stops when the validation score stops improving. If True,
        ``validation_fraction`` of the training sequences are held out (see
        ``validation_split``; at random, stratified by class when every class has at least
        two sequences and fits on both sides of the split, and not with
        ``output="sequence"``, whose labels are per step), or the ``X_val`` given to
        ``fit`` is used, ``fit`` stops when their accuracy fails to improve by ``tol`` for
        ``n_iter_no_change`` consecutive epochs, and the weights of the epoch with the best
        validation score are kept. ``partial_fit`` does not hold out data.

    validation_fraction : float, default=0.1
        The proportion of training data to set aside as validation set, in (0, 1). Only
        used when ``early_stopping=True`` and no ``X_val`` is passed to ``fit``.

    validation_split : {"random", "last"}, default="random"
        Which sequences ``validation_fraction`` holds out. "random": drawn at random
        (stratified by class with ``output="last"``), as ``MLPClassifier``, among the
        sequences of weight above 0 (``sample_weight`` times ``class_weight``; one of
        weight 0 counts as removed, so the fraction is of the others); "last": the last
        ones, in the order given, as Keras' ``validation_split``. Use "last" (or
        ``X_val``) for time-ordered data such as overlapping forecasting windows, where a
        random split validates on windows that overlap the training ones and stops too
        late. The held-out sequences
        are scored with their ``sample_weight`` and, with ``output="last"``, their
        ``class_weight`` (as ``HistGradientBoostingClassifier`` scores its held-out part;
        ``X_val`` is scored with ``sample_weight_val`` alone). What ``fit`` learns from the
        data besides the weights (the standardisation, ``patch_size="auto"``, the target
        scaling, the window-warp choice) comes from every sequence of X with "random", as
        from a ``StandardScaler`` before ``MLPClassifier(early_stopping=True)`` in a
        Pipeline, and from the training part alone with "last", which a time-ordered split
        must not leak into. Windows whose targets overlap (``make_windows`` with
        ``output="sequence"``, or a ``horizon`` above 1) share targets across the boundary:
        the first held-out windows' targets were partly trained on, so for a clean score fit
        on ``X[:k]`` and pass ``X_val=X[k + lookback + horizon:]`` (and the same ``y``), a
        gap of windows whose targets the training ones share. A warm ``fit`` draws a new
        random split, as MLPClassifier does: its validation sequences may have been trained
        on before (pass ``X_val`` to keep one set).

    n_iter_no_change : int or "auto", default="auto"
        Number of consecutive epochs without an improvement by ``tol`` before ``fit`` stops
        (or, with ``learning_rate="adaptive"``, the learning rate is lowered), as Keras'
        ``patience``; scikit-learn's MLPClassifier waits one epoch more. "auto" counts
        optimizer updates rather than epochs: ``max(10, ceil(500 / updates per epoch))``
        epochs, that is 10 epochs on large data and more on a few dozen sequences, where a
        GRU first sits on a plateau at chance level for hundreds of updates. Where
        an epoch is one update (16 sequences or fewer, at the default ``batch_size``) that
        is 500 epochs, more than ``max_iter``: such a fit runs ``max_iter`` epochs, and its
        warning says so.

    warm_start : bool, default=False
        When True, ``fit`` continues from the weights (and the standardisation, patch size,
        vocabulary and classes) of the previous fit instead of starting anew; the optimizer
        state starts afresh, and so does the stopping rule (``n_iter_no_change`` counts
        this fit's epochs against this fit's best, as Keras' ``EarlyStopping`` does;
        MLPClassifier carries its count over). ``hidden_layer_sizes`` must not change.

    verbose : bool, default=False
        Whether to show a tqdm progress bar, one step per epoch, with the loss (and the
        validation score).

    callbacks : callable or list of callables, default=None
        Called after each epoch (of ``fit`` and of ``partial_fit``) as
        ``callback(estimator, record)``. ``record`` is a dict with the keys "epoch",
        "loss", "validation_score" (None without ``early_stopping``), "learning_rate" (the
        epoch's) and "duration" (seconds). A callback that returns a true value (True,
        ``np.True_``; None continues) stops training after this epoch. One that raises
        stops it too: the model keeps the weights a stop keeps (the last epoch's, or the
        best validation score's), and the error reaches the caller. With ``ema_momentum``,
        the model holds the epoch's averaged weights while callbacks run (those the
        record's scores are of), so a callback that scores or saves it sees those (without
        early stopping, the fit's end may keep the last step's weights instead, where their
        training objective is lower). Weights a callback sets (finite ones: a pruning, a
        constraint, a checkpoint put back) are where training goes on from, and a stop or
        the fit's end keeps them (the guards against training that raised the loss leave
        them as they are); early stopping keeps the best weights it has scored, which they
        are not. ``fit`` and ``partial_fit`` refuse to start on an estimator that is being
        fitted (from its own callback, or from another thread): fit a clone instead; so
        does ``set_params`` (a fit reads its settings as it starts): stop from the callback
        and go on with ``partial_fit`` or a warm fit.

    kernel_initializer : {"glorot_uniform", "glorot_normal", "orthogonal", "uniform", \
"zeros"}, default="glorot_uniform"
        Initialisation of the input weights of every GRU layer and of the output layer's
        weights. "glorot_uniform" and "glorot_normal" are Glorot & Bengio's (2010);
        "orthogonal" stacks orthogonal square blocks (Saxe et al., 2014); "uniform" draws
        from U(-1/sqrt(k), 1/sqrt(k)) with k the number of columns of the matrix (inputs
        per unit); "zeros" is all zeros.

    recurrent_initializer : {"orthogonal", "glorot_uniform", "glorot_normal", "uniform", \
"zeros"}, default="orthogonal"
        Initialisation of the recurrent weights of every GRU layer (one orthogonal
        (units, units) block per gate by default; "uniform" is then PyTorch's
        U(-1/sqrt(units), 1/sqrt(units))). The options are those of
        ``kernel_initializer``. The orthogonal blocks come from a QR factorisation written
        without BLAS, so that they are the same bits everywhere: about a second at 512
        units, 5-10 s at 1024 and minutes past 2048, per direction of a layer (measured on
        one core); "glorot_uniform" starts such very wide layers at once.

    bias_initializer : {"zeros", "glorot_uniform", "glorot_normal", "uniform"}, \
default="zeros"
        Initialisation of all biases. The options are those of ``kernel_initializer``
        applied to a vector of length k ("orthogonal" applies to matrices only).

    standardize : bool, "auto" or "sequence", default="auto"
        How the input is scaled. True: each input feature to zero mean and unit variance,
        with the mean and standard deviation over all valid training time steps (padding
        excluded; stored as ``input_mean_`` and ``input_scale_`` and applied in every later
        call). Unscaled features (e.g. accelerometer channels with a spread of 5) saturate
        the gates. A feature whose offset dwarfs its spread (a timestamp, a coordinate) is
        standardised from its float64 values before the cast to ``dtype``, so it keeps its
        spread. "sequence": each sequence is first centred and scaled by itself, feature by
        feature over its valid steps, as UCR-style series usually are, and its level (mean)
        and the log of its spread are added as two more input channels per feature,
        constant over the sequence, so that amplitude and offset still reach the model; the
        three are then standardised as with True (the spread is floored at the faintest
        training sequence's, ``sequence_spread_floor_``, so that a constant sequence reads
        as that one; levels and log spreads that differ by less than 5% of a typical
        spread, or by a ratio of 1.05, are not stretched to unit variance). Training reads
        X's values exactly, as prediction does. "auto": "sequence" where more than half of
        the training sequences vary, in every feature, by less than 5% as much as a typical
        one (the root mean square of the sequences' standard deviations), which
        standardisation over all the data would leave nearly constant (appliances' currents
        from 3e-5 to 96 amperes), else True; a causal model (``output="sequence"``,
        ``bidirectional=False``) keeps True, since a sequence's own scale reads its later
        steps, and ``fit`` warns instead. The six bundled data sets are scaled as with
        True. Ignored with ``embedding_dim``.

    patch_size : int, "auto" or None, default="auto"
        Feed runs of ``patch_size`` consecutive time steps to the GRU as one step of
        ``patch_size * n_features`` inputs (the last step of a sequence is repeated to fill
        its final patch), at most the longest sequence ``fit`` is given; None or 1: one GRU step
        per time step. "auto" reads sequences of up to 64 steps step by step, and longer ones in
        patches of ceil(longest training sequence / 32) steps. Long sequences (hundreds of
        steps) train far better, more reliably and several times faster this way: the first
        layer's input weights act as a strided convolution, and gradients cross 32 steps
        instead of hundreds. Time steps of ``gate_activations`` are then patches, and the
        layer-weight exports (``pygru.to_torch_state_dict``, ``to_keras_weights``) refuse
        the model, whose first layer reads patches: export it whole with ``to_onnx`` or
        ``to_torch_module``. Only for numeric input and ``output="last"``: a value other
        than None, "auto" or 1 with ``embedding_dim`` or ``output="sequence"`` is an error,
        and "auto" means 1 with ``output="sequence"``. The value used is ``patch_size_``.

    window_warp : "auto", float in (0, 1) or None, default="auto"
        Window warping (Le Guennec, Malinowski and Tavenard 2016), an augmentation while
        training: in each sequence of each minibatch, a random window of this share of its
        valid steps (at least two) is stretched to twice its length or squeezed to half,
        and the sequence is resampled to its own length by linear interpolation, so that
        the model sees its training series with the timing of their features varied.
        Prediction reads the sequences as they are. It runs on the steps that
        ``patch_size`` groups, a last patch's repeated step included. "auto" warps a
        window of 0.05 of each sequence where that is possible, numeric input and
        ``output="last"``, and nothing with ``embedding_dim`` or ``output="sequence"``
        (token ids cannot be interpolated, and per-step labels would no longer match their
        steps); a number there is an error. "auto" also leaves series that jump from step
        to step as they are: where the training sequences' consecutive steps correlate
        below 0.5 (the median over sequences and features), since interpolating halfway
        between two steps keeps only (1 + r) / 2 of a series' variance and would change
        the series, not their timing (on ACSF1's power readings, r = -0.2, warped training
        ended at chance, 0.11, and 0.733 without, over 3 seeds). ``partial_fit`` decides
        from each call's data. None trains on the sequences as they are.
        "auto" is the default because a window of 0.05 raised the mean accuracy of the
        inner splits in ``benchmarks/README.md`` by 1.3 points (+4 on
        PickupGestureWiimoteZ, +2 on GunPoint) and moved the three sets outside the
        package by -1.3 to +1.4 points; 0.1, the usual share, cost 7 points on Coffee, a
        set of spectra where a feature's position is the class. Training runs about 1.2
        times as long, since the loss settles later.

    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, ``{class_label: weight}``; classes not listed
        have weight 1. Labels that are not classes of the training data are ignored where
        every class is listed (a fold of a search that lacks a rare class), and an error
        where some class is not, as in scikit-learn. "balanced" weighs each class by
        ``n_samples / (n_classes * n_samples_of_class)`` in the data of each ``fit`` or
        ``partial_fit`` call, counted without the sequences ``validation_split="last"``
        holds out (they are weighed as the rest, a class the training part lacks by 1)
        and with their ``sample_weight`` (a sequence of weight 0 is not counted, one of
        weight 2 twice), as scikit-learn's ``compute_class_weight``. Multiplied with
        ``sample_weight`` when both are given, the product weighs each sequence in the loss
        and in the standardisation statistics alike, as k copies of it would. With
        ``output="sequence"`` the weights act on each time step's term of the loss (as
        PyTorch's ``CrossEntropyLoss(weight=...)``), "balanced" counted over the valid
        steps; they leave the statistics and the validation score as they are. A
        ``partial_fit`` call that lacks some classes (a stream of small batches) cannot
        balance them, and warns: for a stream, pass
        ``dict(zip(classes, compute_class_weight("balanced", classes=classes, y=labels)))``
        where ``labels`` are a representative sample and ``classes = np.unique(labels)``,
        as scikit-learn's ``SGDClassifier`` asks.

    device : {"cpu", "auto", "cuda"}, default="cpu"
        Where to train and predict. "cuda": on the current CUDA device through CuPy
        (``pip install cupy-cuda12x``), with parameters, optimizer state and the training
        data on the device (a ValueError says what is missing when CuPy or a device is not
        there); "auto": the GPU when CuPy sees one, else the CPU. Fitted models pickle and
        save with NumPy parameters and predict on the CPU where no GPU is available. On a
        machine with several GPUs a fitted model stays on the one it was fitted on: use it
        with that device current (``with cupy.cuda.Device(i):``; with another, a
        ValueError names both), or move it with a pickle round trip: the copy goes to the
        device current when it is next used. Only the CPU is bit-for-bit reproducible.
        Small data sets such as the bundled ones train faster on the CPU, since each
        minibatch is a few dozen small GPU launches (GunPoint with the defaults: 7.7 s on an
        H200, 3.0 s on 16 CPU cores).

    dtype : {"float32", "float64"}, np.float32 or np.float64, default="float32"
        Floating-point type of the parameters, the optimizer state and the computations;
        "float64" is slower and more precise. NumPy's types and dtypes are accepted too
        (a saved model stores the name, so it loads with the string).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted; the columns of ``predict_proba`` are in this order.

    n_features_in_ : int
        Number of features per time step seen during ``fit``. Only with numeric input
        (not with ``embedding_dim``).

    input_mean_ : ndarray of shape (n_features_in_,) or (3 * n_features_in_,)
        Mean of each input feature over the training time steps (where each sequence is
        scaled by itself, of the scaled features, then the levels and the log spreads).
        Only with ``standardize`` set and numeric input.

    input_scale_ : ndarray of the shape of ``input_mean_``
        Standard deviation of each input feature over the training time steps (1 for a
        constant feature; for the levels and log spreads of sequences scaled by themselves,
        at least 5% of a typical sequence's spread and at least 0.05, so that differences of
        rounding are not stretched). Only with ``standardize`` set and numeric input.

    sequence_spread_floor_ : ndarray of shape (n_features_in_,)
        The smallest spread a sequence is divided by, per feature: the faintest training
        sequence's that varies (1 where none varies). Only where each sequence is scaled by itself
        (``standardize="sequence"``, or "auto" that chose it).

    patch_size_ : int
        Time steps per GRU step (see ``patch_size``). Only with numeric input.

    vocabulary_size_ : int
        Rows of the embedding table: ``vocabulary_size`` if set, else one more than the
        largest id of the data of the fit that made the table (a model's first ``fit`` or
        ``partial_fit``, or any ``fit`` without ``warm_start``). Only with
        ``embedding_dim``.

    network_ : GRUNetwork
        The fitted network; all its parameters are in the flat array ``network_.params``.

    coefs_ : list of ndarray
        The weight matrices, from input to output: the embedding table of shape
        (vocabulary_size_, embedding_dim) if any; for each layer and direction the input
        weights, of shape (3 * units, n_inputs), and the recurrent weights, of shape
        (3 * units, units), with the gates in the order [r, z, n] as ``torch.nn.GRU``;
        where present, the attention vector of ``pooling="attention"`` and the
        convolutional branch's kernels and norm scales (``conv_layers``: per layer a kernel
        of shape (filters, kernel_size * n_channels), the channels of each step side by
        side, step after step, which is ``torch.nn.Conv1d``'s weight ``w`` as
        ``w.transpose(0, 2, 1).reshape(filters, -1)``, and a scale per filter); last, as in
        ``MLPClassifier``, the output weights, of shape (n_classes, n_head_inputs): one
        softmax unit per class, two for two classes. The matrices after the embedding table
        are in torch's (out, in) layout, the transpose of ``MLPClassifier``'s (in, out).
        Views into ``network_.params`` (copies when the network is on a GPU).

    intercepts_ : list of ndarray
        The bias vectors, from input to output: for each layer and direction the input
        and recurrent biases, of shape (3 * units,); those of the convolutional branch,
        where present; last, the output bias, of shape (n_classes,). Views into
        ``network_.params`` (copies when on a GPU).

    loss_curve_ : list of float
        Training loss (with the L2 penalty) of each epoch, averaged over the training
        sequences (those of weight above 0); with ``output="sequence"``, each minibatch's
        loss is the mean over its own valid time steps, as for ``GRURegressor.loss_curve_``.

    loss_ : float
        The last value of ``loss_curve_``.

    n_layers_ : int
        Number of layers: input, each GRU layer, output (as ``MLPClassifier`` counts).

    best_loss_ : float
        Lowest value of ``loss_curve_`` over the epochs trained without ``early_stopping``
        (which tracks ``best_validation_score_`` instead); ``inf`` when there are none.

    validation_scores_ : list of float or None
        Accuracy on the held-out validation set (weighted as ``validation_split`` says)
        after each epoch of ``fit`` (of the fits that validated since the last training
        that did not); None when ``early_stopping=False``, and after training that did not
        validate (``partial_fit``, a warm fit without ``early_stopping``), whose epochs they
        would not cover.

    best_validation_score_ : float or None
        The validation score of the weights the model keeps: the best value of
        ``validation_scores_``, or the score of the weights from before training where no
        epoch beat it (``best_epoch_`` 0; that score is not in ``validation_scores_``);
        None when ``early_stopping=False``, and after training that did not validate
        (``partial_fit``, a warm fit without ``early_stopping``), whose weights it would
        no longer describe. While callbacks run, the score of the epoch just completed,
        whose weights the model then holds (as ``best_epoch_``; None in a call that does
        not validate).

    best_epoch_ : int
        The epoch (counted as ``n_iter_``) whose weights the model holds: the last one, or
        with ``early_stopping`` the restored one of the best validation score (the first
        epoch of it). Where no epoch of a fit beat the validation score of the weights it
        started from (or tied it, for a ridge start or a warm fit's), their epoch (0 for a
        fresh fit; the one a warm fit started from); 0 also when a fit from
        random initial weights left the training loss higher than they had. Either comes
        with a ``ConvergenceWarning``. While callbacks run, the epoch just completed,
        whose weights the model then holds.

    n_iter_ : int
        Number of epochs run (over all ``partial_fit`` calls and warm-started fits).

    t_ : int
        Number of training sequences the solver has seen, over all epochs.

    n_outputs_ : int
        Number of outputs of the network: one per class.

    out_activation_ : str
        The output activation: "softmax".

    See Also
    --------
    GRURegressor : GRU regressor, per sequence or per time step.
    pygru.text.TokenSequencer : Turn raw text into token ids for ``embedding_dim``.
    pygru.functional.gru_forward : One GRU layer as a function, the building block.
    sklearn.neural_network.MLPClassifier : Multi-layer perceptron classifier.

    Notes
    -----
    Each GRU layer computes, for every time step t (gate order [r, z, n] as
    ``torch.nn.GRU``, see :func:`pygru.functional.gru_forward`)::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))    # reset_after=True
        n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)    # reset_after=False
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    from h_0 = 0. The output layer reads what ``pooling`` makes of h over each sequence's
    valid steps (by default h at the last one, the mean and the maximum), so padding never
    changes a prediction. The loss is the cross-entropy averaged over a minibatch
    (weighted by ``sample_weight`` and ``class_weight``), plus the L2 penalty.

    Sequences may differ in length: pass a list of arrays, or an array in which the
    shorter sequences end with all-NaN time steps. :meth:`gate_activations` returns the
    gate values for inspection (see :mod:`pygru.notebook` for plots).

    Examples
    --------
    >>> import numpy as np
    >>> from pygru import GRUClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(length, 2)) for length in (5, 8, 6, 7)] * 5
    >>> y = ["short", "long", "short", "long"] * 5
    >>> clf = GRUClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    >>> clf.fit(X, y).classes_
    array(['long', 'short'], dtype='<U5')
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)

    On a time-series classification benchmark:

    >>> from pygru.datasets import load_italy_power_demand
    >>> X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
    >>> clf = GRUClassifier(hidden_layer_sizes=(16,), max_iter=15, random_state=0)
    >>> clf.fit(X_train, y_train).score(X_test, y_test) > 0.8
    True
    """

    _parameter_constraints = {
        **BaseGRU._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "output": [StrOptions({"last", "sequence"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        *,
        output="last",
        bidirectional=True,
        reset_after=True,
        embedding_dim=None,
        vocabulary_size=None,
        pooling="concat",
        conv_layers=None,
        solver="adam",
        learning_rate="constant",
        learning_rate_init=3e-3,
        power_t=0.5,
        decay_rate=0.96,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        rho=0.9,
        ema_momentum=0.99,
        batch_size=16,
        max_iter=300,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        alpha=1e-4,
        dropout=0.0,
        recurrent_dropout=0.0,
        clipnorm=None,
        clipvalue=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="random",
        n_iter_no_change="auto",
        warm_start=False,
        verbose=False,
        callbacks=None,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        standardize="auto",
        patch_size="auto",
        window_warp="auto",
        class_weight=None,
        device="cpu",
        dtype="float32",
    ):
        super().__init__(
            hidden_layer_sizes,
            bidirectional=bidirectional,
            reset_after=reset_after,
            embedding_dim=embedding_dim,
            vocabulary_size=vocabulary_size,
            pooling=pooling,
            conv_layers=conv_layers,
            solver=solver,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            decay_rate=decay_rate,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            rho=rho,
            ema_momentum=ema_momentum,
            batch_size=batch_size,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            alpha=alpha,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            validation_split=validation_split,
            n_iter_no_change=n_iter_no_change,
            warm_start=warm_start,
            verbose=verbose,
            callbacks=callbacks,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            standardize=standardize,
            patch_size=patch_size,
            window_warp=window_warp,
            device=device,
            dtype=dtype,
        )
        self.class_weight = class_weight
        self.output = output

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Train on sequences X and labels y for up to ``max_iter`` epochs.

        Without ``warm_start``, every call starts from newly initialised weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            The sequences: a 3-D array, time before features (aeon's and sktime's
            (n_cases, n_channels, n_timepoints) is the transpose: ``X.transpose(0, 2, 1)``);
            a 2-D array (n_samples, n_timesteps) of univariate sequences; or a list of
            arrays of shape (n_timesteps_i, n_features) or (n_timesteps_i,), whose lengths
            may differ. In an array, a shorter sequence ends with time steps that are NaN
            in every feature (padding); any other NaN or infinity is an error. With
            ``embedding_dim``, non-negative integer token ids, a 2-D array or a list of 1-D
            sequences, each ending with zeros as padding.

        y : array-like of shape (n_samples,), or labels per time step
            Class label of each sequence; with ``output="sequence"``, a list of 1-D arrays
            of one label per time step, or a 2-D array whose entries past each sequence's
            length are ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sequence (of all its time steps) in the loss; None weighs
            them equally (weights, class weights included, that sum to more than 1e200 are refused,
            as are weights so small that the L2 penalty, which counts against them, makes a
            gradient the dtype cannot square: sums over time steps or the optimizer's moments
            would overflow). A weight of k counts as k copies of the sequence
            in the loss (scikit-learn's convention), so the weights' scale matters against the L2
            penalty: weights that average 1 keep the data's own weight, while weights normalised to
            sum to 1 make all of it weigh as one sequence. Each minibatch's loss counts by the
            weight it holds (as in Keras; ``MLPClassifier`` weighs each minibatch alike, which
            pulls small batches towards equal weights), so the weighted loss is what training
            minimises at any ``batch_size`` (with ``output="sequence"``, up to the weight of each
            step within its batch: see ``loss_curve_``); a sequence weighted far above the rest
            makes its batch's gradient as many times larger (its copies would spread over several
            batches), so with ``solver="sgd"`` a smaller ``learning_rate_init`` or ``clipnorm``
            keeps such steps stable. The fitted model equals one fitted on copies exactly only with
            one full batch (and without ``window_warp``, ``dropout`` or
            ``recurrent_dropout``; and not with ``learning_rate="invscaling"``, whose
            ``t_`` counts sequences whatever their positive weight, as ``MLPClassifier``'s
            does): minibatches, warps and dropout masks are drawn per sequence. A weight of
            0 leaves a sequence out of the model at any ``batch_size``: out of the loss, of
            every statistic of the data, and of the minibatches and their random draws,
            except that with ``embedding_dim`` its token ids still size the vocabulary (so
            that the model takes every id it was given), and that
            ``validation_split="last"`` counts its fraction over all the sequences.

        X_val : array-like or list of arrays, default=None
            Validation sequences for ``early_stopping`` (an error without it), in any form
            X takes, used instead of holding out ``validation_fraction`` of X; the model is
            never fitted on them. In a :class:`~sklearn.pipeline.Pipeline`, ``X_val`` is
            transformed as X through metadata routing, as for
            :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:
            ``sklearn.set_config(enable_metadata_routing=True)``, the estimator's
            ``set_fit_request(X_val=True, y_val=True)``, and
            ``Pipeline(..., transform_input=["X_val"])``. Without the last, X_val arrives
            as given; a feature whose mean lies more than 10 times the training inputs'
            scale (``input_scale_``) from theirs gets a warning.

        y_val : array-like, default=None
            The targets of ``X_val``, in the form y takes.

        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation sequences in the validation score; only with
            ``X_val`` and ``y_val`` (the part ``validation_split`` holds out keeps its
            ``sample_weight``).

        Returns
        -------
        self : GRUClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, validation_data=(X_val, y_val, sample_weight_val))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch over (X, y), keeping the weights and optimizer state.

        The first call initialises the model (and fits the standardisation, patch size or
        vocabulary on its X); later calls continue from the current weights and optimizer
        state. After ``set_params`` changes a setting of the optimizer (``solver``, the
        learning rate and its schedule with its patience ``n_iter_no_change``, ``tol``, the
        momentum, betas, ``epsilon`` or ``rho``), the next call starts a new optimizer from
        the current weights, as a warm ``fit`` or a loaded model does (MLPClassifier would
        keep the old one). Where the call before ended on weights from before its last
        steps (early stopping's best epoch, or the weights before a divergence), the
        optimizer's moments start afresh too: they belonged to steps the model no longer
        holds. ``early_stopping`` holds out no data here, and ``max_iter`` does not apply.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            The sequences, in any form :meth:`fit` accepts.

        y : array-like of shape (n_samples,), or labels per time step
            Class label of each sequence (each time step), in any form :meth:`fit`
            accepts.

        classes : array-like of shape (n_classes,), default=None
            All class labels that can ever appear in y. Required on the first call; a later
            call may repeat them, and other classes are refused (as ``MLPClassifier``
            does: the output layer has one unit per class of the first call). The third
            positional argument, as in ``SGDClassifier`` (``MLPClassifier``'s third is
            ``sample_weight``): one value per sequence with repeats that is not y gets a
            warning, as likely weights.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sequence in the loss; None weighs them equally.

        Returns
        -------
        self : GRUClassifier
            The trained estimator.
        """
        first_call = not hasattr(self, "network_")
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        if _weights_as_classes(classes, y):  # a warning: classes=y_before may look alike
            warn(
                "classes holds one value per sequence of X, with repeats, and is not y: "
                "sample weights? partial_fit's third argument is classes, as "
                "SGDClassifier's (MLPClassifier's is sample_weight): pass weights by name, "
                "partial_fit(X, y, sample_weight=w)",
                UserWarning,
            )
        if not first_call and classes is not None:
            given = np.unique(_check_labels(classes, "classes"))
            if not np.array_equal(given, self.classes_):
                raise ValueError(
                    f"classes={given.tolist()!r} is not the same as the fitted model's "
                    f"classes, {self.classes_.tolist()!r}, which partial_fit continues"
                )
        return self._fit(
            X, y, sample_weight, incremental=True, classes=classes if first_call else None
        )

    def _prepare_targets(self, y, lengths, first_call, classes=None, continues_training=False):
        """Class indices: one per sequence (n,), or with ``output="sequence"`` one per time
        step, (n, longest) with 0 past each length."""
        if self.output == "sequence":
            rows = _sequence_labels(y, lengths, token_ids=self.embedding_dim is not None)
            indices = self._encode_labels(
                np.concatenate(rows), first_call, classes, continues_training
            )
            padded = np.zeros((len(lengths), int(lengths.max())), dtype=indices.dtype)
            padded[_sequences.valid_steps(lengths, padded.shape[1])] = indices
            return padded
        _refuse_labels_per_step(y)
        _refuse_unusable_labels(y, "y")  # before NumPy reads NaN among strings as "nan"
        # ... or 3 among strings in a list as "3" (an array of objects keeps its labels'
        # types, which _check_labels reads as it encodes them)
        if isinstance(y, (list, tuple)):
            _refuse_mixed_label_types([y], "y")
            y = _labels_keeping_nuls(y)
        try:
            y = column_or_1d(y, warn=True)
        except ValueError as error:
            if np.ndim(y) < 2:  # complex labels: scikit-learn's message says it all
                raise
            raise ValueError(
                f"{error}{_one_hot_hint(y)} A GRUClassifier learns one label per sequence; "
                "for one per time step use output='sequence', and for several labels per "
                "sequence (multilabel) wrap it in sklearn.multioutput.MultiOutputClassifier."
            ) from None
        if len(y) != len(lengths):
            raise ValueError(
                f"X has {len(lengths)} sequences but y has {len(y)} labels"
                + _series_in_columns_hint(lengths, len(y))
            )
        return self._encode_labels(y, first_call, classes, continues_training)

    def _encode_labels(self, y, first_call, classes, continues_training):
        """The index into ``classes_`` of each label of the 1-D ``y``; the first call learns
        the classes (from ``classes`` if given)."""
        _check_labels(y, "y")
        if first_call:
            if classes is not None:
                classes = _check_labels(classes, "classes")
            self._label_encoder = LabelEncoder().fit(classes if classes is not None else y)
            self.classes_ = self._label_encoder.classes_
            _refuse_a_single_class(self.classes_, given_as_classes=classes is not None)
        # Not unique_labels: it returns Python strings as a NumPy str array, which drops
        # trailing NUL characters ("a\x00" became "a", refused as unknown).
        unknown = np.setdiff1d(np.asarray(y), self.classes_)
        if unknown.size:
            origin = "partial_fit's classes" if first_call else "the fitted model's classes"
            remedy = (
                ""
                if not continues_training
                else ". A warm fit (warm_start=True) or partial_fit keeps the classes it "
                "continues from: to learn new ones, fit again with warm_start=False, or give "
                "partial_fit's first call every class in classes"
            )
            raise ValueError(
                f"y contains labels that are not among {origin}: {unknown[:5]}; the classes "
                f"are {self.classes_}{remedy}"
            )
        return self._label_encoder.transform(y)

    def _get_target_state(self):
        """The class labels. Labels that are Python strings (an object array, which a file
        cannot hold) are stored as a string array, with ``classes_object`` set."""
        classes = np.asarray(self.classes_)
        object_labels = classes.dtype == object
        if classes.dtype.kind in "Mm" or (
            object_labels and not all(isinstance(label, str) for label in classes)
        ):
            held = f"dtype {classes.dtype}" if classes.dtype.kind in "Mm" else "other objects"
            raise TypeError(
                "save can store class labels that are numbers, booleans or strings; "
                f"classes_ holds {held}: use pickle, or fit on labels of those types "
                "(e.g. dates as strings)"
            )
        if object_labels:
            classes = as_string_array(classes, "classes_")
        return {"classes_object": bool(object_labels)}, {"classes_": np.ascontiguousarray(classes)}

    def _set_target_state(self, state, arrays):
        classes = read_array(arrays, "classes_", kinds="biufU")
        if (
            classes.ndim != 1
            or len(classes) < 1
            or not np.array_equal(np.unique(classes), classes)
        ):
            raise ValueError("classes_ must be a 1-D array of sorted, distinct labels")
        if read_flag(state, "classes_object"):
            if classes.dtype.kind != "U":
                raise ValueError(
                    f"classes_object marks string labels held as objects, but classes_ holds "
                    f"{classes.dtype}"
                )
            classes = classes.astype(object)
        self.classes_ = classes
        self._label_encoder = LabelEncoder()
        self._label_encoder.classes_ = classes

    def _sample_weight(self, sample_weight, targets, lengths, fitted):
        self._step_class_weights = None
        if self.class_weight is None:
            return sample_weight
        if self.output == "sequence":
            self._step_class_weights = self._class_weights_of_steps(
                targets[fitted],
                lengths[fitted],
                None if sample_weight is None else sample_weight[fitted],
            )
            return sample_weight
        if self.class_weight == "balanced":
            counted = None if sample_weight is None else sample_weight[fitted]
            weights = self._balanced_weight_of_each_class(targets[fitted], counted)[targets]
        else:
            weights = self._weight_of_each_class()[targets]
            if not weights.any():
                raise ValueError(
                    f"class_weight gives every sequence weight 0 ({self.class_weight!r}): "
                    "nothing to learn from"
                )
        return _class_and_sample_weights(weights, sample_weight)

    def _class_weights_of_steps(self, targets, lengths, sample_weight):
        """With labels per step, the class weights act on each step's loss term (as
        PyTorch's ``CrossEntropyLoss(weight=...)``), "balanced" counted over the valid
        steps: ``(weight of each class, mean weight of a training step that a weight of 0
        leaves in)``. The mean lets each minibatch count by the class weight its steps
        hold."""
        _refuse_no_weight_left_for_training(sample_weight, self)
        step_targets, step_weights = _labels_of_steps(targets, lengths, sample_weight)
        if self.class_weight == "balanced":
            weights = self._balanced_weight_of_each_class(step_targets, step_weights)
        else:
            weights = self._weight_of_each_class()
        of_steps = weights[step_targets]
        left_in = self._steps_left_in(of_steps, step_weights)
        counted = None if step_weights is None else step_weights[left_in]
        _class_and_sample_weights(of_steps[left_in], counted, " (over the time steps)")
        self._refuse_class_weights_the_dtype_loses(weights)  # (after: sums of 1e308 say so)
        return weights, float(np.average(of_steps[left_in], weights=counted))

    def _refuse_class_weights_the_dtype_loses(self, weights):
        """Refuse per-step class weights (``weights``, one per class) that the model's
        dtype, in which the loss weighs each step, rounds to 0 or to infinity: at 1e-60 in
        float32 every step weighed 0 and the fit ended in a ZeroDivisionError, and at 1e39
        a message blamed sample_weight, which was not given (review32)."""
        with np.errstate(over="ignore"):
            held = weights.astype(self.dtype)
        lost = ((weights > 0) & (held == 0)) | ~np.isfinite(held)
        if lost.any():
            raise ValueError(
                f"class_weight={self.class_weight!r} gives the classes "
                f"{self.classes_[lost].tolist()} weights that {np.dtype(self.dtype).name}, in "
                "which the per-step loss weighs the steps, rounds to 0 or to infinity: "
                "multiply all the class weights by a common factor (the loss counts them "
                "relative to their mean)"
                + (", or fit with dtype='float64'" if np.dtype(self.dtype) == np.float32 else "")
            )

    def _steps_left_in(self, of_steps, step_weights):
        """Which steps weigh more than 0 (their class's weight ``of_steps`` and their
        sequence's), refused where none of those left for training does."""
        left_in = of_steps > 0
        if step_weights is not None:
            left_in &= step_weights > 0
        if not left_in.any():
            weights = _class_weight_names(step_weights)
            raise ValueError(
                f"With {weights}, every time step left for training (after any validation "
                f"split) weighs 0 (class_weight={self.class_weight!r}): nothing to learn from"
            )
        return left_in

    def _refuse_steps_that_all_weigh_nothing(self, targets, lengths, sample_weight, train):
        if getattr(self, "_step_class_weights", None) is None:
            return
        weights = None if sample_weight is None else sample_weight[train]
        step_targets, step_weights = _labels_of_steps(targets[train], lengths[train], weights)
        self._steps_left_in(self._step_class_weights[0][step_targets], step_weights)

    def _warn_if_the_call_cannot_balance(self, targets, lengths, sample_weight):
        """ "balanced" counts the classes of each ``partial_fit`` call: one that lacks some
        (or gives them weight 0) weighs those it holds alike, whatever their shares in the
        stream (one sequence per call gave the model without weights, 0.24/0.76 where
        balancing gives 0.5/0.5)."""
        if self.class_weight != "balanced":
            return
        if self.output == "sequence":
            targets, sample_weight = _labels_of_steps(targets, lengths, sample_weight)
        if not np.all(self._class_totals(targets, sample_weight) > 0):
            warn(
                "class_weight='balanced' weighs the classes of each partial_fit call by "
                "their counts in it, and this call lacks some of the classes (or gives them "
                "weight 0), so it does not balance them. For a stream, pass class_weight="
                "dict(zip(classes, compute_class_weight('balanced', classes=classes, "
                "y=labels))) (sklearn.utils.class_weight), where labels are a representative "
                "sample of the stream's and classes = np.unique(labels).",
                UserWarning,
            )

    def _class_totals(self, targets, sample_weight=None):
        """The weight (the count, without ``sample_weight``) of each entry of ``classes_``
        among the class indices ``targets``."""
        return np.bincount(targets, weights=sample_weight, minlength=len(self.classes_))

    def _balanced_weight_of_each_class(self, targets, sample_weight=None):
        """``class_weight="balanced"``'s weight for each entry of ``classes_``, as
        scikit-learn's ``compute_class_weight`` gives it, counted on ``targets`` with their
        ``sample_weight``: n / (k n_c) for the k classes present, each n_c times, n and n_c
        totals of weight (a sequence of weight 0 is not counted, one of weight 2 twice, as
        its copies would be); 1 for a class absent there (a held-out sequence of a class
        the training part lacks), as a ``class_weight`` dict gives a class it does not
        name."""
        counts = self._class_totals(targets, sample_weight)
        present = counts > 0
        weights = np.ones(len(self.classes_))
        weights[present] = counts.sum() / (present.sum() * counts[present])
        return weights

    def _weight_of_each_class(self):
        """The dict ``class_weight`` as one weight per entry of ``classes_`` (1 where the
        dict has none), so that a call whose labels lack a weighted class still applies
        it to the others. Labels that are not classes are ignored where every class has
        a weight (one dict for every fold of a search, some of which lack a rare class),
        and refused where some class has none (keys of another type, say), as
        scikit-learn's ``compute_class_weight`` does."""
        classes = set(self.classes_)
        unknown = [label for label in self.class_weight if label not in classes]
        unweighted = [label for label in self.classes_ if label not in self.class_weight]
        if unknown and unweighted:
            raise ValueError(
                "class_weight has weights for labels that are not classes: "
                f"{_as_shown(unknown)}, and none for the classes {_as_shown(unweighted)}; "
                f"the classes are {self.classes_}"
            )
        weights = np.array([self.class_weight.get(label, 1.0) for label in self.classes_])
        if weights.dtype.kind not in "iuf" or not np.all(np.isfinite(weights) & (weights >= 0)):
            raise ValueError(
                "class_weight must map labels to finite, non-negative numbers, got "
                f"{self.class_weight!r}"
            )
        return weights.astype(np.float64)

    def _n_outputs(self):
        return len(self.classes_)

    @property
    def n_outputs_(self):
        """Number of outputs of the network: one logit per class."""
        check_is_fitted(self, "classes_")
        return self._n_outputs()

    @property
    def out_activation_(self):
        """The output activation, as ``MLPClassifier`` names it."""
        check_is_fitted(self, "network_")
        return "softmax"

    def _warn_of_classes_held_out(self, train, valid):
        """Warn of the classes that the validation split holds out and training then
        never sees; ``train`` and ``valid`` are (targets, lengths). Not of classes absent
        from both: every sequence of one weighted 0 is left out of both sides, and the
        warning blamed the split for them (audit38d)."""
        per_step = self.output == "sequence"
        if per_step:  # the labels of the steps inside each sequence, not its padding
            train, valid = (_labels_of_steps(*part)[0] for part in (train, valid))
        else:
            train, valid = train[0], valid[0]
        missing = np.setdiff1d(valid, train)
        if missing.size:
            warn(
                f"early stopping: the validation split holds out every training "
                f"{'time step' if per_step else 'sequence'} of class(es) "
                f"{self.classes_[missing].tolist()!r}, which the model then "
                "cannot learn. Pass more sequences of them, X_val and y_val, or "
                "early_stopping=False.",
                UserWarning,
            )

    def _stratify(self, targets):
        """Stratify the validation split when every class can appear on both sides (never
        for labels per time step)."""
        if self.output == "sequence":
            return None
        counts = np.bincount(targets)
        n_validation = self._n_validation(len(targets))
        n_classes = np.count_nonzero(counts)
        if counts[counts > 0].min() >= 2 and n_classes <= min(
            n_validation, len(targets) - n_validation
        ):
            return targets
        return None

    def _loss(self, output, targets, sample_weight, lengths):
        if self.output == "last":
            return _losses.cross_entropy(output, targets, sample_weight)
        return _loss_over_valid_steps(
            _losses.cross_entropy,
            output,
            targets,
            sample_weight,
            lengths,
            self.network_.xp,
            getattr(self, "_step_class_weights", None),
        )

    def _validation_score(self, X, lengths, targets, sample_weight):
        predictions = self._forward_all(X, lengths).argmax(axis=-1)
        if self.output == "last":
            return accuracy_score(targets, predictions, sample_weight=sample_weight)
        valid = _sequences.valid_steps(lengths, predictions.shape[1])
        return accuracy_score(
            targets[valid], predictions[valid], sample_weight=_per_step(sample_weight, valid)
        )

    def predict_proba(self, X):
        """Probability estimates of each class for each sequence (or time step).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            The sequences, in any form :meth:`fit` accepts, with the number of features
            (or the token ids) the model was fitted with; any length.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or per time step
            The probability of each class, columns in the order of ``classes_``, as
            float64 (from the logits computed in the model's ``dtype``). With
            ``output="sequence"``: shape (n_samples, n_timesteps, n_classes), NaN past
            each sequence's length, or, when X is a list, a list of arrays of shape
            (n_timesteps_i, n_classes).
        """
        return self._per_class(X, _probabilities)

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates, computed stably from the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            The sequences, in any form :meth:`fit` accepts.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes), or per time step
            The log-probability of each class, columns in the order of ``classes_``, in
            the shapes of :meth:`predict_proba`.
        """
        return self._per_class(X, _log_probabilities)

    def predict(self, X):
        """Predict the most probable class of each sequence (or time step).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            The sequences, in any form :meth:`fit` accepts.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,), or per time step
            The predicted class labels, taken from ``classes_``. With
            ``output="sequence"``: an array of shape (n_samples, n_timesteps) when every
            sequence has n_timesteps steps, else (and whenever X is a list) a list of
            arrays of shape (n_timesteps_i,): labels cannot be padded with NaN.
        """
        if self.output == "sequence" and _sequences._is_list_of_sequences(X):
            return self._listed_step_rows(X, self._class_of_logits)
        logits, lengths = self._predict_network(X)
        labels = self._class_of_logits(logits)
        if self.output == "last":
            return labels
        if np.any(lengths != np.shape(X)[1]):  # a list returned above, row by row
            return _own_rows(labels, lengths)
        return labels

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of the predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            Test sequences, in any form :meth:`fit` accepts.

        y : array-like
            True labels, in any form :meth:`fit` accepts.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence (of all its time steps for ``output="sequence"``).

        Returns
        -------
        score : float
            The accuracy over the sequences, or over all valid time steps for
            ``output="sequence"``.
        """
        if self.output == "last":
            _refuse_labels_per_step(y)
            # y as fit reads a list: accuracy_score's str array drops trailing NULs.
            return self._score_per_sequence(
                accuracy_score, X, _labels_keeping_nuls(y), sample_weight
            )
        # From predict, as scikit-learn's score is: a subclass's predict is what it scores.
        rows = list(self.predict(X))
        lengths = np.array([len(row) for row in rows])
        truth = _sequence_labels(y, lengths, token_ids=self.embedding_dim is not None)
        weights = self._check_sample_weight(sample_weight, len(lengths))
        return accuracy_score(
            np.concatenate(truth),
            np.concatenate(rows),
            sample_weight=None if weights is None else np.repeat(weights, lengths),
        )

    def _per_class(self, X, finish):
        """``finish`` (logits to values per class) for X, as :meth:`predict_proba` returns
        them: per sequence, or per step as :func:`_per_step_result` shapes them (a list X
        group by group)."""
        if self.output == "sequence" and _sequences._is_list_of_sequences(X):
            return self._listed_step_rows(X, finish)
        logits, lengths = self._predict_network(X)
        values = finish(logits)
        return values if self.output == "last" else _per_step_result(values, X, lengths)

    def _class_of_logits(self, logits):
        """The most probable class of each row of ``logits`` (per sequence or per step)."""
        return self.classes_[logits.argmax(axis=-1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class GRURegressor(RegressorMixin, BaseGRU):
    """Sequence regressor: GRU layers, then a linear output per sequence or per time step.

    ``output="last"`` (many-to-one) predicts y of shape (n_samples,) or (n_samples,
    n_targets) from what ``pooling`` reads of each sequence's outputs (by default its
    final state), plus, with the default ``linear_skip``, a linear map of its last input
    steps; ``output="sequence"`` (many-to-many)
    predicts a row of targets at every time step. The loss is half the mean squared error
    plus an L2 penalty, minimised with a stochastic solver ("adam", "sgd" or "rmsprop") in
    minibatches of sequences. Inputs and targets are standardised with training statistics
    (``standardize``, ``standardize_target``), so raw-scale data trains as well as scaled
    data; predictions and scores are on the scale of y, and so is ``loss_curve_`` for one
    target.

    For forecasting, build windows with :func:`pygru.datasets.make_windows` and validate
    on the *latest* data: ``early_stopping=True`` with ``validation_split="last"``, or a
    validation set of later windows passed as ``fit(..., X_val=..., y_val=...)``. A
    random split validates on windows that overlap the training windows.

    Parameters
    ----------
    hidden_layer_sizes : int or array-like of int, default=(64,)
        The ith element is the number of units of the ith stacked GRU layer; an int is one
        layer.

    output : {"last", "sequence"}, default="last"
        What is predicted. "last": one row of targets per sequence, from the last layer's
        state at the sequence's end; y has shape (n_samples,) or (n_samples, n_targets).
        "sequence": one row of targets per time step, from the last layer's state at that
        step; y is an array of shape (n_samples, n_timesteps) or (n_samples, n_timesteps,
        n_targets) whose shorter sequences end with NaN, or a list of arrays of shape
        (n_timesteps_i,) or (n_timesteps_i, n_targets), matching the lengths of X. The
        score is R² over all valid time steps; scikit-learn's string scorers (``"r2"`` in
        ``cross_val_score`` or ``GridSearchCV``) expect one row per sample and measure
        something else: a 2-D y of equal lengths is read as one output per step (R²
        averaged over the steps), and NaN padding or ragged lists give NaN or are refused
        (a NaN score in a search). Leave
        ``scoring=None``, which uses :meth:`score`.

    bidirectional : bool, default=False
        If True, each GRU layer reads every sequence forwards and, with its own weights,
        backwards (within the sequence's length), and concatenates the two directions: the
        next layer gets ``2 * units`` features per time step. With ``output="last"`` and
        ``pooling="last"`` the output layer reads the forward state at the end of the
        sequence and the backward state at its start; with ``output="sequence"``, both
        states at each step.

    reset_after : bool, default=True
        Which GRU variant to use. True applies the reset gate after the recurrent matrix
        product, as PyTorch, cuDNN and Keras 2+; False applies it to the previous state
        before the product, as Cho et al. (2014). See Notes.

    embedding_dim : int, default=None
        If set, X holds integer token ids (0 marks padding) and the first GRU layer reads
        them through an embedding table of ``embedding_dim`` columns, trained with the
        rest of the network and initialised uniformly in [-0.05, 0.05]. The table has one
        row per id from 0 to ``vocabulary_size_ - 1``: ``vocabulary_size`` rows if set, else
        one more than the largest id in the training data;
        larger ids in later calls are an error. ``standardize`` does not apply.
        :class:`pygru.text.TokenSequencer` turns raw text into such ids. Every update
        steps the whole table (a dense gradient, as PyTorch's ``Embedding`` without
        ``sparse=True``), so its cost grows with the vocabulary: about 0.5 s per update
        for 300,000 ids of 64 columns, against 0.05 s for 30,000 (one CPU core); cap it with
        ``TokenSequencer(max_features=...)``.

    vocabulary_size : int, default=None
        The number of rows of the embedding table (ids 0 to ``vocabulary_size - 1``), as
        Keras' ``Embedding(input_dim=...)``; None: one more than the largest id of the
        first fit (or partial_fit call). Give it where later data may hold larger ids, as
        when batches stream in through ``partial_fit``: a ``TokenSequencer``'s
        ``vocabulary_size_``. Needs ``embedding_dim``.

    pooling : {"last", "mean", "max", "attention", "concat"}, default="last"
        What the output layer reads of each sequence, always within its own length (padding
        never enters, and the other sequences of a batch never matter). "last": the last
        layer's state at the sequence's end (with ``bidirectional``, the backward state at
        its start). "mean" or "max": the mean or the per-unit maximum of the last layer's
        output over the sequence's steps (both directions at every step). "attention": a
        softmax weighting of those outputs by learned scores ``w @ h_t``. "concat": the
        final state, the mean and the maximum side by side (concat pooling, as ULMFiT).
        Ignored with ``output="sequence"``, which reads every step.

    conv_layers : sequence of (filters, kernel_size) pairs, default=None
        A convolutional branch beside the GRU layers, as GRU-FCN (Elsayed et al. 2018): one
        1-D convolution per pair ("same" padding, stride 1), each normalised over the
        sequence's steps and filters (GroupNorm with one group, blind to the padding and the
        batch, the same in training and prediction), scaled and shifted per filter, then a
        ReLU; the mean of the last one's output over each sequence's steps joins what the
        output layer reads. The convolutions read the same steps as the GRU (patches, with
        ``patch_size``); steps past a sequence's length never enter. GRU-FCN's is
        ``((128, 8), (256, 5), (128, 3))``. None: no branch. Needs numeric input and one
        prediction per sequence. ``to_onnx``, ``to_torch_module`` and ``save`` carry it (the
        layer-level converters carry the GRU layers only). Not a default: on the inner
        splits of the bundled classification sets ``((32, 8), (64, 5), (32, 3))`` gained the
        classifier 0.6 ± 0.5 points of accuracy at about twice the fit time
        (``benchmarks/README.md``); not measured for the regressor.

    solver : {"adam", "sgd", "rmsprop"}, default="adam"
        The solver for weight optimisation.

        - "adam": Adam (Kingma & Ba, 2015), with ``beta_1``, ``beta_2`` and ``epsilon``,
          bias correction folded into the step size as in scikit-learn.
        - "sgd": stochastic gradient descent with ``momentum`` and, if
          ``nesterovs_momentum``, Nesterov's momentum, as in scikit-learn.
        - "rmsprop": RMSprop (Tieleman & Hinton, 2012) as in Keras, with ``rho`` and
          ``epsilon`` and without momentum.

    learning_rate : {"constant", "invscaling", "adaptive", "exponential"}, \
default="constant"
        Learning-rate schedule, updated at the end of every epoch. Unlike
        ``MLPRegressor``'s, it applies to every solver.

        - "constant": ``learning_rate_init`` throughout.
        - "invscaling": ``learning_rate_init / (t_ + 1) ** power_t`` after each epoch,
          ``t_`` being the number of training samples seen so far.
        - "adaptive": ``learning_rate_init`` while the training loss (with
          ``early_stopping``, the validation score) keeps improving; whenever it fails to
          improve by ``tol`` for ``n_iter_no_change`` consecutive epochs, the rate is
          divided by 5, and training stops when that happens with the rate at or below
          1e-6. This replaces the stopping rule described under ``tol``.
        - "exponential": epoch k (counting from 0) runs at
          ``learning_rate_init * decay_rate ** k``.

        A warm fit goes on with "invscaling" and "exponential" where ``t_`` and ``n_iter_``
        left them (``MLPClassifier`` starts again at ``learning_rate_init``), and so does a
        model that :func:`pygru.load` read. "adaptive" keeps its lowered rate across
        ``partial_fit`` calls (and a pickle) only: a fit, a warm fit and a loaded model
        start it again at ``learning_rate_init``, as their optimizer state is new.

    learning_rate_init : float, default=1e-3
        The initial learning rate, > 0. (:class:`GRUClassifier` defaults to 3e-3, which
        overfitted small forecasting sets.)

    power_t : float, default=0.5
        Exponent of the inverse scaling learning rate. Only used when
        ``learning_rate="invscaling"``.

    decay_rate : float, default=0.96
        Factor by which the learning rate is multiplied after each epoch, in (0, 1]. Only
        used when ``learning_rate="exponential"``.

    momentum : float, default=0.9
        Momentum of the gradient descent update, in [0, 1]. Only used when
        ``solver="sgd"``.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum. Only used when ``solver="sgd"`` and
        ``momentum > 0``.

    beta_1 : float, default=0.9
        Exponential decay rate of Adam's first-moment estimates, in [0, 1). Only used when
        ``solver="adam"``.

    beta_2 : float, default=0.999
        Exponential decay rate of Adam's second-moment estimates, in [0, 1). Only used
        when ``solver="adam"``.

    epsilon : float, default=1e-8
        Value for numerical stability, > 0 and finite and not 0 in ``dtype`` (else an
        error when adam or rmsprop trains): added to the denominator of Adam's update, and
        (as in Keras) to RMSprop's mean square under the square root. Only used when
        ``solver="adam"`` or ``solver="rmsprop"``.

    rho : float, default=0.9
        Decay rate of RMSprop's moving mean of squared gradients, in [0, 1). Only used
        when ``solver="rmsprop"``.

    ema_momentum : float, default=None
        If set, in [0, 1): ``fit`` keeps an exponential moving average of the weights over
        its optimizer steps (Polyak averaging, as Keras' ``use_ema``), with momentum
        ``min(ema_momentum, (1 + t) / (10 + t))`` after step t. The fit ends on the average
        or the last step's weights, whichever has the lower training objective (loss and L2
        terms): the average guards against a run that ends on a step that happened to raise
        the loss, the last step against an average that straddles a jump of the weights.
        With early stopping the averaged weights are the ones scored and kept.
        ``partial_fit`` takes plain steps. None: the weights of the last step (or of the
        best epoch, with early stopping).

    batch_size : int or "auto", default=16
        Number of sequences per minibatch (one optimizer update each). "auto" uses
        ``min(200, n_samples)``, as ``MLPRegressor``; a larger value than the number of
        training sequences uses them all. Each minibatch is computed up to the length of
        its own longest sequence.

    max_iter : int, default=300
        Maximum number of epochs (passes over the training data) of ``fit``. Training
        stops earlier by the rule described under ``tol``; when it runs all ``max_iter``
        epochs (and ``max_iter > 1``), a :class:`~sklearn.exceptions.ConvergenceWarning`
        is issued. ``partial_fit`` runs one epoch per call.

    shuffle : bool, default=True
        Whether to shuffle the training sequences before each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, the dropout masks, the window warps and
        the validation split of ``early_stopping``. Pass an int for reproducible results:
        on the CPU, the same seed gives bit-identical models on one kernel path (CPUs with
        and without AVX-512 round differently in the last bits: see ``PYGRU_CPU_KERNELS``
        in the README), except that a float64 model's linear skip, whose ridge regression
        LAPACK solves on OpenBLAS, follows OpenBLAS's kernels in its last bits
        (``docs/guide/reproducibility.rst``). None draws from NumPy's global random state
        (``np.random.seed``), as scikit-learn's estimators do. A warm fit or
        ``partial_fit`` continues the generator of the calls before it, so that a sequence
        of calls reproduces; one made after ``set_params(random_state=...)`` with another
        seed starts from that seed.

    tol : float, default=1e-4
        Tolerance for the optimisation. When the training loss (with ``early_stopping``,
        the validation score) fails to improve by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs, ``fit`` stops, unless
        ``learning_rate="adaptive"``, which lowers the learning rate instead. With
        ``standardize_target``, the loss compared is that of the standardised targets (the
        one minimised), so ``tol`` does not depend on the scale of y.

    alpha : float, default=1e-2
        Strength of the L2 penalty on all weights (input, recurrent, embedding, attention,
        convolution and output weights, and the linear skip's where it has no ridge penalty
        of its own, below; not the biases, nor the convolutional branch's norm scales,
        which start at 1): ``alpha / 2 * ||W||^2``, divided by the
        minibatch's number of sequences (with ``sample_weight``, times the training
        sequences' mean weight, the minibatch's loss counting by the weight it holds, so
        that weights all scaled by c weaken the penalty c times), is
        added to its loss, as in ``MLPRegressor``. The default is
        larger than ``MLPRegressor``'s (and the classifier's) 1e-4: with the linear skip
        the network starts at a ridge regression, and the penalty keeps the GRU's
        correction small unless the data support it. On the inner validation split of the
        bundled forecasting series it lowered the mean MASE from 1.14 (1e-4) to 0.70
        (``benchmarks/README.md``). With the linear skip, the skip's weights are penalised
        as the skip's starting ridge regression was, and the head's at least as strongly
        (see ``linear_skip``).

    dropout : float, default=0.0
        Fraction of each GRU layer's input features set to zero while training, in [0, 1),
        with one mask per sequence shared by all its time steps (as Keras' ``dropout``) and,
        with ``bidirectional``, by both directions, which read the same input (Keras'
        ``Bidirectional`` draws one per direction); the kept features are scaled by
        ``1 / (1 - dropout)``. Not applied in prediction.

    recurrent_dropout : float, default=0.0
        Fraction of the units of the previous state h_{t-1} set to zero while training
        where it meets the recurrent weights, in [0, 1), with one mask per sequence and
        direction shared by all time steps and the three gates (Gal & Ghahramani, 2016;
        Keras' ``recurrent_dropout``). Not applied in prediction.

    clipnorm : float, default=None
        If set (> 0), each minibatch's gradient of all parameters is rescaled so that its
        global L2 norm is at most ``clipnorm`` (Keras' ``global_clipnorm``).

    clipvalue : float, default=None
        If set (> 0), every entry of each minibatch's gradient is clipped to
        ``[-clipvalue, clipvalue]`` (after ``clipnorm``).

    early_stopping : bool, default=False
        Whether ``fit`` stops when the validation score stops improving. If True,
        ``validation_fraction`` of the training sequences are held out (see
        ``validation_split``), or the ``X_val`` given to ``fit`` is used, ``fit`` stops when
        the R² of their predictions (over all valid time steps for ``output="sequence"``)
        fails to improve by ``tol`` for ``n_iter_no_change`` consecutive epochs, and the
        weights of the epoch with the best validation score are kept. ``partial_fit``
        does not hold out data.

    validation_fraction : float, default=0.1
        The proportion of training data to set aside as validation set, in (0, 1). Only
        used when ``early_stopping=True`` and no ``X_val`` is passed to ``fit``. The
        validation score, R², needs at least 2 target values that are not all equal, so a
        fit that would hold out (or pass as ``X_val``) fewer, or only equal ones, raises a
        ValueError. Targets of few distinct values (ratings, counts) can draw equal ones
        into a small random part for some ``random_state`` and not others: hold out more,
        or pass ``X_val`` and ``y_val``.

    validation_split : {"random", "last"}, default="random"
        Which sequences ``validation_fraction`` holds out. "random": drawn at random
        (stratified for a classifier), as ``MLPClassifier``, among the sequences of weight
        above 0 (one of ``sample_weight`` 0 counts as removed, so the fraction is of the
        others); "last": the last ones, in the order given, as Keras' ``validation_split``.
        Use "last" (or ``X_val``) for time-ordered data such as overlapping forecasting
        windows, where a random split validates on windows that overlap the training ones
        and stops too late. The held-out sequences are scored with their ``sample_weight``.
        What ``fit`` learns from the data besides the weights (the standardisation,
        ``patch_size="auto"``, the target scaling, the window-warp choice) comes from every
        sequence of X with "random", as from a ``StandardScaler`` before
        ``MLPRegressor(early_stopping=True)`` in a Pipeline, and from the training part
        alone with "last", which a time-ordered split must not leak into. Windows whose
        targets overlap (``make_windows`` with ``output="sequence"``, or a ``horizon`` above
        1) share targets across the boundary: the first held-out windows' targets were
        partly trained on, so for a clean score fit on ``X[:k]`` and pass ``X_val=X[k +
        lookback + horizon:]`` (and the same ``y``), a gap of windows whose targets the
        training ones share. A warm ``fit`` draws a new random split, as MLPRegressor does:
        its validation sequences may have been trained on before (pass ``X_val`` to keep one
        set).

    n_iter_no_change : int or "auto", default="auto"
        Number of consecutive epochs without an improvement by ``tol`` before ``fit`` stops
        (or, with ``learning_rate="adaptive"``, the learning rate is lowered), as Keras'
        ``patience``; scikit-learn's MLPClassifier waits one epoch more. "auto" counts
        optimizer updates rather than epochs: ``max(10, ceil(500 / updates per epoch))``
        epochs, that is 10 epochs on large data and more on a few dozen sequences. Where
        an epoch is one update (16 sequences or fewer, at the default ``batch_size``) that
        is 500 epochs, more than ``max_iter``: such a fit runs ``max_iter`` epochs, and its
        warning says so.

    warm_start : bool, default=False
        When True, ``fit`` continues from the weights (and the standardisation, patch size
        and vocabulary) of the previous fit instead of starting anew; the optimizer state
        starts afresh, and so does the stopping rule (``n_iter_no_change`` counts this
        fit's epochs against this fit's best, as Keras' ``EarlyStopping`` does;
        MLPRegressor carries its count over). ``hidden_layer_sizes`` and the number of
        targets must not change.

    verbose : bool, default=False
        Whether to show a tqdm progress bar, one step per epoch, with the loss (and the
        validation score).

    callbacks : callable or list of callables, default=None
        Called after each epoch (of ``fit`` and of ``partial_fit``) as
        ``callback(estimator, record)``. ``record`` is a dict with the keys "epoch",
        "loss", "validation_score" (None without ``early_stopping``), "learning_rate" (the
        epoch's) and "duration" (seconds). A callback that returns a true value (True,
        ``np.True_``; None continues) stops training after this epoch. One that raises
        stops it too: the model keeps the weights a stop keeps (the last epoch's, or the
        best validation score's), and the error reaches the caller. With ``ema_momentum``,
        the model holds the epoch's averaged weights while callbacks run (those the
        record's scores are of), so a callback that scores or saves it sees those (without
        early stopping, the fit's end may keep the last step's weights instead, where their
        training objective is lower). Weights a callback sets (finite ones: a pruning, a
        constraint, a checkpoint put back) are where training goes on from, and a stop or
        the fit's end keeps them (the guards against training that raised the loss leave
        them as they are); early stopping keeps the best weights it has scored, which they
        are not. ``fit`` and ``partial_fit`` refuse to start on an estimator that is being
        fitted (from its own callback, or from another thread): fit a clone instead; so
        does ``set_params`` (a fit reads its settings as it starts): stop from the callback
        and go on with ``partial_fit`` or a warm fit.

    kernel_initializer : {"glorot_uniform", "glorot_normal", "orthogonal", "uniform", \
"zeros"}, default="glorot_uniform"
        Initialisation of the input weights of every GRU layer and of the output layer's
        weights. "glorot_uniform" and "glorot_normal" are Glorot & Bengio's (2010);
        "orthogonal" stacks orthogonal square blocks (Saxe et al., 2014); "uniform" draws
        from U(-1/sqrt(k), 1/sqrt(k)) with k the number of columns of the matrix (inputs
        per unit); "zeros" is all zeros.

    recurrent_initializer : {"orthogonal", "glorot_uniform", "glorot_normal", "uniform", \
"zeros"}, default="orthogonal"
        Initialisation of the recurrent weights of every GRU layer (one orthogonal
        (units, units) block per gate by default; "uniform" is then PyTorch's
        U(-1/sqrt(units), 1/sqrt(units))). The options are those of
        ``kernel_initializer``. The orthogonal blocks come from a QR factorisation written
        without BLAS, so that they are the same bits everywhere: about a second at 512
        units, 5-10 s at 1024 and minutes past 2048, per direction of a layer (measured on
        one core); "glorot_uniform" starts such very wide layers at once.

    bias_initializer : {"zeros", "glorot_uniform", "glorot_normal", "uniform"}, \
default="zeros"
        Initialisation of all biases. The options are those of ``kernel_initializer``
        applied to a vector of length k ("orthogonal" applies to matrices only).

    standardize : bool, "auto" or "sequence", default=True
        How the input is scaled. True: each input feature to zero mean and unit variance,
        with the mean and standard deviation over all valid training time steps (padding
        excluded; stored as ``input_mean_`` and ``input_scale_`` and applied in every later
        call). Unscaled features saturate the gates. A feature whose offset dwarfs its
        spread (a timestamp, a coordinate) is standardised from its float64 values before
        the cast to ``dtype``, so it keeps its spread. "sequence" and "auto" as in
        :class:`GRUClassifier`: each sequence centred and scaled by itself, its level and
        log spread added as input channels; "auto" does so where more than half of the
        training sequences vary, in every feature, by less than 5% as much as a typical one,
        else True, and keeps True for a causal per-step model. Not the regressor's default:
        the targets stay on their own scale, which a sequence scaled by itself no longer
        shows linearly (windows of 40 series whose sizes span five decades, pooled into
        one forecaster, were forecast 25 % worse in MAE with "auto" than with True).
        Ignored with ``embedding_dim``.

    standardize_target : bool, default=True
        Whether to train on targets scaled to zero mean and unit variance per target (over
        the training sequences, or over all their valid time steps for
        ``output="sequence"``; weighted by ``sample_weight``), stored as ``target_mean_``
        and ``target_scale_``. Predictions are scaled back, so they and the score are on
        the scale of y, and so is ``loss_curve_`` for one target (for several, see
        ``loss_curve_``). Without it, targets far from unit scale
        (in the thousands, or around 0.01) train poorly or not at all. Targets are
        standardised from their float64 values before the cast to ``dtype`` (per-step
        targets, ``output="sequence"``, are cast first where ``dtype`` holds them to 1e-6
        of their range, which saves a float64 copy). ``partial_fit``'s first call fixes
        the scaling for every later call, as a warm ``fit`` keeps it.

    linear_skip : bool or "auto", default="auto"
        Whether the output adds a linear function of each sequence's last input steps (all
        the steps the GRU reads of the longest training sequence, after patching, at most
        64, and at most 512 values: fewer steps of many features, down to one; zeros in
        front of a shorter sequence), a skip connection past the GRU layers as
        the autoregressive part of LSTNet (Lai et al., 2018). It starts as the ridge
        regression (inputs and targets standardised; the penalty chosen among 1e-6..1e6,
        moved up where the sequences' total weight passes 1e5 so that the strongest is ten
        times it, by leave-one-out cross-validation, sample weights acting as repetitions;
        with ``standardize_target=False`` the targets as given, so that the largest of
        several dominates the choice, as in ``RidgeCV``) of the training targets on those
        steps, with the GRU's output weights at zero (a tenth of their initial values where
        the held-out blocks below free the correction), and then trains with the rest of
        the network: the GRU learns what the linear model leaves unexplained.
        This lets a forecaster follow a trend beyond the training range, which the GRU's
        saturating units cannot. While training, the skip keeps the ridge's penalty,
        ``linear_skip_alpha_``, converted to the loss's scale (divided by the minibatches
        per epoch and the number of targets), in place of ``alpha``, and the output weights
        (which carry the GRU's correction) keep ``correction_alpha_`` so converted where it
        is stronger than ``alpha``: the skip's penalty, so that the ridge is where training
        leaves the skip unless the correction pays for itself at the penalty the linear
        model needed (where the ridge chose a weak penalty, smooth spectra, ``alpha`` does
        not pull the skip off it). These penalties do not stop the correction from fitting
        noise over many epochs on small, noisy series: validate forecasts on the latest
        windows (``early_stopping=True, validation_split="last"``). Where the inputs
        explain the targets only nonlinearly, the ridge finds no linear signal and picks a
        large penalty, which held the GRU back too (the mean of
        x**2 over 10 steps of Gaussian noise, 300 training series: test R² 0.00, 0.95 with
        ``linear_skip=False``). So the training sequences, in their order, are cut into 5
        blocks, each predicted by ridges fitted on the others (less the sequences within one
        window's length of it, where neighbouring sequences share values, as sliding
        windows of one series do); where a ridge on the
        skip's window together with what the head reads of the untrained GRU (fixed
        nonlinear features of each sequence) predicts them better than the window's ridge
        alone, by more than one standard error of their paired errors, the output weights
        keep the penalty those blocks choose for that ridge instead (0.94 on the example).
        The untrained GRU's state keeps mostly the last few tens of steps, so a target over
        longer stretches may go unseen (the mean of x**2 over 100 steps: R² 0.00, 0.87 with
        ``linear_skip=False``). With sliding windows the test needs each block's fit to
        keep at least half of the other sequences (about 5 windows' lengths of them); a fit
        that ends on a ridge with the strongest penalty of its grid says so (a UserWarning),
        since it then predicts about the targets' mean, and ``linear_skip=False`` is the
        setting for targets known to depend on the inputs nonlinearly. Where the blocks
        free the correction, the head starts with a tenth of its initial weights, not zero:
        with zero output weights the GRU's weights got only the L2 penalty's gradient,
        which Adam's normalised steps followed until they had shrunk (4,000 sequences of 8
        steps, the sine of a sum plus a count of threshold crossings: R² 0.29, now 0.96 as
        with ``linear_skip=False``). The skip can still slow the GRU down on such targets,
        without a warning (16 units, 1,000 of those sequences: 0.77 as without it after 300
        epochs, but 0.19 against 0.60 with ``max_iter=100``): outside forecasting, compare
        the two settings by cross-validation. A fit without
        early stopping then ends on the ridge itself, with the GRU's output weights at zero,
        unless the trained model's training objective (L2 terms included) is lower by at
        least ``tol``: a correction that does not pay for itself on the training data is
        dropped, since on inputs beyond the training range it can still move the
        forecasts. "auto": used
        with ``output="last"`` and numeric input, the only case where it is defined (True
        elsewhere is an error).

    patch_size : int, "auto" or None, default="auto"
        Feed runs of ``patch_size`` consecutive time steps to the GRU as one step of
        ``patch_size * n_features`` inputs (the last step of a sequence is repeated to fill
        its final patch), at most the longest sequence ``fit`` is given; None or 1: one GRU step
        per time step. "auto" reads sequences of up to 64 steps step by step, and longer ones in
        patches of ceil(longest training sequence / 32) steps, which trains long sequences
        far better and faster (see :class:`GRUClassifier`). Only for numeric input and
        ``output="last"``: a value other than None, "auto" or 1 with ``embedding_dim`` or
        ``output="sequence"`` is an error, and "auto" means 1 with ``output="sequence"``.
        The value used is ``patch_size_``.

    window_warp : "auto", float in (0, 1) or None, default=None
        Window warping while training, as in :class:`GRUClassifier`: a random window of
        this share of each sequence's steps is stretched or squeezed by 2, and the
        sequence resampled to its length. Only for numeric input and ``output="last"``;
        "auto" warps 0.05 there (unless the series jump from step to step) and nothing
        elsewhere, as the classifier's default.
        On the forecasting benchmark's inner origins a window of 0.1 tied the default
        (mean MASE 0.794 against 0.795); a forecasting window's timing is what its target
        depends on.

    device : {"cpu", "auto", "cuda"}, default="cpu"
        Where to train and predict. "cuda": on the current CUDA device through CuPy
        (``pip install cupy-cuda12x``), with parameters, optimizer state and the training
        data on the device (a ValueError says what is missing when CuPy or a device is not
        there); "auto": the GPU when CuPy sees one, else the CPU. Fitted models pickle and
        save with NumPy parameters and predict on the CPU where no GPU is available. On a
        machine with several GPUs a fitted model stays on the one it was fitted on: use it
        with that device current (``with cupy.cuda.Device(i):``; with another, a
        ValueError names both), or move it with a pickle round trip: the copy goes to the
        device current when it is next used. Only the CPU is bit-for-bit reproducible.
        Small data sets such as the bundled ones train faster on the CPU, since each
        minibatch is a few dozen small GPU launches (GunPoint with the defaults: 7.7 s on an
        H200, 3.0 s on 16 CPU cores).

    dtype : {"float32", "float64"}, np.float32 or np.float64, default="float32"
        Floating-point type of the parameters, the optimizer state and the computations;
        "float64" is slower and more precise. NumPy's types and dtypes are accepted too
        (a saved model stores the name, so it loads with the string). Predictions are
        returned as float64.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets per prediction (1 for a 1-D y with ``output="last"``, or a 2-D y
        with ``output="sequence"``).

    n_features_in_ : int
        Number of features per time step seen during ``fit``. Only with numeric input
        (not with ``embedding_dim``).

    input_mean_ : ndarray of shape (n_features_in_,) or (3 * n_features_in_,)
        Mean of each input feature over the training time steps (where each sequence is
        scaled by itself, of the scaled features, then the levels and the log spreads).
        Only with ``standardize`` set and numeric input.

    input_scale_ : ndarray of the shape of ``input_mean_``
        Standard deviation of each input feature over the training time steps (1 for a
        constant feature; for the levels and log spreads of sequences scaled by themselves,
        at least 5% of a typical sequence's spread and at least 0.05, so that differences of
        rounding are not stretched). Only with ``standardize`` set and numeric input.

    sequence_spread_floor_ : ndarray of shape (n_features_in_,)
        The smallest spread a sequence is divided by, per feature: the faintest training
        sequence's that varies (1 where none varies). Only where each sequence is scaled by itself
        (``standardize="sequence"``, or "auto" that chose it).

    target_mean_ : ndarray of shape (n_outputs_,)
        Mean of each target in the training data (with ``partial_fit``, in its first
        call's). Only with ``standardize_target=True``.

    target_scale_ : ndarray of shape (n_outputs_,)
        Standard deviation of each target in the training data (1 for a constant target).
        Only with ``standardize_target=True``.

    patch_size_ : int
        Time steps per GRU step (see ``patch_size``). Only with numeric input.

    vocabulary_size_ : int
        Rows of the embedding table: ``vocabulary_size`` if set, else one more than the
        largest id of the data of the fit that made the table (a model's first ``fit`` or
        ``partial_fit``, or any ``fit`` without ``warm_start``). Only with
        ``embedding_dim``.

    network_ : GRUNetwork
        The fitted network; all its parameters are in the flat array ``network_.params``.

    coefs_ : list of ndarray
        The weight matrices, from input to output: the embedding table of shape
        (vocabulary_size_, embedding_dim) if any; for each layer and direction the input
        weights, of shape (3 * units, n_inputs), and the recurrent weights, of shape
        (3 * units, units), with the gates in the order [r, z, n] as ``torch.nn.GRU``;
        where present, the attention vector of ``pooling="attention"``, the convolutional
        branch's kernels and norm scales (``conv_layers``: per layer a kernel of shape
        (filters, kernel_size * n_channels), the channels of each step side by side, step
        after step, which is ``torch.nn.Conv1d``'s weight ``w`` as
        ``w.transpose(0, 2, 1).reshape(filters, -1)``, and a scale per filter) and the
        linear skip's weights;
        last, as in ``MLPRegressor``, the output weights, of shape (n_outputs_,
        n_head_inputs). The matrices after the embedding table are in torch's (out, in)
        layout, the transpose of ``MLPRegressor``'s (in, out). Views into
        ``network_.params`` (copies when the network is on a GPU).

    intercepts_ : list of ndarray
        The bias vectors, from input to output: for each layer and direction the input
        and recurrent biases, of shape (3 * units,); those of the convolutional branch,
        where present; last, the output bias, of shape (n_outputs_,). Views into
        ``network_.params`` (copies when on a GPU).

    linear_skip_alpha_ : float or None
        The ridge penalty that leave-one-out cross-validation chose for the linear skip's
        starting point (on the sum of squared errors of the targets the loss reads:
        standardised, or with ``standardize_target=False`` y as given), among
        1e-6 to 1e6 (moved up where the sequences' total weight passes 1e5, so that the
        strongest is ten times it; times the mean variance of the skip's window values
        with ``standardize=False``), which training keeps on the skip;
        None without a linear skip, when leave-one-out could not tell the penalties apart
        (one training sequence, or two of weight up to 1: a warning says so), and for a
        model loaded from a file written before pygru kept it (format version 4 and
        older). With None the model trains with
        ``alpha`` alone.

    correction_alpha_ : float or None
        The ridge penalty that training keeps on the output weights, which carry the GRU's
        correction to the linear skip, where it is stronger than ``alpha``: the skip's own
        (``linear_skip_alpha_``), or, where the untrained GRU's features with the skip's
        window predict held-out blocks of the training sequences better than the window
        alone (see ``linear_skip``), the penalty those blocks choose for them. None where
        ``linear_skip_alpha_`` is None; the skip's for a model loaded from a file written
        before pygru kept it (format version 9 and older).

    loss_curve_ : list of float
        Training loss (half the mean squared error, with the L2 penalty) of each epoch,
        averaged over the training sequences (those of weight above 0), on the scale of y:
        with ``standardize_target``, the minimised loss times the mean of
        ``target_scale_**2`` (for one target, exactly half the mean squared error in the
        units of y). With ``output="sequence"`` each minibatch's loss is the mean over its
        own valid time steps (as PyTorch's and Keras' masked means are), and the epoch's the
        mean of those over its sequences: the mean over all steps where the sequences have
        one length or form one batch; otherwise a batch of short sequences gives each of its
        steps more weight than a batch of long ones does (4 % off the mean over all steps
        for lengths 5 to 12 in batches of 5).

    loss_ : float
        The last value of ``loss_curve_``.

    n_layers_ : int
        Number of layers: input, each GRU layer, output (as ``MLPClassifier`` counts).

    best_loss_ : float
        Lowest value of ``loss_curve_`` over the epochs trained without ``early_stopping``
        (which tracks ``best_validation_score_`` instead); ``inf`` when there are none.

    validation_scores_ : list of float or None
        R² on the held-out validation set after each epoch of ``fit`` (of the fits
        that validated since the last training that did not); None when
        ``early_stopping=False``, and after training that did not validate
        (``partial_fit``, a warm fit without ``early_stopping``), whose epochs they would
        not cover.

    best_validation_score_ : float or None
        The validation score of the weights the model keeps: the best value of
        ``validation_scores_``, or the score of the weights from before training where no
        epoch beat it (``best_epoch_`` 0; that score is not in ``validation_scores_``);
        None when ``early_stopping=False``, and after training that did not validate
        (``partial_fit``, a warm fit without ``early_stopping``), whose weights it would
        no longer describe. While callbacks run, the score of the epoch just completed,
        whose weights the model then holds (as ``best_epoch_``; None in a call that does
        not validate).

    best_epoch_ : int
        The epoch (counted as ``n_iter_``) whose weights the model holds: the last one, or
        with ``early_stopping`` the restored one of the best validation score (the first
        epoch of it). Where no epoch of a fit beat the validation score of the weights it
        started from (or tied it, for a ridge start or a warm fit's), their epoch (0 for a
        fresh fit; the one a warm fit started from); 0 also when a fit from
        random initial weights left the training loss higher than they had. Either comes
        with a ``ConvergenceWarning``. 0 also when the GRU's correction did not pay for
        itself over the linear skip's ridge regression the fit started from (see
        ``linear_skip``). While callbacks run, the epoch just completed, whose weights the
        model then holds.

    n_iter_ : int
        Number of epochs run (over all ``partial_fit`` calls and warm-started fits).

    t_ : int
        Number of training sequences the solver has seen, over all epochs.

    out_activation_ : str
        The output activation: "identity".

    See Also
    --------
    GRUClassifier : GRU classifier of sequences.
    pygru.datasets.make_windows : Cut a series into (window, next values) pairs.
    pygru.functional.gru_forward : One GRU layer as a function, the building block.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron regressor.

    Notes
    -----
    Each GRU layer computes, for every time step t (gate order [r, z, n] as
    ``torch.nn.GRU``, see :func:`pygru.functional.gru_forward`)::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))    # reset_after=True
        n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)    # reset_after=False
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    from h_0 = 0. A linear output layer maps h (what ``pooling`` reads of each sequence's
    valid steps, by default the last, or every valid step for ``output="sequence"``) to the
    targets, plus the linear skip's map of the last input steps where ``linear_skip``
    applies; the loss, averaged over a
    minibatch (weighted by ``sample_weight``), ignores the padding.

    Examples
    --------
    >>> import numpy as np
    >>> from pygru import GRURegressor
    >>> from pygru.datasets import load_airline, make_windows
    >>> series = np.log(load_airline().data)
    >>> X, y = make_windows((series - series.mean()) / series.std(), lookback=12)
    >>> reg = GRURegressor(hidden_layer_sizes=(16,), max_iter=20, random_state=0)
    >>> reg.fit(X[:100], y[:100]).predict(X[100:]).shape
    (32,)

    One prediction per time step, for sequences of different lengths:

    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(length, 1)) for length in (4, 6, 5)]
    >>> y = [np.cumsum(x[:, 0]) for x in X]
    >>> reg = GRURegressor(hidden_layer_sizes=(8,), output="sequence", max_iter=2,
    ...                    random_state=0)
    >>> [len(prediction) for prediction in reg.fit(X, y).predict(X)]
    [4, 6, 5]
    """

    _parameter_constraints = {
        **BaseGRU._parameter_constraints,
        "output": [StrOptions({"last", "sequence"})],
        "standardize_target": ["boolean"],
        "linear_skip": ["boolean", StrOptions({"auto"})],
    }

    def _check_settings(self):
        forced = not isinstance(self.linear_skip, str) and self._uses_linear_skip()
        if forced and not self._numeric_per_sequence():
            raise ValueError(
                "linear_skip=True needs output='last' and numeric input (not "
                "embedding_dim); leave linear_skip='auto' to use it only where it applies"
            )
        return super()._check_settings()

    def _uses_linear_skip(self):
        if isinstance(self.linear_skip, str):  # "auto"
            return self._numeric_per_sequence()
        return bool(self.linear_skip)

    def _initialize(self, hidden_layer_sizes, rng, linear_steps=0):
        super()._initialize(hidden_layer_sizes, rng, linear_steps)
        self.linear_skip_alpha_ = None  # set by _fit_linear_skip when there is a skip
        self.correction_alpha_ = None
        self._linear_skip_sequences = None

    def _divergence_advice(self):
        """As for any GRU, and with plain SGD the linear skip's penalty as a cause where
        it is stronger than alpha (``_penalties_besides_alpha``): its gradient step on the
        skip's and the head's weights overshoots where the ridge chose a large penalty
        (targets the inputs barely explain). Targets on their own scale are named too:
        errors of 1e20 overflow float32's squares at any learning rate."""
        advice = super()._divergence_advice()
        extra_penalties = getattr(self, "_extra_penalties", None) or {}
        if self.solver == "sgd" and any(extra > 0 for extra in extra_penalties.values()):
            # The learning rate first: at 1e6 it is the cause whatever the penalty.
            advice += (
                "; the linear skip's ridge penalty (linear_skip_alpha_="
                f"{self.linear_skip_alpha_:g}), which training keeps on the skip's and the "
                "output weights, may also be too strong for plain SGD steps: try "
                "solver='adam' or linear_skip=False"
            )
        if not hasattr(self, "target_mean_"):
            # Large targets make large errors, whose squares a smaller rate does not shrink.
            advice += (
                ", or, for targets far from unit scale, standardize_target=True (they are "
                "trained on their own scale)"
            )
        return advice

    def _penalties_besides_alpha(self, batch_size, n_sequences):
        """The linear skip is penalised as the ridge regression it started from, and the
        head's weights (which carry the GRU's correction to it) by ``correction_alpha_``
        (the skip's penalty, or the one held-out blocks chose where the GRU's features at
        initialisation predicted them better: ``_correction_alpha``) where that is
        stronger than ``alpha``. That ridge penalises the sum of squared errors by
        ``linear_skip_alpha_``; the loss is half the mean squared error per minibatch and
        per target, so the same penalty is
        ``linear_skip_alpha_ / (updates_per_epoch * n_outputs_)`` on alpha's scale. The
        ridge is then where training stays unless the GRU's correction pays for itself at
        the penalty the linear model needed, and the penalty does not depend on how many
        minibatches an epoch has. The skip keeps it also where it is weaker than ``alpha``:
        there ``alpha`` pulled the skip off its ridge towards a penalty leave-one-out had
        rejected, and the training objective, lowered by the smaller skip, kept the model
        that fitted its training data worse (Tecator's spectra, whose ridge chooses 3e-5:
        training RMSE 1.90 at the start, 2.00-2.07 after training).

        The epoch counts at least the sequences the ridge was fitted on: a partial_fit of
        one new window applied the whole ridge penalty to that window's update (300 times
        the fit's), and a stream of such calls shrank the skip (R² 0.945 -> 0.727)."""
        if self.linear_skip_alpha_ is None:
            return {}
        # (getattr: a model pickled before it was kept counts a call's sequences alone)
        counted = max(n_sequences, getattr(self, "_linear_skip_sequences", None) or 0)
        updates = -(-counted // batch_size) * self.n_outputs_  # per epoch, per target
        strength = float(self.linear_skip_alpha_ / updates)
        # (getattr: a model pickled before it was kept holds the head at the skip's penalty)
        correction = getattr(self, "correction_alpha_", None) or self.linear_skip_alpha_
        head_strength = float(correction / updates)
        if head_strength <= self.alpha:
            return {"linear.weight": strength}
        return {"linear.weight": strength, "head.weight": head_strength}

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        *,
        output="last",
        bidirectional=False,
        reset_after=True,
        embedding_dim=None,
        vocabulary_size=None,
        pooling="last",
        conv_layers=None,
        solver="adam",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        decay_rate=0.96,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        rho=0.9,
        ema_momentum=None,
        batch_size=16,
        max_iter=300,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        alpha=1e-2,
        dropout=0.0,
        recurrent_dropout=0.0,
        clipnorm=None,
        clipvalue=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="random",
        n_iter_no_change="auto",
        warm_start=False,
        verbose=False,
        callbacks=None,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        standardize=True,
        standardize_target=True,
        linear_skip="auto",
        patch_size="auto",
        window_warp=None,
        device="cpu",
        dtype="float32",
    ):
        super().__init__(
            hidden_layer_sizes,
            bidirectional=bidirectional,
            reset_after=reset_after,
            embedding_dim=embedding_dim,
            vocabulary_size=vocabulary_size,
            pooling=pooling,
            conv_layers=conv_layers,
            solver=solver,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            decay_rate=decay_rate,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            rho=rho,
            ema_momentum=ema_momentum,
            batch_size=batch_size,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            alpha=alpha,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            validation_split=validation_split,
            n_iter_no_change=n_iter_no_change,
            warm_start=warm_start,
            verbose=verbose,
            callbacks=callbacks,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            standardize=standardize,
            patch_size=patch_size,
            window_warp=window_warp,
            device=device,
            dtype=dtype,
        )
        self.output = output
        self.standardize_target = standardize_target
        self.linear_skip = linear_skip

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Train on sequences X and targets y for up to ``max_iter`` epochs.

        Without ``warm_start``, every call starts from newly initialised weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            The sequences: a 3-D array, time before features (aeon's and sktime's
            (n_cases, n_channels, n_timepoints) is the transpose: ``X.transpose(0, 2, 1)``);
            a 2-D array (n_samples, n_timesteps) of univariate sequences; or a list of
            arrays of shape (n_timesteps_i, n_features) or (n_timesteps_i,), whose lengths
            may differ. In an array, a shorter sequence ends with time steps that are NaN
            in every feature (padding); any other NaN or infinity is an error. With
            ``embedding_dim``, non-negative integer token ids, a 2-D array or a list of 1-D
            sequences, each ending with zeros as padding.

        y : array-like of shape (n_samples,) or (n_samples, n_targets), or per time step
            Real-valued targets. With ``output="last"``, one value or row per sequence.
            With ``output="sequence"``, an array of shape (n_samples, n_timesteps) or
            (n_samples, n_timesteps, n_targets) whose shorter sequences end with NaN, or a
            list of arrays of shape (n_timesteps_i,) or (n_timesteps_i, n_targets), with
            the lengths of the sequences of X.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sequence (of all its time steps) in the loss; None weighs
            them equally (weights, class weights included, that sum to more than 1e200 are refused,
            as are weights so small that the L2 penalty, which counts against them, makes a
            gradient the dtype cannot square: sums over time steps or the optimizer's moments
            would overflow). A weight of k counts as k copies of the sequence
            in the loss (scikit-learn's convention), so the weights' scale matters against the L2
            penalty: weights that average 1 keep the data's own weight, while weights normalised to
            sum to 1 make all of it weigh as one sequence. Each minibatch's loss counts by the
            weight it holds (as in Keras; ``MLPClassifier`` weighs each minibatch alike, which
            pulls small batches towards equal weights), so the weighted loss is what training
            minimises at any ``batch_size`` (with ``output="sequence"``, up to the weight of each
            step within its batch: see ``loss_curve_``); a sequence weighted far above the rest
            makes its batch's gradient as many times larger (its copies would spread over several
            batches), so with ``solver="sgd"`` a smaller ``learning_rate_init`` or ``clipnorm``
            keeps such steps stable. The fitted model equals one fitted on copies exactly only with
            one full batch (and without ``window_warp``, ``dropout`` or
            ``recurrent_dropout``; and not with ``learning_rate="invscaling"``, whose
            ``t_`` counts sequences whatever their positive weight, as ``MLPClassifier``'s
            does): minibatches, warps and dropout masks are drawn per sequence. A weight of
            0 leaves a sequence out of the model at any ``batch_size``: out of the loss, of
            every statistic of the data, and of the minibatches and their random draws,
            except that with ``embedding_dim`` its token ids still size the vocabulary (so
            that the model takes every id it was given), and that
            ``validation_split="last"`` counts its fraction over all the sequences.

        X_val : array-like or list of arrays, default=None
            Validation sequences for ``early_stopping`` (an error without it), in any form
            X takes, used instead of holding out ``validation_fraction`` of X; the model is
            never fitted on them. In a :class:`~sklearn.pipeline.Pipeline`, ``X_val`` is
            transformed as X through metadata routing, as for
            :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:
            ``sklearn.set_config(enable_metadata_routing=True)``, the estimator's
            ``set_fit_request(X_val=True, y_val=True)``, and
            ``Pipeline(..., transform_input=["X_val"])``. Without the last, X_val arrives
            as given; a feature whose mean lies more than 10 times the training inputs'
            scale (``input_scale_``) from theirs gets a warning.

        y_val : array-like, default=None
            The targets of ``X_val``, in the form y takes and on y's scale: a
            :class:`~sklearn.compose.TransformedTargetRegressor` transforms y but not
            y_val, so pass it transformed. A target whose mean lies more than 10 times the
            training targets' spread from theirs gets a warning (not a target constant in
            training, nor with ``standardize="sequence"``).

        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation sequences in the validation score; only with
            ``X_val`` and ``y_val`` (the part ``validation_split`` holds out keeps its
            ``sample_weight``).

        Returns
        -------
        self : GRURegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, validation_data=(X_val, y_val, sample_weight_val))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch over (X, y), keeping the weights and optimizer state.

        The first call initialises the model (and fits the standardisation, patch size or
        vocabulary on its X, the target scaling on its y, and the linear skip's penalties
        ``linear_skip_alpha_`` and ``correction_alpha_`` on both, which later calls keep:
        give it a batch whose targets span their range, of at least 50 sequences, or a
        warning says what a smaller one costs); later calls continue from the current
        weights and optimizer state. After ``set_params`` changes a setting of the
        optimizer (``solver``, the learning rate and its schedule with its patience
        ``n_iter_no_change``, ``tol``, the momentum, betas, ``epsilon`` or ``rho``), the
        next call starts a new optimizer from the current weights, as a warm ``fit`` or a
        loaded model does (MLPRegressor would keep the old one). Where the call before ended
        on weights from before its last steps (early stopping's best epoch, the weights
        before a divergence, or the linear skip's ridge start, which the guard keeps where
        training did not pay), the optimizer's moments start afresh too: they belonged to
        steps the model no longer holds. ``early_stopping`` holds out no data here, and
        ``max_iter`` does not apply.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            The sequences, in any form :meth:`fit` accepts.

        y : array-like of shape (n_samples,) or (n_samples, n_targets), or per time step
            Real-valued targets, in any form :meth:`fit` accepts; the same number of
            targets on every call.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sequence in the loss; None weighs them equally.

        Returns
        -------
        self : GRURegressor
            The trained estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _prepare_targets(self, y, lengths, first_call, classes=None, continues_training=False):
        # Standardised in float64 where dtype would round y, as X is.
        standardizes = self.standardize_target if first_call else hasattr(self, "target_mean_")
        if self.output == "sequence":
            targets = _sequences.to_padded_targets(
                y, lengths, dtype=self.dtype, keep_precision=standardizes
            )
            y_ndim = 3 if _has_target_axis(y) else 2
        else:
            try:
                targets = _real_targets(y, self.dtype, keep_precision=standardizes)
            except ValueError as error:
                if not (_sequences._is_list_of_sequences(y) and any(np.ndim(v) > 0 for v in y)):
                    raise
                raise ValueError(
                    f"{error} With output='last', y holds one value (or row of n_targets "
                    "values) per sequence; for targets per time step use output='sequence'."
                ) from error
            if targets.ndim not in (1, 2) or len(targets) != len(lengths):
                raise ValueError(
                    f"y must have shape ({len(lengths)},) or ({len(lengths)}, "
                    f"n_targets) for output='last', got {targets.shape}"
                    + (_series_in_columns_hint(lengths, len(targets)) if targets.ndim else "")
                )
            if targets.size == 0:  # worded as scikit-learn's check_array
                raise ValueError(
                    f"y has 0 target(s) (shape={targets.shape}) while a minimum of 1 is required"
                )
            if not np.all(np.isfinite(targets)):
                raise ValueError(
                    f"y contains NaN, inf, or a value too large for {np.dtype(self.dtype)}; "
                    "expected finite values"
                )
            y_ndim = targets.ndim
            targets = targets.reshape(len(targets), -1)
        if first_call:
            self.n_outputs_ = targets.shape[-1]
        elif targets.shape[-1] != self.n_outputs_:
            remedy = (
                ". A warm fit (warm_start=True) or partial_fit continues the fitted model: "
                "to fit other targets, fit again with warm_start=False"
                if continues_training
                else ""
            )
            raise ValueError(
                f"y has {targets.shape[-1]} targets, the model was fitted with "
                f"{self.n_outputs_}{remedy}"
            )
        self._y_ndim = y_ndim  # predictions take the shape of the last targets trained on
        return targets

    def _prepare_validation_data(self, X_val, y_val, sample_weight_val):
        # y_val is scored, not trained on: predictions keep the shape of y, whatever y_val's
        trained_ndim = self._y_ndim
        try:
            return super()._prepare_validation_data(X_val, y_val, sample_weight_val)
        finally:
            self._y_ndim = trained_ndim

    def _warn_if_far_from_the_training_targets(self, targets, lengths, weights):
        """Warn where a target of y_val has a mean more than ``_FAR_FROM_TRAINING`` times
        the training targets' spread from theirs (``_target_reference``, kept whether or
        not ``standardize_target``): the mark of a y_val that missed a transformation of y,
        as ``TransformedTargetRegressor`` transforms y but not y_val (validation R² -141.8
        for log GDP windows scored against y_val in dollars, 0.996 against its logarithm;
        audit35c), also where y was scaled by hand with ``standardize_target=False``
        (audit36b). The mean weighs each sequence by ``weights``. Targets constant in
        training have no spread to measure by and are not checked (scale 1 made the warning
        depend on y's units; review36a). Not where each input sequence is scaled by itself
        (``standardize="sequence"``): such models are meant for levels unlike the training
        data's, as a series that grows fast has."""
        reference = getattr(self, "_target_reference", None)
        if reference is None or hasattr(self, "sequence_spread_floor_"):
            return
        validation = _target_mean_and_spread(targets, lengths, weights)
        if validation is None:
            return  # (refused after this, by name)
        mean = validation[0]
        far = _farthest_from_training(mean, *reference)
        if far is None:
            return
        target, distance = far
        warn(
            f"y_val's target {target} has mean {mean[target]:.4g}, against "
            f"{reference[0][target]:.4g} in the training targets: {distance:.3g} times "
            f"their spread ({reference[1][target]:.4g}). Early stopping scores the model on "
            "y_val as given. A TransformedTargetRegressor transforms y but not y_val: pass "
            "y_val transformed as y is (func(y_val)); otherwise check that y_val holds y's "
            "targets in y's units. A series whose level has moved far past its training "
            "range gets this warning too: model its changes or logarithm instead.",
            UserWarning,
        )

    def _fit_target_transform(self, targets, lengths, sample_weight):
        """Learn each target's mean and scale (weighted, over valid time steps only for
        ``output="sequence"``) when ``standardize_target``."""
        self._forget(("target_mean_", "target_scale_"))
        self._target_reference = _target_mean_and_spread(targets, lengths, sample_weight)
        if not self.standardize_target:
            self._warn_where_the_dtype_cannot_resolve_the_targets()
            return
        targets, lengths = _as_target_steps(targets, lengths)
        mean, scale = _sequences.feature_statistics(targets, lengths, sample_weight, name="y")
        if np.mean(np.square(scale)) < np.finfo(np.float64).tiny:
            # (loss_curve_ is reported on y's scale: the objective times that mean square)
            raise ValueError(
                "y has values too small to standardise: the squares of the targets' spread "
                f"(target_scale_ {np.max(scale):.3g}) underflow float64. Multiply y by a "
                "constant (such as 1e150) and divide the predictions by it."
            )
        self.target_mean_, self.target_scale_ = mean, scale

    def _warn_where_the_dtype_cannot_resolve_the_targets(self):
        """Warn where, trained on their own scale (``standardize_target=False``), targets
        spread over fewer than two of the steps ``dtype`` resolves at their magnitude: a
        float32 model of targets 1e8 ± 3 reached R² 0.41, with only the convergence warning
        (audit40g; 3e7 ± 3, 1.5 steps, 0.958; 1e7 ± 3, three, 0.975 to 0.99). Targets that
        the cast to ``dtype`` has made constant (1e9 ± 3) are past telling here."""
        if self._target_reference is None:
            return
        mean, spread = self._target_reference
        largest = np.abs(mean) + np.where(np.isfinite(spread), spread, 0)
        step = np.spacing(largest.astype(self.dtype)).astype(np.float64)
        coarse = np.isfinite(spread) & (spread < 2 * step)
        if coarse.any():
            index = int(np.argmax(coarse))
            which = f"y's target {index}" if len(spread) > 1 else "y's values"
            warn(
                f"{which} spread by {spread[index]:.3g} around {mean[index]:.3g}, and "
                f"{np.dtype(self.dtype).name} resolves steps of {step[index]:.3g} there: "
                "trained on their own scale (standardize_target=False), the predictions "
                "can follow them only coarsely. Set standardize_target=True (the default), or "
                "dtype='float64'.",
                UserWarning,
            )

    def _warn_of_scaling_from_constant_targets(self, targets, lengths, sample_weight):
        """Warn where the first ``partial_fit`` batch fixed a target's scaling from one value
        (a single sequence, say), among the sequences its weights count: the scale is then 1
        and the mean that value for every later batch, which may lie far from both."""
        if not hasattr(self, "target_mean_"):
            return
        targets, lengths = _as_target_steps(targets, lengths)
        if _constant_over_counted_steps(targets, lengths, sample_weight).any():
            warn(
                "partial_fit's first batch fixes the target scaling (standardize_target) for "
                "every later batch, and its targets are constant, so they are scaled by 1 "
                "around that value. Give the first call a batch that spans the targets, or "
                "set standardize_target=False and scale y yourself.",
                UserWarning,
            )

    def _training_targets(self, targets):
        if not hasattr(self, "target_mean_"):
            return targets
        standardized = (targets - self.target_mean_) / self.target_scale_
        with np.errstate(over="ignore"):
            standardized = standardized.astype(self.dtype, copy=False)
        if not np.all(np.isfinite(standardized)):
            raise ValueError(
                "y standardised with target_mean_ and target_scale_ is too large for "
                f"{np.dtype(self.dtype)}: y is far outside the targets the model was "
                "fitted on"
            )
        return standardized

    def _loss_unit(self):
        """With standardised targets, ``loss_curve_`` is the objective times the mean squared
        ``target_scale_``: for one target, exactly the loss on the scale of y."""
        if not hasattr(self, "target_scale_"):
            return 1.0
        return float(np.mean(np.square(self.target_scale_)))

    def _get_target_state(self):
        """The number of targets, the rank of y (which fixes the shape of predictions), the
        linear skip's ridge penalty, the training targets' mean and spread that y_val is
        checked against (``_target_reference``) and, with ``standardize_target``, each
        target's mean and scale."""
        state = {
            "n_outputs_": int(self.n_outputs_),
            "_y_ndim": int(self._y_ndim),
            "linear_skip_alpha_": self.linear_skip_alpha_,
            # (getattr: a model pickled before it was kept holds the head at the skip's)
            "correction_alpha_": getattr(self, "correction_alpha_", self.linear_skip_alpha_),
        }
        sequences = getattr(self, "_linear_skip_sequences", None)
        if sequences is not None:
            state["linear_skip_sequences"] = int(sequences)
        arrays = {}
        if hasattr(self, "target_mean_"):
            arrays["target_mean_"] = np.ascontiguousarray(self.target_mean_)
            arrays["target_scale_"] = np.ascontiguousarray(self.target_scale_)
        reference = getattr(self, "_target_reference", None)
        if reference is not None:
            arrays["training_target_mean"] = np.ascontiguousarray(reference[0])
            arrays["training_target_spread"] = np.ascontiguousarray(reference[1])
        return state, arrays

    def _set_target_state(self, state, arrays):
        self.n_outputs_ = read_count(state, "n_outputs_", minimum=1)
        self._y_ndim = read_choice(state, "_y_ndim", (1, 2, 3))
        self.linear_skip_alpha_ = _read_linear_skip_alpha(state, self.network_.linear_steps)
        self.correction_alpha_ = _read_correction_alpha(state, self.linear_skip_alpha_)
        # Files written before it was kept count a later call's sequences alone.
        self._linear_skip_sequences = read_count(
            state, "linear_skip_sequences", minimum=1, default=None
        )
        # Files written before standardize_target existed hold no target scaling.
        if "target_mean_" in arrays or "target_scale_" in arrays:
            self.target_mean_, self.target_scale_ = _read_scaling(
                arrays, "target", self.n_outputs_
            )
        # Files written before format version 11 hold no reference: y_val goes unchecked.
        self._target_reference = _read_target_reference(arrays, self.n_outputs_)

    def _n_outputs(self):
        return self.n_outputs_

    @property
    def out_activation_(self):
        """The output activation, as ``MLPRegressor`` names it."""
        check_is_fitted(self, "network_")
        return "identity"

    def _stratify(self, targets):
        return None

    def _loss(self, output, targets, sample_weight, lengths):
        if self.output == "last":
            return _losses.squared_error(output, targets, sample_weight)
        return _loss_over_valid_steps(
            _losses.squared_error, output, targets, sample_weight, lengths, self.network_.xp
        )

    def _check_validation_size(self, lengths, holds, remedy):
        """R² needs two target values: on one, every epoch would score NaN, and the fit
        would keep its starting weights after max_iter epochs."""
        n_values = int(lengths.sum()) if self.output == "sequence" else len(lengths)
        if n_values < 2:
            unit = "time step" if self.output == "sequence" else "sequence"
            raise ValueError(
                f"early stopping: {holds} {n_values} {unit}, and the validation score (R²) "
                f"needs at least 2 target values. {remedy}"
            )

    def _check_validation_targets(self, targets, lengths, sample_weight, holds, remedy):
        """R² of constant targets is 0 unless the predictions are exact, 1 then (scikit-learn's
        convention): it cannot rank the epochs, and early stopping would keep the first."""
        if self.output == "sequence":
            valid = _sequences.valid_steps(lengths, targets.shape[1])
            values, weights = targets[valid], _per_step(sample_weight, valid)
        else:
            values, weights = targets, sample_weight
        if weights is not None:
            values = values[weights > 0]
        if len(values) and np.all(np.ptp(values, axis=0) == 0):
            raise ValueError(
                f"early stopping: {holds} targets that are all equal, and the validation "
                "score (R²) is 0 on them unless a prediction is exact, so it cannot rank the "
                f"epochs. {remedy} Where y is constant throughout, there is nothing to "
                "validate: set early_stopping=False (the model then learns that value)."
            )

    def _validation_score(self, X, lengths, targets, sample_weight):
        # R² does not change when a target is standardised: these are the network's outputs
        # and the standardised targets.
        predictions = self._forward_all(X, lengths)
        if self.output == "sequence":
            valid = _sequences.valid_steps(lengths, predictions.shape[1])
            targets, predictions = targets[valid], predictions[valid]
            sample_weight = _per_step(sample_weight, valid)
        targets, predictions = _constant_targets_at_zero(targets, predictions)
        return r2_score(targets, predictions, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Predict the targets of each sequence, or of each of its time steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            The sequences, in any form :meth:`fit` accepts, with the number of features
            (or the token ids) the model was fitted with; any length.

        Returns
        -------
        y_pred : ndarray or list of ndarray
            float64 predictions in the shape of the training targets. With
            ``output="last"``, of shape (n_samples,) or (n_samples, n_targets). With
            ``output="sequence"``, of shape (n_samples, n_timesteps) or (n_samples,
            n_timesteps, n_targets) with NaN past each sequence's length, or, when X is a
            list, a list of arrays of shape (n_timesteps_i,) or (n_timesteps_i, n_targets).
        """
        if self.output == "sequence" and _sequences._is_list_of_sequences(X):
            return self._listed_step_rows(X, self._in_shape_of_y)
        outputs, lengths = self._predict_network(X)
        predictions = self._in_shape_of_y(outputs)
        if self.output == "last":
            return predictions
        return _per_step_result(predictions, X, lengths)

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of the predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or list of arrays
            Test sequences, in any form :meth:`fit` accepts.

        y : array-like
            True targets, in any form :meth:`fit` accepts.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence (of all its time steps for ``output="sequence"``).

        Returns
        -------
        score : float
            R² as :func:`sklearn.metrics.r2_score` computes it: over the sequences for
            ``output="last"`` (averaged uniformly over several targets), over all valid
            time steps for ``output="sequence"``.
        """
        if self.output == "last":
            return self._score_per_sequence(r2_score, X, y, sample_weight)
        # From predict, as scikit-learn's score is: a subclass's predict is what it scores.
        # Its rows (a list, or NaN past each length: the model's outputs are finite).
        predicted = self.predict(X)
        rows = (
            list(predicted)
            if isinstance(predicted, list)
            else _sequences.unpad(predicted, _lengths_before_nan(predicted))
        )
        lengths = np.array([len(row) for row in rows])
        targets = _sequences.to_padded_targets(y, lengths, dtype=np.float64)
        valid = _sequences.valid_steps(lengths, targets.shape[1])
        weights = self._check_sample_weight(sample_weight, len(lengths))
        predictions = np.concatenate(rows)
        if predictions.ndim == 1:
            predictions = predictions[:, np.newaxis]  # targets[valid] is (steps, n_targets)
        return r2_score(
            targets[valid],
            predictions,
            sample_weight=None if weights is None else np.repeat(weights, lengths),
        )

    def _in_shape_of_y(self, outputs):
        """The network's outputs as float64 predictions on the scale of y, in the shape of
        the training targets: no target axis where y had none."""
        predictions = outputs.astype(np.float64)
        if hasattr(self, "target_mean_"):
            predictions *= self.target_scale_
            predictions += self.target_mean_
        # y without a target axis: (n,) per sequence, (n, T) per step
        one_target = self._y_ndim == (1 if self.output == "last" else 2)
        return predictions[..., 0] if one_target else predictions


def _check_labels(labels, name):
    """``labels`` as a 1-D array of class labels, or a ValueError naming ``name``: not 1-D,
    missing (NaN, as pandas writes an empty cell of a column of strings), or not labels
    (scikit-learn's check_classification_targets: continuous values, say)."""
    # A set's or a dict's labels come in no order; NumPy reads one as a single object.
    labels = list(labels) if isinstance(labels, (Set, MappingView)) else labels
    array = _labels_keeping_nuls(labels)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array-like of class labels, got {type(labels).__name__} "
            f"of shape {array.shape}"
        )
    _refuse_unusable_labels(labels, name)
    # (A list as given: NumPy read 3 among strings as "3". Else as NumPy reads it: a
    # pandas Categorical's dtype says nothing of its labels' types.)
    _refuse_mixed_label_types([labels if isinstance(labels, (list, tuple)) else array], name)
    if name == "y":  # scikit-learn's own messages, as its classifiers give them
        check_classification_targets(array)
        return array
    kind = type_of_target(array, input_name=name)  # NaN: "Input classes contains NaN."
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: {name} must hold class labels, got {kind} values {array[:5]}"
        )
    return array


def _refuse_a_single_class(classes, given_as_classes=False):
    """Refuse fewer than 2 distinct ``classes``, learnt from the data or given as
    partial_fit's ``classes`` (one made a model that cannot learn, its loss 0 whatever the
    weights; audit39g), as SGDClassifier refuses them."""
    if len(classes) >= 2:
        return
    only = _as_shown(classes[:1])[0]
    raise ValueError(
        f"classes must name at least 2 classes, got only {only!r}"
        if given_as_classes
        else "GRUClassifier needs samples of at least 2 classes in the data, but the data "
        f"contains only one class: {only!r}"
    )


def _labels_keeping_nuls(labels):
    """``labels`` as NumPy reads them, but as objects where a string among a list's or a
    tuple's (nested ones too: a column ``[["a\\x00"], ["a"]]``) ends in a NUL character:
    NumPy's string arrays drop trailing NULs, and ``["a\\x00", "a"]`` made one class "a" (a
    one-class model from partial_fit's classes, silently; audit38d), where an array of
    objects keeps the two apart."""
    array = np.asarray(labels)
    if array.dtype.kind == "U" and _holds_string_ending_in_nul(labels):
        array = np.array(labels, dtype=object)
    return array


def _holds_string_ending_in_nul(labels):
    """Whether a list or tuple, or one nested in it, holds a string that ends in NUL."""
    if not isinstance(labels, (list, tuple)):
        return False
    return any(
        label.endswith("\x00") if isinstance(label, str) else _holds_string_ending_in_nul(label)
        for label in labels
    )


def _refuse_mixed_label_types(rows, name):
    """ValueError naming ``name`` where the labels of ``rows`` (containers of labels: one,
    or one per sequence) mix strings with other labels (``_are_strings``): in an object
    array they cannot be sorted into classes (NumPy's TypeError: '<' not supported between
    'int' and 'str'), and from a list NumPy reads them all as strings, a number 3 becoming
    a class "3" of its own beside "a". scikit-learn's unique_labels words it so."""
    if len(_are_strings(rows)) > 1:
        labels = np.concatenate([np.asarray(row, dtype=object).ravel() for row in rows])
        types = {type(label).__name__ for label in labels}
        raise ValueError(
            f"Mix of label input types (string and non-string): {name} holds labels of "
            f"types {', '.join(sorted(types))}; give every label one type (all strings, say)"
        )


def _are_strings(rows):
    """{True} where the labels of ``rows`` (containers of labels) are all strings, {False}
    where none is, both where they mix; an array of anything but objects is read from its
    dtype alone (a pass over a million labels as Python objects cost 70 ms), anything
    else label by label (nested lists too: a column of labels)."""
    kinds = set()
    for row in rows:
        if isinstance(row, np.ndarray) and row.dtype != object:
            if row.size:
                kinds.add(row.dtype.kind == "U")
        else:
            kinds.update(isinstance(label, str) for label in np.asarray(row, dtype=object).ravel())
    return kinds


def _is_bias(name):
    """Whether the weight array ``name`` of the network is a bias vector."""
    return name.endswith(("b_ih", "b_hh", "bias"))


def _asks_to_stop(callback, returned):
    """Whether a callback's return value asks to stop training, or a TypeError naming the
    callback where it has no truth value (NumPy's own error on an array named neither)."""
    try:
        # (an empty array is False, with a DeprecationWarning, before NumPy 2.2)
        if isinstance(returned, np.ndarray) and returned.size != 1:
            raise ValueError(f"an array of {returned.size} values")
        return bool(returned)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"callback {callback!r} returned {type(returned).__name__} {returned!r:.60}, "
            f"which is neither true nor false ({error}): a callback returns a true value to "
            "stop training and None or a false one to go on"
        ) from None


def _refuse_labels_per_step(y):
    """ValueError where ``y``, for a classifier with ``output="last"``, is a list (or object
    array) of label sequences: NumPy's own error on uneven ones ("setting an array element
    with a sequence") named neither y nor the remedy. A column of one-label rows is a
    column vector, as scikit-learn reads it; rows of equal length are left to
    ``column_or_1d``, whose error comes with hints of its own."""
    if not _sequences._is_list_of_sequences(y):
        return
    try:
        if np.asarray(y).dtype != object:
            return
    except ValueError:  # rows of different lengths
        pass
    first = next((i for i, labels in enumerate(y) if _several_labels(labels)), None)
    if first is None:
        return
    raise ValueError(
        f"y holds {np.size(y[first])} labels for a sequence (y[{first}]), not one."
        f"{_one_hot_hint(y)} A GRUClassifier with output='last' learns one label per "
        "sequence: for one per time step use output='sequence', and for several labels per "
        "sequence (multilabel) wrap it in sklearn.multioutput.MultiOutputClassifier, with y "
        "as a 2-D indicator array (sklearn.preprocessing.MultiLabelBinarizer makes one)."
    )


def _several_labels(labels):
    """Whether one entry of y holds more than one label (a string is one)."""
    return not isinstance(labels, (str, bytes)) and np.ndim(labels) > 0 and np.size(labels) != 1


def _refuse_unusable_labels(labels, name):
    """ValueError naming ``name`` where a class label is missing: NaN, None or pandas' NA
    (an empty cell of a column of strings). NumPy reads a list of strings and NaN as
    strings, "nan" among them, and sorting fails on None or NA with a TypeError of its own.
    A masked array's masked labels are missing too (np.asarray would drop the mask).
    Infinite and complex labels too, which scikit-learn refused without naming ``name``
    (printing the whole array for complex ones)."""
    if np.ma.is_masked(labels):
        raise ValueError(f"{name} has masked entries: missing class labels")
    array = np.asarray(labels)
    if array.dtype.kind in "Mm":
        if np.isnat(array).any():
            raise ValueError(f"{name} contains NaT: a missing class label")
        return
    if array.dtype.kind in "biufc":
        _refuse_unusable_numbers(array, name)
        values = array[np.isnan(array)] if array.dtype.kind == "f" else []
    else:  # each label as given (NumPy reads strings and NaN as strings), numbers among them
        values = np.asarray(labels, dtype=object).ravel()
        _refuse_unusable_numbers(
            np.array([label for label in values if isinstance(label, numbers.Number)]), name
        )
    for label in values:
        if _is_missing(label):
            shown = (
                "None" if label is None else "NA" if type(label).__name__ == "NAType" else "NaN"
            )
            raise ValueError(f"{name} contains {shown}: a missing class label")


def _refuse_unusable_numbers(array, name):
    """ValueError naming ``name`` where numeric class labels are complex or infinite."""
    if array.dtype.kind == "c":
        raise ValueError(
            f"{name} has complex values (dtype {array.dtype}): class labels must be real "
            "numbers or strings"
        )
    if array.dtype.kind == "f" and np.isinf(array).any():
        raise ValueError(f"{name} contains infinity: class labels must be finite")


def _as_shown(labels):
    """Labels as a list to print: NumPy's scalars as Python's values (NumPy 2 prints
    np.str_('down')), dates and durations as text (.item() makes nanoseconds integers)."""
    return [
        (str(label) if label.dtype.kind in "Mm" else label.item())
        if isinstance(label, np.generic)
        else label
        for label in labels
    ]


def _is_missing(label):
    """NaN, None or pandas' NA."""
    return (
        label is None
        or (isinstance(label, (float, np.floating)) and label != label)
        or type(label).__name__ == "NAType"
    )


def _constant_targets_at_zero(targets, predictions):
    """Standardised targets and predictions (n, k), both shifted so that each target
    column that is constant up to rounding is exactly 0, which R² does not see. A constant
    standardised (or one whose mean is not a float) leaves a variance of 1e-31 in
    scikit-learn's ``r2_score``, which made that column's R² -1e31 where a constant column
    scores 0 (1 where predicted exactly): early stopping ranked epochs by it alone."""
    spread = np.ptp(targets, axis=0)
    constant = spread <= 8 * np.finfo(targets.dtype).eps * np.abs(targets).max(axis=0)
    if not constant.any():
        return targets, predictions
    shift = np.where(constant, targets[0], 0).astype(targets.dtype)
    return targets - shift, predictions - shift


def _lengths_before_nan(padded):
    """Each row's number of steps before its first all-NaN step: the lengths of per-step
    predictions that ``_per_step_result`` padded with NaN."""
    nan_steps = np.isnan(padded.reshape(len(padded), padded.shape[1], -1)).all(axis=2)
    return np.where(nan_steps.any(axis=1), nan_steps.argmax(axis=1), padded.shape[1])


def _series_in_columns_hint(lengths, n_targets):
    """Where every sequence of X is as long as y has entries: a hint that a 2-D X holds a
    series per column (as a CSV file often does), which X.T makes a series per row."""
    if n_targets == len(lengths) or not np.all(lengths == n_targets):
        return ""
    return (
        f". X was read as {len(lengths)} sequences of {n_targets} steps; if each column of a "
        "2-D X is one series, pass X.T"
    )


def _real_targets(y, dtype, keep_precision=False):
    """y as an array of ``dtype`` (float64 where ``dtype`` would round its values, with
    ``keep_precision``); object arrays of numbers are converted, anything else that is
    not real numbers (strings, complex) is refused."""
    _sequences._reject_sparse(y, "y")  # (NumPy reads a sparse matrix as one object)
    targets = _sequences.from_nullable(y, np.asarray(y))  # pd.NA as NaN, refused as such
    why = ""
    if targets.dtype.kind == "O":
        try:
            targets = targets.astype(np.float64)
        except (TypeError, ValueError) as error:
            why = f" ({error})"  # which value: "could not convert string to float: 'n/a'"
    if targets.dtype.kind in "US":  # refused as scikit-learn's regressors refuse them
        why = (
            f" (strings such as {targets.flat[0]!r}: convert numbers given as text "
            "yourself, e.g. np.asarray(y, dtype=float))"
        )
    if targets.dtype.kind not in "biuf":
        raise ValueError(
            f"Unknown label type: a regressor's y must hold real numbers, got "
            f"dtype {targets.dtype}{why}"
        )
    if keep_precision:
        dtype = np.result_type(targets.dtype, dtype)
    with np.errstate(over="ignore"):  # the caller refuses what does not fit in dtype
        return targets.astype(dtype, copy=False)


def _read_scaling(arrays, prefix, size):
    """The checked ``{prefix}_mean_`` and ``{prefix}_scale_`` arrays of a restored state."""
    mean_name, scale_name = f"{prefix}_mean_", f"{prefix}_scale_"
    mean = read_array(arrays, mean_name, kinds="f", shape=(size,))
    scale = read_array(arrays, scale_name, kinds="f", shape=(size,))
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
        raise ValueError(f"{mean_name} and {scale_name} must be finite, the scale positive")
    return mean, scale


def _read_spread_floor(arrays, n_features):
    """The checked ``sequence_spread_floor_`` of a restored state: positive, finite."""
    floor = read_array(arrays, "sequence_spread_floor_", kinds="f", shape=(n_features,))
    if not (np.all(np.isfinite(floor)) and np.all(floor > 0)):
        raise ValueError("sequence_spread_floor_ must be finite and positive")
    return floor


def _read_linear_skip_alpha(state, linear_steps):
    """The linear skip's ridge penalty from a restored state: None, or a positive number
    for a network with a skip. Files written before format version 5 have none: their skip
    and head were penalised by alpha alone, which None keeps (and saves again)."""
    if "linear_skip_alpha_" not in state:
        return None
    alpha = read_float(state, "linear_skip_alpha_", allow_none=True)
    if alpha is None:
        return None
    if not linear_steps:
        raise ValueError(f"linear_skip_alpha_={alpha!r} given for a network without a linear skip")
    if not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"linear_skip_alpha_ must be a positive number, got {alpha!r}")
    return alpha


def _share_values(X, lengths, rows, pairs=64):
    """Whether consecutive sequences among ``rows`` (in that order) mostly hold the same
    values, as sliding windows of one series do: over up to ``pairs`` neighbouring pairs
    spread over them, the median share of a sequence's values (valid steps) found in the
    one before it is at least a half. Independent continuous sequences share none."""
    if len(rows) < 2:
        return False
    firsts = np.unique(np.linspace(0, len(rows) - 2, min(pairs, len(rows) - 1)).astype(int))
    shares = [
        np.isin(X[rows[i + 1], : lengths[rows[i + 1]]], X[rows[i], : lengths[rows[i]]]).mean()
        for i in firsts
    ]
    return bool(np.median(shares) >= 0.5)


def _lower_by_a_standard_error(errors, other_errors, weights):
    """Whether ``errors`` are lower than ``other_errors`` (paired, one per row) on the
    weighted mean by more than one standard error of the mean difference (weights as
    relative frequencies, of any scale)."""
    gain, weights = other_errors - errors, weights / weights.max()
    return bool(_weighted_mean(gain, weights) > _standard_error(gain, weights))


def _weighted_mean(values, weights):
    return values @ weights / weights.sum()


def _standard_error(values, weights):
    """The standard error of the weighted mean of ``values``, weights acting as relative
    frequencies: with Kish's effective sample size (sum w)^2 / sum w^2, which is the count
    for weights of 1 and does not change when every weight is scaled."""
    total = weights.sum()
    effective = total**2 / (weights @ weights)
    if effective <= 1:
        return np.inf
    variance = ((values - _weighted_mean(values, weights)) ** 2) @ weights / total
    return float(np.sqrt(variance / (effective - 1)))


def _read_target_reference(arrays, n_outputs):
    """The checked training targets' mean and spread of a restored state, or None where
    the file holds neither: the spread at least 0 (infinite for a constant target,
    ``_target_mean_and_spread``), the mean as it is, since it only moves a warning."""
    names = ("training_target_mean", "training_target_spread")
    if not any(name in arrays for name in names):
        return None
    mean, spread = (read_array(arrays, name, kinds="f", shape=(n_outputs,)) for name in names)
    if not (spread >= 0).all():
        raise ValueError(f"{names[1]} must be at least 0, got {spread.tolist()}")
    return mean.astype(np.float64), spread.astype(np.float64)


def _read_correction_alpha(state, linear_skip_alpha):
    """The penalty on the head's weights from a restored state: None with the linear
    skip's None, else a positive number. Files written before format version 10 have none:
    their head was held at the skip's penalty, which they keep."""
    if "correction_alpha_" not in state:
        return linear_skip_alpha
    alpha = read_float(state, "correction_alpha_", allow_none=True)
    if (alpha is None) != (linear_skip_alpha is None):
        raise ValueError(
            f"correction_alpha_={alpha!r} does not go with linear_skip_alpha_="
            f"{linear_skip_alpha!r}: both are None (no linear skip's penalty) or neither is"
        )
    if alpha is not None and not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"correction_alpha_ must be a positive number, got {alpha!r}")
    return alpha


def _one_hot_hint(y):
    """What to pass where y is one-hot encoded (Keras' to_categorical: every row one 1 and
    0s elsewhere), else ""."""
    with contextlib.suppress(TypeError, ValueError):
        rows = np.asarray(y)
        if (
            rows.dtype.kind in "biuf"
            and rows.ndim == 2
            and rows.shape[1] > 1
            and np.isin(rows, (0, 1)).all()
        ):
            if (rows.sum(axis=1) == 1).all():
                return (
                    " y looks one-hot encoded (one 1 per row, as Keras' to_categorical "
                    "gives): pass the labels, y.argmax(axis=1)."
                )
    return ""


def _of_positive_weight(train, sample_weight, estimator):
    """The training sequences ``train`` less those of weight 0, which are not there: they
    take no minibatch's place and no draw of the shuffle, warp or dropout, so the model is
    the one fitted without them at any batch_size. Refused where none is left."""
    if sample_weight is None:
        return train
    _refuse_no_weight_left_for_training(sample_weight[train], estimator)
    return train[sample_weight[train] > 0]


def _refuse_no_weight_left_for_training(sample_weight, estimator, remedy=""):
    """Refuse training sequences (those a validation split leaves, if any) that all weigh
    0, naming the estimator's weights (the regressor has no class_weight; audit39f) and
    ending with ``remedy``."""
    if sample_weight is not None and not sample_weight.any():
        raise ValueError(
            f"the weights ({_weights_named(estimator)}) are zero for every sequence to "
            f"train on (after any validation split): nothing to learn from; give some of "
            f"them weight{remedy}"
        )


def _longest_counted(lengths, sample_weight):
    """The longest of the sequences training counts, those of positive weight (a weight of
    0 acts as leaving a sequence out); of all, where none has one (such a fit is refused
    further on, by name)."""
    if sample_weight is not None and np.any(sample_weight > 0):
        lengths = lengths[sample_weight > 0]
    return int(lengths.max())


# The largest total weight training takes: sums over time steps (up to 1e8 steps) and the
# ridge's squares of the weighted inputs (whose squared singular values are about
# the total weight times the inputs' variance) stay far below float64's 1.8e308.
_MAX_TOTAL_WEIGHT = 1e200
# How messages name the penalties of _penalties_besides_alpha.
_PENALISED_NAMES = {
    "linear.weight": "on the linear skip's weights (linear_skip_alpha_)",
    "head.weight": "on the output weights (correction_alpha_)",
}
# How far below the largest gradient whose square the optimizer's moments take a
# penalty's gradient must stay, leaving room for the data's gradient beside it.
_GRADIENT_ROOM = 10.0


def _weights_named(estimator):
    """The parameters that weigh an estimator's sequences, as messages name them (the
    regressor has no class_weight; class weights alone made zeros a classifier's message
    blamed on sample_weight; audit39f, audit39g)."""
    return "sample_weight, class_weight" if is_classifier(estimator) else "sample_weight"


def _class_weight_names(sample_weight):
    """How messages name class weights, with the sample weights where there are some."""
    return "class_weight" + ("" if sample_weight is None else " and sample_weight")


def _class_and_sample_weights(class_weights, sample_weight, where=""):
    """Each sequence's (or step's) class weight times its sample weight (None: the class
    weights alone), refused by name, ``where`` added, if they sum beyond the limit."""
    product = class_weights
    if sample_weight is not None:
        with np.errstate(over="ignore"):  # refused below, by name
            product = class_weights * sample_weight
    _refuse_weights_too_large(product, _class_weight_names(sample_weight) + where)
    return product


def _refuse_weights_too_large(weights, name):
    """Refuse weights (``name``: the arguments they come from) whose sum is beyond
    ``_MAX_TOTAL_WEIGHT``: weights whose own sum is finite could still overflow the sums
    of the time steps' weights and the linear skip's ridge, which then silently gave
    another model (uniform weights of 1e307: training R² 0.87 where every smaller scale
    gave 1.0)."""
    with np.errstate(over="ignore"):  # refused below, by name
        total = float(np.sum(weights))
    if not total <= _MAX_TOTAL_WEIGHT:
        raise ValueError(
            f"{name} too large: the weights sum to {total:.3g} (the largest is "
            f"{np.max(weights):.3g}), more than {_MAX_TOTAL_WEIGHT:g}, beyond which sums "
            "over time steps and squares overflow float64. Divide all the weights by a "
            "common factor."
        )


def _refuse_weights_per_step(sample_weight, n_samples):
    """Refuse sample weights given per time step (rows of them, ragged or padded), which
    scikit-learn's check reported as "setting an array element with a sequence"."""
    try:
        weights = np.asarray(sample_weight)
    except ValueError:  # rows of different lengths
        weights = None
    if weights is None:
        given = "rows of different lengths"
    elif weights.ndim > 1:
        given = f"shape {weights.shape}"
    elif weights.dtype == object and any(np.ndim(weight) > 0 for weight in weights):
        given = "an array of arrays"
    else:
        return
    raise ValueError(
        f"sample_weight must hold one weight per sequence, shape ({n_samples},); got {given}: "
        "pygru has no weights per time step"
    )


def _constant_over_counted_steps(padded, lengths, sample_weight):
    """Which columns of ``padded`` (n, T, k) hold one value over the valid steps of the
    sequences their weights count (those of weight above 0; all without weights)."""
    counted = slice(None) if sample_weight is None else sample_weight > 0
    padded, lengths = padded[counted], lengths[counted]
    values = padded[_sequences.valid_steps(lengths, padded.shape[1])]
    return np.ptp(values, axis=0) == 0


def _labels_of_steps(targets, lengths, sample_weight=None):
    """The labels of the valid steps of per-step ``targets`` (n, T), in order, and each
    step's sequence weight (None without weights)."""
    valid = _sequences.valid_steps(lengths, targets.shape[1])
    return targets[valid], _per_step(sample_weight, valid)


def _per_unit_of_weight(terms, batch_weight):
    """The sum of ``terms`` each divided by ``batch_weight``, added in order."""
    loss = 0.0
    for term in terms:
        loss += term / batch_weight
    return loss


def _distinct_digits(a, b):
    """``a`` and ``b`` as strings, with 4 significant digits or as many more as tell them
    apart (4 where they are equal)."""
    if a == b:
        return f"{a:.4g}", f"{b:.4g}"
    for digits in range(4, 18):
        texts = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if texts[0] != texts[1]:
            break
    return texts


def _first_best_epoch(n_iter, validation_scores):
    """The epoch whose weights a model saved before ``best_epoch_`` existed holds: the first
    best of its validation scores (the last ``len(validation_scores)`` of its ``n_iter``
    epochs), 0 if none was finite, and the last epoch without validation scores."""
    if not validation_scores:
        return n_iter
    scores = np.nan_to_num(np.asarray(validation_scores, dtype=float), nan=-np.inf)
    if not np.isfinite(scores.max()):
        return 0
    return max(0, n_iter - len(scores)) + int(np.argmax(scores)) + 1


def _loss_over_valid_steps(
    loss_function, output, targets, sample_weight, lengths, xp, class_weights=None
):
    """``loss_function`` over the valid time steps of per-step ``output`` (n, T, k), each
    step weighted by its sequence's weight; the gradient is zero at padded steps. With
    ``class_weights`` (``(weight of each class, mean weight of a training step)``), each
    step's weight is multiplied by its class's, and the loss, a weighted mean over the
    batch's steps, by the batch's mean class weight over the training steps' mean (steps
    of weight 0 left out of both): a batch counts by the class weight it holds, as its
    copies would. ``(None, None)`` where every step weighs 0: the batch has nothing to
    learn from."""
    valid = xp.asarray(_sequences.valid_steps(lengths, output.shape[1]))
    step_targets = targets[valid]
    weights = _per_step(sample_weight, valid, xp)
    share = 1.0
    if class_weights is not None:
        of_each_class, mean = class_weights
        base = xp.ones(len(step_targets), dtype=output.dtype) if weights is None else weights
        weights = base * xp.asarray(of_each_class, dtype=output.dtype)[step_targets]
        total = float(weights.sum())
        if total == 0:  # every step of the batch weighs 0: it is left out, as the batches
            return None, None  # whose sequences all weigh 0 are
        # The steps a weight of 0 leaves out count neither here nor in the mean.
        share = total / (float(base[weights > 0].sum()) * mean)
    loss, d_valid = loss_function(output[valid], step_targets, weights)
    if share != 1.0:
        d_valid *= share  # the loss function's own array, scaled in place
    d_output = xp.zeros_like(output)
    d_output[valid] = d_valid
    return loss * share, d_output


def _rows_of(X, rows):
    """``X[rows]``: a view where the positions ``rows`` follow each other."""
    if np.all(np.diff(rows) == 1):
        return X[rows[0] : rows[-1] + 1]
    return X[rows]


def _weights_as_classes(classes, y):
    """Whether ``classes`` looks like sample weights given in its place: one value per
    sequence, some repeated (a list of classes names each once), and not y itself (which
    ``classes=y`` names, repeats and all)."""
    unsized = getattr(y, "ndim", 1) == 0  # a 0-d array has __len__, but no length
    if classes is None or not hasattr(y, "__len__") or isinstance(y, str) or unsized:
        return False  # what is wrong with y, its own check says
    if np.ndim(classes) != 1 or len(classes) != len(y):
        return False
    values = np.asarray(classes)
    if values.dtype.kind not in "biuf":  # weights are numbers; labels may be strings
        return False
    with contextlib.suppress(ValueError):  # per-step labels: y is not one array
        if np.array_equal(values, np.ravel(np.asarray(y))):  # y of shape (n, 1) too
            return False
    return len(np.unique(values)) < len(values)


class _Minibatch(NamedTuple):
    """One minibatch as ``BaseGRU._minibatches`` yields it."""

    X: object  # on the device, cut to its own longest sequence (token ids: (n, longest))
    lengths: np.ndarray
    targets: object  # on the device, cut alike for per-step targets
    weights: object  # the sequences' weights on the device, or None
    share: float  # its total weight over its size in weight
    size_in_weight: float
    counted: int  # the sequences a weight of 0 does not leave out


def _probabilities(logits):
    # float64 as scikit-learn's classifiers, computed from the logits in float64.
    return _losses.softmax(logits.astype(np.float64))


def _log_probabilities(logits):
    return _losses.log_softmax(logits.astype(np.float64))


def _per_step_result(values, X, lengths):
    """Float per-step ``values`` (n, T, ...) of an array X (a list's rows are cut group by
    group, :meth:`BaseGRU._listed_step_rows`) as ``predict`` returns them: as long in time
    as X, NaN past each length (the network reads X only up to its longest sequence)."""
    steps_cut = np.shape(X)[1] - values.shape[1]
    if steps_cut:
        widths = [(0, 0), (0, steps_cut)] + [(0, 0)] * (values.ndim - 2)
        values = np.pad(values, widths, constant_values=np.nan)
    values[~_sequences.valid_steps(lengths, values.shape[1])] = np.nan
    return values


def _nan_padded_steps(gates, n_steps):
    """Each array of ``gates`` (n, T, units) padded with NaN to ``n_steps`` steps."""
    return {
        name: np.pad(
            values, [(0, 0), (0, n_steps - values.shape[1]), (0, 0)], constant_values=np.nan
        )
        for name, values in gates.items()
    }


def _own_rows(padded, lengths):
    """Each sequence's valid steps of ``padded`` as an array of its own: views would keep
    the whole padded block alive (400 MiB behind 8 MiB of probabilities, for one long
    sequence among short ones)."""
    return [row.copy() for row in _sequences.unpad(padded, lengths)]


def _label_axis_hint(shape, per_row):
    """A hint for labels per step given with a trailing axis (of a list's rows, or of a
    padded array): a column of labels, as Keras' sparse labels have it, or one-hot rows."""
    if len(shape) < 2 or shape[-1] < 1:
        return ""
    change = "[..., 0]" if shape[-1] == 1 else ".argmax(axis=-1)"
    remedy = f"[row{change} for row in y]" if per_row else f"y{change}"
    if shape[-1] == 1:
        return f": drop the trailing axis, {remedy}"
    return f"; if the last axis is one-hot, pass the labels, {remedy}"


# Why a document's token ids and its labels per token may differ in number.
_TAGGING_HINT = (
    ". With token ids from pygru.text.TokenSequencer, a document longer than its max_len_ "
    "is cut, and one without tokens is a single OOV step (see TokenSequencer's Notes on "
    "tagging)"
)


def _sequence_labels(y, lengths, token_ids=False):
    """Each sequence's labels, one per time step: a list of 1-D arrays of ``lengths[i]``
    labels, from a list of 1-D arrays of exactly those lengths or from a 2-D array whose
    entries past each sequence's length are ignored (padding, of any value). With
    ``token_ids`` (an embedding model) a length that does not match names the causes a
    TokenSequencer brings."""
    if _sequences._is_list_of_sequences(y):
        for row in y:  # before NumPy reads NaN among strings as "nan"
            _refuse_unusable_labels(row, "y")
        _refuse_mixed_label_types(y, "y")  # ... or 3 among strings, in a row or across rows
        rows, padded = [_labels_keeping_nuls(row) for row in y], False
        shape = (len(rows),) if all(row.ndim == 0 for row in rows) else None
    else:
        rows, padded = np.asarray(y), True
        shape = rows.shape if rows.ndim != 2 else None
    if shape is not None:
        raise ValueError(
            "y must hold one label per time step with output='sequence': a list of 1-D "
            f"arrays or a 2-D array (n_samples, n_timesteps), got shape {shape}"
            + _label_axis_hint(shape, per_row=False)
        )
    if len(rows) != len(lengths):
        raise ValueError(f"X has {len(lengths)} sequences but y has {len(rows)} label sequences")
    for index, (row, length) in enumerate(zip(rows, lengths)):
        if np.ndim(row) != 1:
            raise ValueError(
                f"y[{index}] has shape {np.shape(row)}: each sequence's labels must be 1-D, "
                "one label per time step" + _label_axis_hint(np.shape(row), per_row=True)
            )
        if len(row) < length if padded else len(row) != length:
            raise ValueError(
                f"y[{index}] has shape {np.shape(row)}, but sequence {index} of X has "
                f"{length} time steps: give one label per time step"
                + (_TAGGING_HINT if token_ids else "")
            )
    if padded and np.ma.is_masked(y):  # np.asarray dropped the mask
        # Masked past a sequence's length is padding; within it, a missing label.
        if np.ma.getmaskarray(y)[_sequences.valid_steps(lengths, rows.shape[1])].any():
            raise ValueError("y has masked entries within the sequences: missing class labels")
    labels = [row[:length] for row, length in zip(rows, lengths)]
    if padded:  # within the lengths, NaN or None is a missing label, not padding
        for row in labels:
            _refuse_unusable_labels(row, "y")
    if (
        padded
        and rows.dtype == object
        and not any(isinstance(v, str) for v in np.concatenate(labels))
    ):
        # Padding (None, pandas' NA) made an array of numbers an object array, which
        # scikit-learn cannot type; the labels within the lengths are numbers again.
        labels = [np.array(row.tolist()) for row in labels]
    elif padded and rows.dtype.kind == "f" and np.isnan(rows).any():
        # NaN padding made integer labels floats: within the lengths they are integers
        # again, as the same labels given as a list of arrays are
        values = np.concatenate(labels)
        if np.all(np.isfinite(values) & (values == np.round(values)) & (abs(values) < 2**53)):
            labels = [row.astype(np.int64) for row in labels]
    return labels


def _per_step(sample_weight, valid, xp=np):
    """Each sequence's weight repeated for its valid time steps (``valid`` a boolean mask of
    shape (n_samples, n_timesteps)), in the order ``array[valid]`` takes them; None stays."""
    if sample_weight is None:
        return None
    return xp.broadcast_to(sample_weight[:, None], valid.shape)[valid]


def _farthest_from_training(mean, trained_mean, trained_scale):
    """(column, distance) of the column of validation data whose ``mean`` lies farthest
    from the training data's, in the training data's scales, where that is more than
    ``_FAR_FROM_TRAINING`` of them; else None."""
    with np.errstate(invalid="ignore"):  # (inf - inf, or by an infinite scale: not far)
        distance = np.nan_to_num(np.abs(mean - trained_mean) / trained_scale, posinf=np.inf)
    column = int(np.argmax(distance))
    return (column, float(distance[column])) if distance[column] > _FAR_FROM_TRAINING else None


def _target_mean_and_spread(targets, lengths, weights):
    """Each target's weighted mean and spread over the valid steps, as the y_val check
    compares them (an infinite spread where a target is constant: no distance from it is
    far); None where no step weighs anything (refused by name later). Each target is
    divided by a power of two near its largest magnitude first (exact, as
    ``_sequences.sequence_moments`` does): targets of 1e-170 squared to 0, and a y_val
    drawn like them was called infinitely far (review38c); those of 1e200 overflowed."""
    steps, step_lengths = _as_target_steps(targets, lengths)
    valid = _sequences.valid_steps(step_lengths, steps.shape[1])
    step_weights = _per_step(np.ones(len(steps)) if weights is None else weights, valid)
    if not step_weights.sum() > 0:
        return None
    values = steps[valid].astype(np.float64)
    unit = _sequences.power_of_two_at_most(np.abs(values).max(axis=0, initial=0.0))
    scaled = values / unit
    mean = np.average(scaled, axis=0, weights=step_weights)
    spread = np.sqrt(np.average(np.square(scaled - mean), axis=0, weights=step_weights))
    counted = values[step_weights > 0]
    varies = counted.min(axis=0) < counted.max(axis=0)  # (a mean of copies rounds)
    return mean * unit, np.where(varies, spread * unit, np.inf)


def _as_target_steps(targets, lengths):
    """Prepared targets as (n, T, k) steps and their lengths: one row per sequence (n, k) is
    a sequence of one step."""
    if targets.ndim == 2:
        return targets[:, None, :], np.ones_like(lengths)
    return targets, lengths


def _skip_penalties(total_weight):
    """The ridge penalties the linear skip's leave-one-out chooses among (inputs of unit
    variance): ``_LINEAR_SKIP_ALPHAS``, moved up where the sequences' total weight (weights
    act as repetitions) is above a tenth of its strongest, so that the strongest is ten
    times that weight and shrinks the fit to under a tenth, as the warning of a ridge
    without linear signal says. Uniform weights of 1e9 made 1e6 the choice, a weak penalty
    against a total weight of 1e11, and the fit warned of a model with R² 0.998
    (audit38a); a cut of that warning by the total weight silenced it on noise past
    100,000 sequences, and continuing the grid by half decades made 415 penalties near
    the largest total weight, ten times leave-one-out's time and memory (review38,
    review38b). Unchanged up to a total weight of 1e5."""
    return _LINEAR_SKIP_ALPHAS * max(1.0, 10 * total_weight / _LINEAR_SKIP_ALPHAS[-1])


def _mean_feature_variance(window, sample_weight):
    """The weighted variance of the columns of ``window`` (n, features), averaged over them:
    the scale by which unstandardised inputs move the ridge penalties that suit standardised
    ones (1 for a constant window, which no penalty changes)."""
    weights = np.ones(len(window)) if sample_weight is None else sample_weight
    mean = weights @ window / weights.sum()
    variance = float(np.mean(weights @ (window - mean) ** 2 / weights.sum()))
    return variance if variance > 0 else 1.0


def _has_target_axis(y):
    """Whether sequence targets carry a last axis of k targets: (n, T, k) or (T_i, k) items."""
    if _sequences._is_list_of_sequences(y):  # a list, or a Series or 1-D array of objects
        return np.ndim(next(iter(y), None)) == 2
    return np.ndim(y) == 3


def _refuse_rows_no_id_reaches(vocabulary_size):
    """Refuse an embedding table of more rows than token ids may have: a table of 2**25
    rows trained for 11 s, its rows past 2**24 never read (audit40e). Checked for an
    unfitted model's settings (as a panel is made) and where a fit makes the table (a
    fitted model's too); not a parameter constraint: a file saved with such a table loads
    (review40)."""
    if vocabulary_size > _sequences.MAX_TOKEN_ID + 1:
        raise ValueError(
            f"vocabulary_size={vocabulary_size} sizes an embedding table past the largest "
            f"token id allowed, {_sequences.MAX_TOKEN_ID}: at most "
            f"{_sequences.MAX_TOKEN_ID + 1} rows can be read (map tokens to compact ids, "
            "e.g. with pygru.text.TokenSequencer)"
        )


# What a loaded model's generator was seeded by when its file says the next training call
# reseeds: no random_state is the same seed as it.
_SEEDED_BY_ANOTHER = object()


def _same_seed(random_state, other):
    """Whether two ``random_state`` values are the same seed: equal ints, or one object."""
    if isinstance(random_state, numbers.Integral) and isinstance(other, numbers.Integral):
        return int(random_state) == int(other)
    return random_state is other


def _make_rng(random_state):
    """A numpy Generator seeded from an int, or drawn from a RandomState: the one given, or
    for None NumPy's global one, as scikit-learn's estimators draw (np.random.seed then
    reproduces a fit)."""
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(check_random_state(random_state).randint(2**31))
    return np.random.default_rng(random_state)


def _as_callback_list(callbacks):
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(f"callbacks must be callables, got {callback!r}")
    return list(callbacks)


class _NoProgress:
    def update(self, n):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def _progress_bar(epochs, verbose):
    if not verbose or sys.stderr is None:  # pythonw and some services have no stderr
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(total=epochs, unit="epoch", desc="fit")


def _postfix(record):
    postfix = {"loss": f"{record['loss']:.4g}"}
    if record["validation_score"] is not None:
        postfix["val"] = f"{record['validation_score']:.4g}"
    return postfix
