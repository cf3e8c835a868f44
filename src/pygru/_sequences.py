"""Input handling: sequences in every accepted form become one padded array and their lengths.

The kernels read a batch of sequences as one C-contiguous array ``(n_samples, n_timesteps,
n_features)`` plus an int64 array ``lengths``; past its length a sequence is padding, which the
kernels skip (docs/design.md §1). This module turns what users pass into that form and checks it.

Sequences of real numbers (:func:`to_padded`, :func:`to_padded_targets`) may be given as

- a 3-D array ``(n_samples, n_timesteps, n_features)``;
- a 2-D array ``(n_samples, n_timesteps)``: one univariate sequence per row;
- a list or tuple (or 1-D object array) of sequences of different lengths, each 2-D
  ``(n_timesteps_i, n_features)`` or 1-D ``(n_timesteps_i,)``.

In arrays, shorter sequences end with padding time steps that are NaN in every feature; list
items may end with such steps too (a masked array's masked values are NaN). Any other NaN, and
any inf, is an error. The padded result has the length of the longest sequence and zeros in the
padding, so every form of the same data gives the same ``(padded, lengths)``.

Token sequences (:func:`to_padded_tokens`) are non-negative integer ids where 0 is reserved for
padding, as Keras' ``mask_zero=True``.
"""

import sys

import numpy as np
from scipy import sparse

from pygru import _arrays
from pygru._warnings import warn

# Token ids index an embedding table with one row per id: larger ids are a mistake (and
# ids beyond int64 would wrap around).
MAX_TOKEN_ID = 2**24 - 1
# Size of the float64 temporaries made while standardising, per block of sequences.
_BLOCK_BYTES = 2**22
# A sequence whose spread is below this share of a typical sequence's in every feature is
# faint: the standardisation over all the data leaves it nearly constant.
_FAINT_SPREAD = 0.05


def to_padded(X, dtype=np.float32, name="X", keep_precision=False):
    """Check sequences of real numbers and pad them into one array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps, n_features) or (n_samples, n_timesteps),\
            or list of array-like of shape (n_timesteps_i, n_features) or (n_timesteps_i,)
        The sequences; see the module docstring for the accepted forms. Integer and
        floating-point values are accepted; trailing all-NaN time steps mark padding.

    dtype : floating-point dtype, default=np.float32
        Dtype of the padded array.

    name : str, default="X"
        Name of the argument, used in error messages.

    keep_precision : bool or "always", default=False
        Pad in float64 instead of ``dtype`` where rounding ``X``'s own values (float64, or
        integers of more than 16 bits) to ``dtype`` would blur a feature: where its
        magnitude is so large against its range (a timestamp, a coordinate) that
        ``dtype``'s rounding error exceeds 1e-6 of the range. Statistics and
        standardisation then see the values exactly before they are cast. Elsewhere the
        padded copy stays as small as ``dtype`` makes it. ``"always"`` pads in float64
        whenever some value may not be exact in ``dtype``, whatever the range: each value
        then reaches the standardisation exactly, so that what it becomes never depends on
        the other sequences of ``X`` (prediction), where ``True`` decides from the range of
        all of them (fit).

    Returns
    -------
    padded : ndarray of shape (n_samples, max(lengths), n_features)
        C-contiguous, of ``dtype`` (or float64, see ``keep_precision``), zero past each
        sequence's length. May be ``X`` itself when ``X`` is already such an array without
        padding.

    lengths : ndarray of shape (n_samples,), dtype=int64
        Number of time steps of each sequence, >= 1.

    Examples
    --------
    >>> padded, lengths = to_padded([[1, 2, 3], [4.0]])
    >>> padded[..., 0]
    array([[1., 2., 3.],
           [4., 0., 0.]], dtype=float32)
    >>> lengths
    array([3, 1])
    """
    dtype = _check_float_dtype(dtype)
    _reject_sparse(X, name)
    _check_levels(X, name)
    return _padded(X, dtype, name, keep_precision)


def padded_exactly(X, dtype):
    """``to_padded(X, dtype, keep_precision="always")[0]``, for X that ``to_padded`` has
    already checked and warned of (not again: silencing the warning with catch_warnings
    silenced every thread's, audit40a): every value as it is, float64 where ``dtype`` would
    round some."""
    return _padded(X, _check_float_dtype(dtype), "X", keep_precision="always")[0]


def _padded(X, dtype, name, keep_precision):
    if _is_list_of_sequences(X):
        return _pad_list(X, dtype, name, keep_precision)
    return _pad_array(X, dtype, name, keep_precision)


def to_padded_tokens(X, name="X"):
    """Check sequences of integer token ids and pad them into one array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps) or list of array-like of shape\
            (n_timesteps_i,)
        Non-negative integer token ids (floats are accepted when they hold whole numbers).
        Id 0 is padding: in an array, shorter sequences end with zeros; list items may too.
        A 0 before a sequence's last non-zero id is an error.

    name : str, default="X"
        Name of the argument, used in error messages.

    Returns
    -------
    ids : ndarray of shape (n_samples, max(lengths)), dtype=int64
        C-contiguous token ids, 0 past each sequence's length.

    lengths : ndarray of shape (n_samples,), dtype=int64
        Number of tokens of each sequence, >= 1.

    Examples
    --------
    >>> ids, lengths = to_padded_tokens([[5, 2], [7, 1, 3]])
    >>> ids
    array([[5, 2, 0],
           [7, 1, 3]])
    >>> lengths
    array([2, 3])
    """
    _reject_sparse(X, name)
    _check_levels(X, name, tokens=True)
    if _is_list_of_sequences(X):
        _check_has_samples(len(X), name, f"an empty {type(X).__name__}")
        ids = padded_token_rows(X, name)
    else:
        ids = _as_token_ids(X, name, 2)
        _check_has_samples(ids.shape[0], name, f"shape={ids.shape}")
    lengths = _token_lengths(ids, name)
    return np.ascontiguousarray(ids[:, : lengths.max()]), lengths


def to_padded_targets(y, lengths, dtype, name="y", keep_precision=False):
    """Check per-time-step targets (many-to-many regression) against the input's lengths.

    Parameters
    ----------
    y : array-like of shape (n_samples, n_timesteps, n_targets) or (n_samples, n_timesteps),\
            or list of array-like of shape (n_timesteps_i, n_targets) or (n_timesteps_i,)
        One row of targets per input time step, in any form :func:`to_padded` accepts; the
        ``i``-th sequence must have ``lengths[i]`` time steps.

    lengths : ndarray of shape (n_samples,)
        Lengths of the input sequences, as returned by :func:`to_padded`.

    dtype : floating-point dtype
        Dtype of the padded targets.

    name : str, default="y"
        Name of the argument, used in error messages.

    keep_precision : bool, default=False
        As for :func:`to_padded`: float64 where ``dtype`` would round ``y``'s values.

    Returns
    -------
    padded : ndarray of shape (n_samples, max(lengths), n_targets)
        C-contiguous targets of ``dtype`` (or float64, see ``keep_precision``), zero past
        each sequence's length.

    Examples
    --------
    >>> import numpy as np
    >>> padded = to_padded_targets([[0.5, 1.5], [2.5]], np.array([2, 1]), np.float64)
    >>> padded.shape
    (2, 2, 1)
    """
    if not _is_list_of_sequences(y) and np.ndim(y) == 1:
        raise ValueError(
            f"{name} must hold one row of targets per input time step, shape (n_samples, "
            f"n_timesteps[, n_targets]) or a list of sequences, got a 1-D array of shape "
            f"{np.shape(y)}; one target per sequence is what output='last' learns."
        )
    if not _is_list_of_sequences(y) and (np.ndim(y) > 3 or np.shape(y)[2:] == (0,)):
        # (to_padded's own words would describe X: "n_features", "0 feature(s)")
        raise ValueError(
            f"{name} must hold one row of targets per input time step, shape (n_samples, "
            f"n_timesteps[, n_targets]) with n_targets >= 1 or a list of sequences, got "
            f"shape {np.shape(y)}."
        )
    padded, target_lengths = to_padded(y, dtype=dtype, name=name, keep_precision=keep_precision)
    if target_lengths.shape != np.shape(lengths):
        raise ValueError(
            f"{name} has {len(target_lengths)} sequences but X has {len(lengths)}; "
            "expected one target sequence per input sequence."
        )
    mismatched = np.flatnonzero(target_lengths != lengths)
    if mismatched.size:
        index = mismatched[0]
        missing_at_the_end = (
            f" A target sequence ends at its last step that is not NaN in every target: "
            f"{name}[{index}] may miss its last {lengths[index] - target_lengths[index]} "
            "target(s), which then read as padding; fill them or leave the sequence out."
            if target_lengths[index] < lengths[index]
            else f" If input sequence {index} ends in time steps that are NaN in every "
            "feature (a sensor dropout, say), they read as padding, also to "
            "SequenceImputer: cut its targets to match, or fill those steps yourself."
        )
        raise ValueError(
            f"{name}[{index}] has {target_lengths[index]} time steps but input sequence "
            f"{index} has {lengths[index]}; expected one row of targets per input time step "
            "(pad shorter sequences with trailing NaN in both, or pass lists)."
            + missing_at_the_end
        )
    return padded


def unpad(padded, lengths):
    """Split a padded array back into one array per sequence, without the padding.

    Parameters
    ----------
    padded : ndarray of shape (n_samples, n_timesteps, ...)
        Padded sequences, e.g. per-time-step predictions.

    lengths : ndarray of shape (n_samples,)
        Number of time steps of each sequence.

    Returns
    -------
    sequences : list of ndarray
        ``sequences[i]`` is the view ``padded[i, :lengths[i]]``.

    Examples
    --------
    >>> import numpy as np
    >>> [sequence.tolist() for sequence in unpad(np.arange(6).reshape(2, 3), [1, 3])]
    [[0], [3, 4, 5]]
    """
    lengths = np.asarray(lengths)
    if np.ndim(padded) < 2 or lengths.shape != (len(padded),):
        raise ValueError(
            "unpad needs padded of shape (n_samples, n_timesteps, ...) and lengths of shape "
            f"(n_samples,), got shapes {np.shape(padded)} and {lengths.shape}."
        )
    if lengths.dtype.kind not in "iu" or ((lengths < 0) | (lengths > padded.shape[1])).any():
        raise ValueError(
            f"lengths must be integers in [0, {padded.shape[1]}] (the padded length), "
            f"got {lengths}."
        )
    return [sequence[:length] for sequence, length in zip(padded, lengths)]


def check_n_features(X, padded, n_features, owner, name="X"):
    """Raise a ValueError unless ``padded`` (X as read) has ``n_features`` features per time
    step, as the ``owner`` (a class name) was fitted with, calling X ``name``; it says so
    when X looks like one
    sequence passed where a batch is expected, or sequences of as many time steps as it
    expects features, transposed (channels first).

    Examples
    --------
    >>> check_n_features(np.zeros((9, 3)), np.zeros((9, 3, 1)), 3, "GRUClassifier")
    Traceback (most recent call last):
    ...
    ValueError: X has 1 features per time step, ... pass a batch of one, X[np.newaxis] (or [X])
    """
    if padded.shape[2] != n_features:
        hint = _single_sequence_hint(X, n_features)
        if not hint and padded.shape[1] == n_features:
            hint = "." + _CHANNELS_FIRST_HINT
        raise ValueError(
            f"{name} has {padded.shape[2]} features per time step, but {owner} is expecting "
            f"{n_features} features as input{hint}"
        )


# aeon's and sktime's 3-D layout is (n_cases, n_channels, n_timepoints), pygru's the transpose.
_CHANNELS_FIRST_HINT = (
    " If each sequence is (n_channels, n_timepoints), as in aeon's and sktime's layout, "
    "transpose it: X.transpose(0, 2, 1) for an array, [x.T for x in X] for a list."
)


def warn_if_channels_first(padded, lengths):
    """Warn when X, as read (``padded``, ``lengths``), reads more naturally as channels first
    (aeon's and sktime's (n_cases, n_channels, n_timepoints)) than in pygru's layout: every
    sequence one time step of several features, or sequences of one length with at least
    ten times as many features as steps, along which each sequence runs smoothly (lag-1
    autocorrelation above 0.5, cells centred over the samples and rows on their own), as a
    series does along time. A warning, not an error, worded as a possibility: windows of
    one step (``make_windows(series, lookback=1)``) are read right as they are, and so are
    a few steps of ordered bins (a spectrum, a histogram, hours of a day), which also run
    smoothly along their features: the ratio of ten leaves such data alone (2-8 features
    per step in the reviews' examples). It catches aeon's sets of few channels and long
    series (BasicMotions 6 x 100, Epilepsy 3 x 206), not those of many channels or short
    series (NATOPS 24 x 51, Heartbeat 61 x 405), where the documented layout and
    predict's transpose hint must do. Rows that do not vary (an idle channel) and the
    values' magnitude do not dilute the measure."""
    n_steps, n_features = padded.shape[1:]
    if n_features == 1:
        return
    if lengths.max() == 1:
        warn(
            f"Every sequence of X has one time step of {n_features} features, so the GRU "
            "reads each as a single vector (windows of one step, make_windows(series, "
            "lookback=1), are meant so: a longer lookback gives it a sequence to read)."
            + _CHANNELS_FIRST_HINT,
            UserWarning,
        )
        return
    if n_features < 10 * n_steps or (lengths < n_steps).any() or len(padded) < 2:
        return
    # A few hundred sequences show the layout (finite values only); fewer of wide ones, so
    # that their float64 copy stays near _BLOCK_BYTES (with the temporaries of its measure,
    # 256 sequences of 100 steps of 2,000 features took 2.3 GB for this warning alone).
    shown = min(256, max(16, _BLOCK_BYTES // (8 * n_steps * n_features)))
    with np.errstate(all="ignore"):
        smoothness = _lag_one_autocorrelation(padded[:shown].astype(np.float64))
    if smoothness > 0.5:
        warn(
            f"Every sequence of X has {n_steps} time steps of {n_features} features, and "
            f"runs smoothly along its features (lag-1 autocorrelation {smoothness:.2f}), as "
            "a series does along time: X may be laid out channels first."
            + _CHANNELS_FIRST_HINT
            + " If the features are ordered bins (a spectrum, say), X is right as it is.",
            UserWarning,
        )


def _lag_one_autocorrelation(values):
    """The mean lag-1 autocorrelation along the last axis of a 3-D array (samples, rows,
    positions), over the rows that vary: each cell centred over the samples (what varies
    from sample to sample, not the positions' own means), then each row centred and scaled
    on its own (the values first divided by their largest magnitude, so that none
    overflows)."""
    largest = np.abs(values).max()
    scaled = values / largest if np.isfinite(largest) and largest > 0 else values
    varying = scaled - scaled.mean(axis=0)
    rows = varying - varying.mean(axis=2, keepdims=True)
    spread = rows.std(axis=2)
    if not (spread > 0).any():
        return 0.0
    rows = rows[spread > 0] / spread[spread > 0][:, np.newaxis]
    correlation = float(np.mean(rows[:, :-1] * rows[:, 1:]))
    return correlation if np.isfinite(correlation) else 0.0


def warn_if_one_univariate_sequence(X, n_features):
    """Warn when X, a 2-D array of shape (n, 1) given to a univariate model, is read as n
    sequences of one time step each: more likely it is one sequence of n time steps without
    its batch axis (a valid but unusual input, so a warning rather than an error)."""
    shape = getattr(X, "shape", None)
    is_column = shape is not None and len(shape) == 2 and shape[1] == 1
    if n_features == 1 and is_column and shape[0] > 1:
        warn(
            f"X has shape {tuple(shape)} and is read as {shape[0]} sequences of one time "
            f"step each. If it is one sequence of {shape[0]} time steps, pass a batch of "
            "one, X[np.newaxis] (or [X]).",
            UserWarning,
        )


def valid_steps(lengths, n_timesteps):
    """Boolean mask (n_samples, n_timesteps): True where a time step is within its sequence."""
    return _arrays.valid_steps(np, np.asarray(lengths), n_timesteps)


def median_step_correlation(padded, lengths, sample_weight=None):
    """The median, over sequences and features, of the correlation between each valid
    time step and the next (lag-1 autocorrelation): near 1 for series that change
    smoothly from step to step, near 0 or below for ones that jump. Sequences of fewer
    than four steps do not count, nor do those of weight 0 (``sample_weight``, where a
    weight of k counts as k copies); NaN when no sequence counts or varies. Every sequence
    is read (a stride through them would follow data recorded in a repeating order).

    Examples
    --------
    >>> t = np.arange(500.0)
    >>> X = np.stack([np.sin(t / 5), np.random.default_rng(0).standard_normal(500)], axis=1)
    >>> [round(median_step_correlation(X[None, :, [f]], np.array([500])), 2) for f in (0, 1)]
    [0.98, -0.02]
    """
    lengths, weights = np.asarray(lengths), _sequence_weights(sample_weight, padded)
    # Block by block: the float64 temporaries of 1,000 long sequences at once took 10
    # times the training data (768 MB for 76 MB of float32).
    blocks = [
        _step_correlations(padded[block, :longest], lengths[block])
        for block, longest in _blocks_to_their_longest(padded, lengths)
    ]
    if not blocks:  # no sequence
        return np.nan
    correlation, count, spread = (np.concatenate(parts) for parts in zip(*blocks))
    # Three pairs at least: two always correlate perfectly, and the warp needs four steps
    varies = (count >= 3) & (spread > 0) & (weights[:, np.newaxis] > 0)
    if not varies.any():
        return np.nan
    weights = np.broadcast_to(weights[:, np.newaxis], varies.shape)
    return weighted_median(correlation[varies], weights[varies])


def _step_correlations(values, lengths):
    """(correlation, pairs, spread) per sequence and feature of ``values``: the lag-1
    correlation over each sequence's valid steps, the number of step pairs it has, and the
    product of the two series' spreads (0: one of them is constant)."""
    values = np.asarray(values, dtype=np.float64)
    pairs = valid_steps(lengths - 1, values.shape[1] - 1)[:, :, np.newaxis]
    count = pairs.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        now = np.where(pairs, values[:, :-1], 0.0)
        now = np.where(pairs, now - now.sum(axis=1, keepdims=True) / count[:, None], 0.0)
        after = np.where(pairs, values[:, 1:], 0.0)
        after = np.where(pairs, after - after.sum(axis=1, keepdims=True) / count[:, None], 0.0)
        spread = np.sqrt((now * now).sum(axis=1)) * np.sqrt((after * after).sum(axis=1))
        correlation = (now * after).sum(axis=1) / spread
    return correlation, count, spread


def share_of_faint_sequences(padded, lengths, sample_weight=None):
    """The share of the sequences that vary, but in every feature by less than
    ``_FAINT_SPREAD`` times as much as a typical sequence (the root mean square of the
    sequences' standard deviations): those that standardisation over all the data leaves
    nearly constant, such as the appliances of small current among large ones. Sequences
    that differ in level but vary alike are not faint, nor are those that vary as much as
    others in some feature (a still limb beside a moving one). Weights count as copies and
    a weight of 0 leaves a sequence out; constant sequences count as not faint. Every
    sequence is read (a stride through them would follow data recorded in a repeating
    order).

    Examples
    --------
    >>> t = np.arange(50.0)
    >>> X = np.stack([np.sin(t), 1e-3 * np.sin(t), 1e-3 * np.cos(t)])[:, :, np.newaxis]
    >>> share_of_faint_sequences(X, np.array([50, 50, 50]))
    0.6666666666666666
    >>> levels = np.sin(t) + np.array([[0.0], [100], [200]])  # the same spread at three levels
    >>> share_of_faint_sequences(levels[:, :, np.newaxis], np.array([50, 50, 50]))
    0.0
    """
    weights = _sequence_weights(sample_weight, padded)
    total = weights.sum()
    if not total > 0:
        return 0.0
    spreads = sequence_moments(padded, lengths)[1]
    typical = _typical_spread(spreads, weights)
    relative = np.divide(spreads, typical, out=np.zeros_like(spreads), where=typical > 0).max(
        axis=1, initial=0.0
    )
    faint = (relative > 0) & (relative < _FAINT_SPREAD)
    return float(weights[faint].sum() / total)


def _sequence_weights(sample_weight, padded):
    """``sample_weight`` as float64, or ones: one weight per sequence of ``padded``."""
    if sample_weight is None:
        return np.ones(len(padded))
    return np.asarray(sample_weight, dtype=np.float64)


def sequence_moments(padded, lengths):
    """Each sequence's mean and standard deviation, feature by feature, over its valid
    steps (anything past a length, NaN too, is left out): two float64 arrays of shape
    (n_samples, n_features).

    Summed in time order, so that a sequence's moments have the same bits whatever the
    padded width of its batch, the mean corrected by the mean of the deviations from it. A
    constant sequence has its value for mean and spread 0 (its sum rounds, and the rounding
    squared would pass for a spread), as has one whose spread is at the rounding level of
    its mean. Each sequence is scaled by a power of two (exact)
    before it is summed, so that squares of values near float64's limit do not overflow.

    Examples
    --------
    >>> mean, spread = sequence_moments(np.full((1, 30, 1), 0.1), np.array([30]))
    >>> mean.tolist(), spread.tolist()
    ([[0.1]], [[0.0]])
    """
    n_features = padded.shape[2]
    means, spreads = [np.empty((0, n_features))], [np.empty((0, n_features))]
    for block, longest in _blocks_to_their_longest(padded, lengths):
        mean, spread = _moments(padded[block, :longest], lengths[block])
        means.append(mean)
        spreads.append(spread)
    return np.concatenate(means), np.concatenate(spreads)


def _moments(values, lengths):
    values = np.asarray(values, dtype=np.float64)
    valid = valid_steps(lengths, values.shape[1])[:, :, np.newaxis]
    values = np.where(valid, values, 0.0)
    # A power of two at most max |x| (exact to divide by): no sum of squares overflows.
    unit = power_of_two_at_most(np.abs(values).max(axis=1, initial=0.0))
    scaled = values / unit[:, np.newaxis]
    count = np.maximum(valid.sum(axis=1), 1)
    mean = sum_over_time(scaled) / count
    # Corrected by the mean of the deviations (a second pass): the rounding of a long sum
    # would otherwise pass for a spread (1e-14 at 10,000 steps of a value and its neighbour).
    mean += sum_over_time(np.where(valid, scaled - mean[:, np.newaxis], 0.0)) / count
    deviations = np.where(valid, scaled - mean[:, np.newaxis], 0.0)
    mean, spread = mean * unit, np.sqrt(sum_over_time(np.square(deviations)) / count) * unit
    low = np.where(valid, values, np.inf).min(axis=1)
    one_value = low == np.where(valid, values, -np.inf).max(axis=1)
    mean = np.where(one_value, low, mean)
    constant = one_value | ~(spread > 10 * np.finfo(np.float64).eps * np.abs(mean))
    return mean, np.where(constant, 0.0, spread)


def power_of_two_at_most(magnitudes):
    """The largest power of two at most each of ``magnitudes`` (0.5 for 0): dividing by
    it is exact, and brings the largest magnitude into [1, 2), where squares neither
    overflow nor fall below float64's normal range."""
    return np.ldexp(1.0, np.frexp(magnitudes)[1] - 1)


def sum_over_time(values):
    """Sum over time (axis 1) in time order, so that a sequence's sum has the same bits
    whatever the padded width of its batch (NumPy sums a contiguous axis pairwise, in
    groups that depend on its length; the zeros past a sequence's end add nothing in
    order)."""
    return np.cumsum(values, axis=1)[:, -1]


def _typical_spread(spreads, weights):
    """The root mean square of the sequences' spreads per feature, weights as copies (in
    units of the largest spread, so that no square overflows)."""
    largest = spreads.max(axis=0, initial=0.0)
    unit = np.where(largest > 0, largest, 1.0)
    return np.sqrt((weights @ np.square(spreads / unit)) / weights.sum()) * unit


def sequence_scaling(padded, lengths, sample_weight=None):
    """What :func:`scale_each_sequence` and the standardisation after it learn from the
    training sequences: the floor of the spread per feature (that of the faintest sequence
    that varies, 1 where none varies, so that a constant sequence reads as that faintest
    one, its log spread inside the range training saw) and the mean and scale of the
    3 * n_features channels (:func:`feature_statistics`). A level or log spread that varies
    across the sequences by less than ``_FAINT_SPREAD`` of a typical sequence's spread
    (respectively by less than ``_FAINT_SPREAD``, a ratio of 1.05 between spreads) is not
    stretched to unit variance: such differences are the rounding of data already scaled
    by sequence, not information. Weights count as copies; a weight of 0 leaves a sequence
    out.

    Examples
    --------
    >>> X = np.array([[[-1.0], [1.0]], [[-3.0], [3.0]], [[0.0], [0.0]]])
    >>> floor, mean, scale = sequence_scaling(X, np.array([2, 2, 2]))
    >>> floor.tolist(), mean.round(3).tolist(), scale.round(3).tolist()
    ([1.0], [0.0, 0.0, 0.366], [0.816, 1.0, 0.518])
    """
    weights = _sequence_weights(sample_weight, padded)
    counted = weights > 0
    spreads = sequence_moments(padded, lengths)[1][counted]
    varying = np.where(spreads > 0, spreads, np.inf).min(axis=0, initial=np.inf)
    floor = np.where(np.isfinite(varying), varying, 1.0)
    channels = scale_each_sequence(padded, lengths, floor)
    n_features = padded.shape[2]
    # (messages name the feature a channel is of: its scaled values, level or log spread)
    of_feature = np.tile(np.arange(n_features), 3)
    mean, scale = feature_statistics(channels, lengths, sample_weight, of_feature=of_feature)
    typical = _typical_spread(spreads, weights[counted])
    steady = np.concatenate(
        [np.zeros(n_features), _FAINT_SPREAD * typical, np.full(n_features, _FAINT_SPREAD)]
    )
    return floor, mean, np.maximum(scale, steady)


def scale_each_sequence(padded, lengths, floor):
    """Each sequence centred and scaled by itself, feature by feature, over its valid steps
    (its spread no less than ``floor``), followed by its level (mean) and the log of that
    spread as channels of their own, constant over the sequence: what a model of
    ``standardize="sequence"`` reads, so that the shape of faint sequences shows and their
    amplitude and level are not lost.

    Returns
    -------
    ndarray of shape (n_samples, n_timesteps, 3 * n_features), float64
        The scaled features, the levels, the log spreads; zero in the padding. Float64, so
        that a level far from zero keeps its spread until it is standardised.

    Examples
    --------
    >>> scaled = scale_each_sequence(np.array([[[1.0], [3.0]]]), np.array([2]), np.array([1.0]))
    >>> scaled.tolist()
    [[[-1.0, 2.0, 0.0], [1.0, 2.0, 0.0]]]
    """
    n_samples, n_timesteps, n_features = padded.shape
    out = np.zeros((n_samples, n_timesteps, 3 * n_features))
    for block, longest in _blocks_to_their_longest(out, lengths):
        values = padded[block, :longest].astype(np.float64)
        mean, spread = _moments(values, lengths[block])
        spread = np.maximum(spread, floor)
        valid = valid_steps(lengths[block], longest)[:, :, np.newaxis]
        channels = [
            (values - mean[:, np.newaxis]) / spread[:, np.newaxis],
            np.broadcast_to(mean[:, np.newaxis], values.shape),
            np.broadcast_to(np.log(spread)[:, np.newaxis], values.shape),
        ]
        out[block, :longest] = np.where(valid, np.concatenate(channels, axis=2), 0.0)
    return out


def weighted_median(values, weights):
    """The median of ``values`` each repeated ``weights`` times (positive weights, which
    need not be whole numbers): the first value whose cumulative weight reaches half the
    total, or the mean of it and the next where it is exactly half, as ``np.median``
    takes the mean of the middle two.

    Examples
    --------
    >>> weighted_median(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0]))
    2.0
    >>> weighted_median(np.array([1.0, 2.0]), np.array([2.0, 2.0]))
    1.5
    """
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(weights[order])
    half = cumulative[-1] / 2
    # Fractional weights' running sums round: a total that splits evenly (0.3 + 0.1 + 0.2)
    # may miss half by an ulp or two, which must still count as even.
    tolerance = 1e-9 * cumulative[-1]
    middle = int(np.searchsorted(cumulative, half - tolerance))
    if abs(cumulative[middle] - half) <= tolerance and middle + 1 < len(values):
        return float((values[middle] + values[middle + 1]) / 2)
    return float(values[middle])


def feature_statistics(padded, lengths, sample_weight=None, name="X", of_feature=None):
    """Mean and scale of each feature over all valid time steps (padding excluded).

    With ``sample_weight`` (one non-negative weight per sequence) every time step of a
    sequence counts with its sequence's weight, so that a weight of k is k copies of the
    sequence and a weight of 0 leaves it out, as in scikit-learn. ``name`` and
    ``of_feature`` are for the error where a mean or variance overflows (see
    :func:`scale_of_spread`).

    Returns float64 arrays of shape (n_features,); a feature that is constant gets scale 1
    (as ``sklearn.preprocessing.StandardScaler``), so standardising never divides by zero.
    The sums run over blocks of sequences, so no float64 copy of all the data is made.

    Examples
    --------
    >>> mean, scale = feature_statistics(np.array([[[1.0, 5], [3, 5]], [[2, 5], [0, 0]]]),
    ...                                  np.array([2, 1]))
    >>> mean.tolist(), scale.tolist()
    ([2.0, 5.0], [0.816496580927726, 1.0])
    >>> feature_statistics(np.array([[[1.0]], [[3.0]]]), np.array([1, 1]),
    ...                    sample_weight=np.array([3.0, 1.0]))[0].tolist()
    [1.5]
    """
    if sample_weight is None:
        total = int(lengths.sum())
    else:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        total = float((sample_weight * lengths).sum())
        if not total > 0:
            raise ValueError("sample_weight is zero for every sequence: nothing to learn from")
    low, high = _valid_range(padded, lengths, sample_weight)
    with np.errstate(over="ignore", invalid="ignore"):  # refused below, naming the feature
        blocks = _valid_step_blocks(padded, lengths, sample_weight)
        mean = _column_sum(_weighted(rows, weights) for rows, weights in blocks) / total
        mean[np.isnan(mean)] = np.inf  # a sum that overflowed both ways (inf - inf)
        unit = _unit_for_squares(np.fmax(high - mean, mean - low))
        blocks = _valid_step_blocks(padded, lengths, sample_weight)
        squares = (_weighted_squares((rows - mean) / unit, weights) for rows, weights in blocks)
        spread = np.sqrt(_column_sum(squares) / total) * unit
    scale = scale_of_spread(mean, spread, name, of_feature)
    # A feature with one value is constant, and that value is its mean: the sum of its
    # copies rounds (the mean of 5,000 copies of 3.7 is 200 ulps off, a spread of 2e-13
    # that was taken for a scale), and standardised it must be exactly 0, in fit and predict.
    constant = low == high
    mean[constant], scale[constant] = low[constant], 1.0
    return mean, scale


def _valid_range(padded, lengths, sample_weight=None):
    """The smallest and largest value of each feature over the valid time steps of the
    sequences that count (a weight above 0)."""
    low = np.full(padded.shape[2], np.inf)
    high = np.full(padded.shape[2], -np.inf)
    for rows, weights in _valid_step_blocks(padded, lengths, sample_weight):
        rows = rows if weights is None else rows[weights > 0]
        if len(rows):
            low, high = np.fmin(low, rows.min(axis=0)), np.fmax(high, rows.max(axis=0))
    return low, high


def _unit_for_squares(deviation):
    """A power of two of at most 1 by which to divide deviations of largest magnitude
    ``deviation`` (per feature) before squaring them: below about 1e-154 their squares
    underflow to 0, and a feature of values 1e-170, 2e-170, ... was taken for a constant
    (scale 1) and standardised to zeros (a classifier at chance, silently). Powers of two
    scale exactly, so data above that size gives the same bits; larger deviations keep
    the unit 1, their squares overflowing to the error that names them."""
    exponent = np.frexp(np.nan_to_num(deviation, nan=1.0, posinf=1.0))[1]
    return np.ldexp(1.0, np.minimum(exponent, 0))


def scale_of_spread(mean, spread, name="X", of_feature=None):
    """The standard deviations ``spread`` as scales: 1 where a feature is constant, that is,
    where its spread is at the rounding level of its mean (or it was never observed).
    ``of_feature`` maps each column to the feature of ``name`` it derives from, for the
    message where one overflows (None: the columns are the features).

    The test is relative, as scikit-learn's StandardScaler's is: a feature whose values
    are all tiny (1e-15, 2e-15, ...) is not constant and is scaled like any other."""
    scale = np.array(spread, dtype=np.float64)
    overflows = np.isinf(scale) | np.isinf(mean)  # NaN: a feature never observed
    if overflows.any():
        part = "target" if name == "y" else "feature"
        columns = np.nonzero(overflows)[-1]
        features = np.unique(columns if of_feature is None else of_feature[columns])
        raise ValueError(
            f"{name} has values too large to standardise: the mean or the variance "
            f"of {part}(s) {features.tolist()} overflows float64"
        )
    constant = ~(scale > 10 * np.finfo(np.float64).eps * np.abs(mean))
    scale[constant] = 1.0
    return scale


def _valid_step_blocks(padded, lengths, sample_weight=None):
    """The valid time steps as float64 rows (n_steps_in_block, n_features), block by block,
    each with the weights of its rows (their sequences' ``sample_weight``; None without).

    Blocks of about ``_BLOCK_BYTES`` keep the float64 temporaries small next to the data
    (a whole float64 copy made one fit peak at 4x the float32 data)."""
    for block, longest in _blocks_to_their_longest(padded, lengths):
        valid = valid_steps(lengths[block], longest)
        rows = padded[block, :longest][valid].astype(np.float64)
        if sample_weight is None:
            yield rows, None
        else:
            weights = np.broadcast_to(sample_weight[block][:, np.newaxis], valid.shape)
            yield rows, weights[valid]


def _blocks_to_their_longest(padded, lengths):
    """(slice, the longest of its lengths) for each block of :func:`_sequence_blocks`: the
    steps its sequences reach, all that a block's computation need read, so that one long
    sequence among many short ones does not make every block as long (2,000 sequences of 20
    steps and one of 10,000 read 500 times their steps)."""
    for block in _sequence_blocks(padded):
        yield block, int(lengths[block].max())


def _sequence_blocks(padded):
    """Slices of consecutive sequences (of a 3-D array, or 2-D token ids) whose float64 copy
    takes about ``_BLOCK_BYTES``."""
    values_per_sequence = int(np.prod(padded.shape[1:]))
    samples_per_block = max(1, _BLOCK_BYTES // (8 * values_per_sequence))
    for start in range(0, len(padded), samples_per_block):
        yield slice(start, start + samples_per_block)


def _weighted(rows, weights):
    return rows if weights is None else rows * weights[:, np.newaxis]


def _weighted_squares(deviations, weights):
    """The squares of ``deviations``, weighted; 0 for rows of weight 0, whose deviations
    (outside the range of the rows that count, which the unit is taken from) may square to
    infinity, and infinity times 0 is NaN."""
    squares = np.square(deviations)
    if weights is not None:
        squares[weights == 0] = 0.0
    return _weighted(squares, weights)


def _column_sum(blocks):
    """Sum of the rows of all blocks, added one row after the other.

    Row by row is the order in which NumPy sums a 2-D array's columns when it has more than
    one, so the result has the bits of ``np.concatenate(blocks).sum(axis=0)``; a single
    column NumPy sums pairwise, which this differs from by rounding only."""
    total = None
    for rows in blocks:
        if total is not None:
            rows = np.concatenate([total[np.newaxis], rows])
        total = rows.sum(axis=0)
    return total


def standardize(padded, lengths, mean, scale, out=None, dtype=None):
    """(padded - mean) / scale at valid time steps, zero in the padding.

    Computed in float64 block by block and stored in ``out`` (which may be ``padded``
    itself), or in a new array of ``dtype`` (default: ``padded``'s) when ``out`` is None.
    A value too large for that dtype (an input far outside the data the statistics came
    from) is refused with a ValueError that says where it is, rather than stored as
    infinity."""
    if out is None:
        out = np.empty(padded.shape, dtype=padded.dtype if dtype is None else dtype)
    for block, longest in _blocks_to_their_longest(padded, lengths):
        with np.errstate(over="ignore", invalid="ignore"):
            values = (padded[block, :longest] - mean) / scale
        values[~valid_steps(lengths[block], longest)] = 0
        _require_representable(values, out.dtype, first_sequence=block.start)
        out[block, :longest] = values
        out[block, longest:] = 0
    return out


def _require_representable(values, dtype, first_sequence):
    fits = np.abs(values) <= np.finfo(dtype).max  # False for NaN and infinity as well
    if not fits.all():
        sequence, step, feature = np.argwhere(~fits)[0]
        value = values[sequence, step, feature]
        raise ValueError(
            f"X standardised with input_mean_ and input_scale_ is {value:.3g} at sequence "
            f"{first_sequence + sequence}, time step {step}, feature {feature}, "
            f"too large for {np.dtype(dtype).name}: X is far outside the data the model "
            "was fitted on"
        )


def to_patches(padded, lengths, patch_size, overwrite=False):
    """Group each run of ``patch_size`` time steps into one step of ``patch_size * F`` features.

    A sequence whose length is not a multiple of ``patch_size`` has its last time step
    repeated to fill its final patch. This is a strided linear convolution (kernel = stride =
    ``patch_size``) folded into the first GRU layer's input weights: the network reads
    ``ceil(T / patch_size)`` steps instead of ``T``.

    ``padded`` must be zero past each sequence's length. When ``n_timesteps`` is a multiple of
    ``patch_size`` the patches are a view of ``padded``, which is changed (the repeated steps
    written into it) only if ``overwrite``; otherwise they are a new array.

    Returns
    -------
    patches : ndarray of shape (n_samples, ceil(n_timesteps / patch_size), patch_size * F)
        Zero past each sequence's new length.
    lengths : ndarray of shape (n_samples,)
        ``ceil(lengths / patch_size)``.

    Examples
    --------
    >>> patches, lengths = to_patches(np.arange(1.0, 6.0).reshape(1, 5, 1), np.array([5]), 2)
    >>> patches.tolist(), lengths.tolist()
    ([[[1.0, 2.0], [3.0, 4.0], [5.0, 5.0]]], [3])
    """
    if patch_size == 1:
        return padded, lengths
    n_samples, n_timesteps, n_features = padded.shape
    n_patches = -(-n_timesteps // patch_size)
    patch_lengths = -(-lengths // patch_size)
    unfilled = np.flatnonzero(lengths % patch_size)
    if n_patches * patch_size != n_timesteps or (unfilled.size and not overwrite):
        steps = np.zeros((n_samples, n_patches * patch_size, n_features), padded.dtype)
        steps[:, :n_timesteps] = padded
    else:
        steps = padded
    _repeat_last_step(steps, lengths[unfilled], patch_lengths[unfilled] * patch_size, unfilled)
    return steps.reshape(n_samples, n_patches, patch_size * n_features), patch_lengths


def window_warp(patches, lengths, patch_size, fraction, rng, xp=np):
    """Window warping (Le Guennec et al. 2016), a training-time augmentation: in each
    sequence a random window of ``fraction`` of its valid steps is stretched to twice its
    length or squeezed to half, and the sequence resampled to its own length by linear
    interpolation.

    ``patches`` is a batch as the network reads it, (n, n_patches, patch_size * F) with
    ``lengths`` in patches (a NumPy array), zero past them; it is unfolded into time steps,
    warped over each sequence's ``lengths * patch_size`` steps (a last patch's repeated
    step included) and folded back. The window covers at least two steps; a sequence too
    short for a window with a step on each side, and the padding, come back unchanged.
    The window and its factor are drawn from ``rng`` (a NumPy Generator) on the host; the
    arithmetic runs where ``patches`` is (``xp``: NumPy or CuPy). Returns a new array.

    Examples
    --------
    >>> x = np.arange(10.0).reshape(1, 10, 1)
    >>> warped = window_warp(x, np.array([10]), 1, 0.2, np.random.default_rng(0))
    >>> warped[0, [0, -1], 0].tolist()  # the ends stay where they were
    [0.0, 9.0]
    """
    n_samples, n_patches, width = patches.shape
    n_steps = n_patches * patch_size
    steps = patches.reshape(n_samples, n_steps, width // patch_size)
    length = np.asarray(lengths, dtype=np.int64)[:, None] * patch_size
    window = np.maximum(2, np.rint(fraction * length))
    where, stretched = rng.random((2, n_samples, 1))
    start = np.floor(where * np.maximum(length - window, 1))
    warps = length >= window + 2  # a step on each side of the window
    factor = np.where(warps, np.where(stretched < 0.5, 2.0, 0.5), 1.0)
    # Step j of the result reads the original at time t(u), u = j spread over the warped
    # length: t = u before the window, start + (u - start) / factor inside it, and shifted
    # by the window's change in length after it.
    last = length - 1
    change = window * (factor - 1)
    positions = np.arange(n_steps)
    u = positions * ((last + change) / np.maximum(last, 1))
    t = np.where(
        u < start,
        u,
        np.where(u < start + window * factor, start + (u - start) / factor, u - change),
    )
    # Past its length a sequence reads its own (zero) padding, with weight 0 on the other
    # step (a finite one), so the result keeps that padding.
    t = np.where(positions < length, np.clip(t, 0, last), positions)
    before = t.astype(np.int64)
    after = np.minimum(before + 1, last)
    weight = xp.asarray((t - before)[:, :, None], dtype=patches.dtype)
    # One gather along the flattened (sequence, step) axis: indexing with a pair of
    # broadcast index arrays made the whole warp 2.5x slower at 3 features per step.
    rows = steps.reshape(n_samples * n_steps, -1)
    offsets = (np.arange(n_samples) * n_steps)[:, None]
    below = xp.take(rows, xp.asarray(before + offsets), axis=0)
    above = xp.take(rows, xp.asarray(after + offsets), axis=0)
    warped = below + (above - below) * weight
    return warped.reshape(n_samples, n_patches, width)


def _repeat_last_step(steps, lengths, new_lengths, samples):
    """Copy each sample's last step into its steps ``lengths`` .. ``new_lengths - 1``."""
    positions = np.arange(steps.shape[1])
    fill = (positions >= lengths[:, np.newaxis]) & (positions < new_lengths[:, np.newaxis])
    which, step = np.nonzero(fill)
    steps[samples[which], step] = steps[samples[which], lengths[which] - 1]


class SequencesOut:
    """``set_output`` for a transformer whose output is sequences (3-D arrays, lists of
    arrays, or token ids), so that ``Pipeline.set_output`` reaches it: the default container
    is accepted, "pandas" and "polars", which have no form for sequences, are refused."""

    def set_output(self, *, transform=None):
        """Accept ``transform="default"`` or None (the output as it is); refuse a table
        container.

        Parameters
        ----------
        transform : {"default"} or None, default=None
            The output container: sequences as ``transform`` returns them.

        Returns
        -------
        self
        """
        if transform not in (None, "default"):
            raise ValueError(
                f"{type(self).__name__} returns sequences, which have no {transform!r} "
                f"form; set_output accepts transform='default' or None, got {transform!r}"
            )
        return self


def is_own_copy(padded, X):
    """Whether ``padded``, returned by :func:`to_padded` for ``X``, may be changed in place:
    it is a new array, not (a view of) the caller's ``X``."""
    if _is_list_of_sequences(X):
        return True
    return not np.may_share_memory(padded, np.asarray(X))


def _reject_sparse(X, name):
    """Raise for sparse matrices, which would otherwise fail with an obscure dtype error."""
    if sparse.issparse(X):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported, pass a dense array."
        )


def _is_list_of_sequences(X):
    """Whether ``X`` holds one object per sequence rather than being one array: a list, a
    tuple, or a 1-D object array or pandas Series."""
    kind = getattr(getattr(X, "dtype", None), "kind", None)
    return isinstance(X, (list, tuple)) or (kind == "O" and getattr(X, "ndim", None) == 1)


def similar_length_groups(X):
    """Positions of the sequences of the list ``X`` in groups of similar length, shortest
    first: in each group the longest sequence has fewer than twice the steps of the shortest
    (at least one), so that padding a group to its longest at most doubles it. None when X
    is one array, which is padded already.

    A list padded as a whole is as long as its longest sequence: one series of 20,000
    steps among 5,000 of 20 made a 5,000 x 20,000 array (1,000 times the data) and predict
    13 times slower than calls split by length.

    Examples
    --------
    >>> [group.tolist() for group in similar_length_groups([[1, 2, 3], [4], [5, 6]])]
    [[1], [2, 0]]
    """
    if not _is_list_of_sequences(X):
        return None
    lengths = np.array([_item_length(item) for item in X], dtype=np.int64)
    order = np.argsort(lengths, kind="stable")
    groups, start = [], 0
    while start < len(order):
        limit = 2 * max(lengths[order[start]], 1)
        end = start + int(np.searchsorted(lengths[order[start:]], limit))
        groups.append(order[start:end])
        start = end
    return groups


def read_by_length(X, read):
    """``(positions, part, read(part))`` for each group of similar length of the list ``X``
    (:func:`similar_length_groups`), or once ``(None, X, read(X))`` for an array or a list
    of one group. ``read`` checks and pads sequences; an error it raises for a part is
    raised again by reading X as a whole, so that the message numbers the sequence by its
    place in X."""
    groups = similar_length_groups(X)
    if groups is None or len(groups) <= 1:  # an empty list is refused by read itself
        yield None, X, read(X)
        return
    sequences = list(X)  # by position, also a pandas Series
    for positions in groups:
        part = [sequences[i] for i in positions]
        try:
            result = read(part)
        except (TypeError, ValueError):
            read(X)
            raise
        yield positions, part, result


def in_order(groups, values, n_steps=None):
    """Per-group arrays ``values`` (one row per sequence at the positions ``groups``, or all
    in order for the one group None) as one array in X's order; per-step values (3-D) are
    ``n_steps`` long (default: the longest group's), zero past each group's own steps."""
    if groups[0] is None:
        return values[0]
    n_samples = sum(len(value) for value in values)
    trailing = [max(axis) for axis in zip(*(value.shape[1:] for value in values))]
    if n_steps is not None and len(trailing) == 2:
        trailing[0] = n_steps
    ordered = np.zeros((n_samples, *trailing), dtype=values[0].dtype)
    for positions, value in zip(groups, values):
        ordered[(positions, *(slice(size) for size in value.shape[1:]))] = value
    return ordered


def _item_length(item):
    """The number of time steps of a list item as given (trailing NaN steps included),
    0 for an item without a length: an estimate to group by, before anything is checked."""
    try:
        return len(item)
    except TypeError:
        return 0


def _pad_array(X, dtype, name, keep_precision=False):
    """Pad sequences given as one 2-D or 3-D array."""
    array = _as_real_array(X, name)
    if array.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be a 3-D array (n_samples, n_timesteps, n_features), a 2-D array "
            "(n_samples, n_timesteps) of univariate sequences, or a list of sequences; "
            f"got a {array.ndim}-D array of shape {array.shape}."
            + (
                " Reshape your data: X.reshape(1, -1) for one univariate sequence, "
                "X.reshape(-1, 1) for sequences of length 1."
                if array.ndim == 1
                else ""
            )
        )
    _check_has_samples(array.shape[0], name, f"shape={array.shape}")
    if array.ndim == 2:
        if array.shape[1] == 0:
            # Worded as scikit-learn's check_array, which users of 2-D data know.
            raise ValueError(
                f"{name} has 0 feature(s) (shape={array.shape}) while a minimum of 1 is "
                f"required; a 2-D {name} holds one univariate sequence per row, its columns "
                "being time steps."
            )
        array = array[:, :, np.newaxis]
    elif array.shape[1] == 0:
        raise ValueError(
            f"{name} has 0 time step(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    elif array.shape[2] == 0:
        raise ValueError(
            f"{name} has 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    if _pads_in_float64([array], dtype, keep_precision):
        dtype = np.dtype(np.float64)
    # Values too large for dtype become inf here and are reported by _observed_lengths.
    with np.errstate(over="ignore"):
        padded = np.ascontiguousarray(array, dtype=dtype)
    lengths = _observed_lengths(padded, name)
    owned = not np.may_share_memory(padded, array)
    return _trim_and_zero_padding(padded, lengths, owned), lengths


def _check_levels(X, name, tokens=False):
    """Warn of pandas rows, and refuse columns, of several levels (below)."""
    _warn_of_rows_of_several_levels(X, name, tokens)
    _refuse_columns_of_several_levels(X, name, tokens)


def _warn_of_rows_of_several_levels(X, name, tokens=False):
    """A DataFrame's rows are sequences, or a Series' rows the values of one sequence; an
    index of several levels often marks the long layout of sktime's ``pd-multiindex``
    (instance, time), whose rows are time steps, which was read as one sequence per time
    step (predict gave a label per step). A warning: a wide frame of one sequence per row
    may carry such an index too, (subject, trial). A Series of sequences is read right
    whatever its index."""
    index = getattr(X, "index", None)
    if getattr(index, "nlevels", 1) == 1 or getattr(getattr(X, "dtype", None), "kind", "") == "O":
        return
    warn(
        f"{name} has an index of {index.nlevels} levels {level_names(index)}; pygru reads "
        "each row of a DataFrame as one sequence, its columns as time steps. If the rows "
        "are the time steps of several sequences, as in sktime's (instance, time) layout, "
        f"pass one array per sequence: [part.to_numpy(){'.ravel()' if tokens else ''} for "
        f"_, part in {name}.groupby(level=0, sort=False)]"
        + (f"; if each row is one sequence, pass {name}.to_numpy()" if X.ndim == 2 else ""),
        UserWarning,
    )


def level_names(index):
    """The names of a pandas index's levels, "?" for one without a name."""
    return [level if level is not None else "?" for level in index.names]


def _refuse_columns_of_several_levels(X, name, tokens=False):
    """A DataFrame's columns are time steps; columns of several levels, as ``pivot`` with
    ``values=[...]`` makes them (channel, step), were read as one univariate series of every
    channel's steps end to end, and the first channel's padding as a gap inside it (token
    ids: one sequence of every block's ids)."""
    columns = getattr(X, "columns", None)
    if getattr(columns, "nlevels", 1) == 1:
        return
    outer = list(columns.get_level_values(0).unique())
    read_as = "token-id sequences" if tokens else "univariate sequences"
    remedy = (
        f"pass one sequence of ids per row, as {name}.to_numpy() where the levels are "
        "parts of one text, or a list with one (n_tokens,) array per sequence."
        if tokens
        else "for several channels per time step, pass a 3-D array (n_samples, "
        "n_timesteps, n_channels), e.g. for columns (channel, step) as pivot(values=[...]) "
        f"makes them: {name}.to_numpy().reshape(len({name}), {len(outer)}, -1)"
        ".transpose(0, 2, 1); or a list with one (n_timesteps, n_channels) array per "
        "sequence."
    )
    raise ValueError(
        f"{name} is a DataFrame whose columns have {columns.nlevels} levels (the first "
        f"holds {outer[:5]}{'...' if len(outer) > 5 else ''}); pygru reads a DataFrame's "
        f"columns as the time steps of {read_as}: {remedy}"
    )


def _pad_list(X, dtype, name, keep_precision=False):
    """Pad sequences given one by one, which may differ in length but not in features."""
    _check_has_samples(len(X), name, f"an empty {type(X).__name__}")
    sequences = [_as_sequence(item, f"{name}[{index}]") for index, item in enumerate(X)]
    n_features = sequences[0].shape[1]
    for index, sequence in enumerate(sequences):
        if sequence.shape[1] != n_features:
            raise ValueError(
                f"All sequences of {name} must have the same number of features: {name}[0] "
                f"has {n_features}, {name}[{index}] has {sequence.shape[1]}."
                + _CHANNELS_FIRST_HINT
                * all(len(s) == len(sequences[0]) for s in sequences)
            )
    if _pads_in_float64(sequences, dtype, keep_precision):
        dtype = np.dtype(np.float64)
    n_steps = max(len(sequence) for sequence in sequences)
    # Items that are finite throughout (the usual case) are their own lengths, and their
    # padding is zero from the start: np.zeros leaves the padding's pages untouched, so one
    # long sequence among many short ones costs no pass over the whole padded array (it
    # took three, 10 s for 2,000 of 20 steps and one of 10,000).
    padded = np.zeros((len(sequences), n_steps, n_features), dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        for row, sequence in zip(padded, sequences):
            row[: len(sequence)] = sequence
        if all(
            len(sequence) and np.isfinite(row[: len(sequence)].sum())
            for row, sequence in zip(padded, sequences)
        ):
            return padded, np.array([len(sequence) for sequence in sequences], dtype=np.int64)
    # Else NaN past each item, short items look like the NaN-padded rows of an array: one
    # check for both (trailing all-NaN steps are padding; NaN inside, inf or an empty
    # sequence is refused by name).
    for row, sequence in zip(padded, sequences):
        row[len(sequence) :] = np.nan
    lengths = _observed_lengths(padded, name)
    return _trim_and_zero_padding(padded, lengths, owned=True), lengths


def _pads_in_float64(arrays, dtype, keep_precision):
    """Whether ``to_padded`` pads ``arrays`` in float64 rather than ``dtype`` (see its
    ``keep_precision``)."""
    if not keep_precision:
        return False
    if keep_precision == "always":
        return not all(np.can_cast(array.dtype, dtype, "safe") for array in arrays)
    return _rounding_blurs(arrays, dtype)


# How much of a feature's range rounding its training values to dtype may move them.
# predict standardises each value exactly, so training should read what predict reads: at
# 1e-4 of the range (was), a calendar feature of offset 1,000 or more read in float32 moved
# by 3e-5 of its scale, periodically with the month, and the linear skip's ridge, whose lag
# columns of such a feature are otherwise collinear, fitted that pattern (penalty 1e-6,
# coefficients of 100) where float64 chose 3e-2. 1e-6 of the range stays ten times below
# where that began; the training copy is widened where some feature's magnitude is 8 times
# its range or more, unless it holds integers that dtype holds exactly (a year column).
_ROUNDING_TOLERANCE = 1e-6


def _rounding_blurs(arrays, dtype):
    """Whether rounding the values of ``arrays`` (the last axis: features) to ``dtype``
    errs by more than ``_ROUNDING_TOLERANCE`` of some feature's range, or overflows it, or
    changes a constant feature's value. Near zero the rounding is absolute (subnormal
    numbers, then 0): values around 1e-45 lose all their spread in float32. NaN is ignored."""
    if all(np.can_cast(array.dtype, dtype, "safe") for array in arrays):
        return False
    limits = np.finfo(dtype)
    with np.errstate(invalid="ignore", over="ignore"):  # overflow is one of the answers
        low = np.fmin.reduce([_feature_reduce(np.fmin, array) for array in arrays])
        high = np.fmax.reduce([_feature_reduce(np.fmax, array) for array in arrays])
        width = high.astype(np.float64) - low
        largest = np.maximum(np.abs(low), np.abs(high))
        rounding = np.maximum(limits.eps * largest, float(limits.smallest_subnormal))
        if all(array.dtype.kind in "iu" for array in arrays):
            # Integers up to 2**(nmant + 1) are exact in dtype: no rounding at all.
            rounding[largest <= 2.0 ** (limits.nmant + 1)] = 0
        overflows = largest > float(limits.max)
        # A constant is its own mean: rounded, it would stand off the value that predict
        # standardises exactly by up to eps |x|, which scale 1 passes on as it is.
        inexact_constant = (width == 0) & (low.astype(dtype) != low)
        blurs = (width > 0) & (rounding > _ROUNDING_TOLERANCE * width)
        return bool(np.any(overflows | blurs | inexact_constant))


def _feature_reduce(ufunc, array):
    """``ufunc`` (fmin or fmax) over every axis but the last, without copying ``array``:
    the outermost axis first, one row against the next (6x faster than over both axes
    at once on a C-contiguous (n, T, F) array)."""
    if array.size == 0:
        return np.full(array.shape[-1], np.nan)
    while array.ndim > 1:
        array = ufunc.reduce(array, axis=0)
    return array


def _as_sequence(item, name):
    """One list item as a 2-D ``(n_timesteps, n_features)`` array of real numbers."""
    sequence = _as_real_array(item, name)
    if sequence.ndim == 1:
        sequence = sequence[:, np.newaxis]
    elif sequence.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D (n_timesteps, n_features) or 1-D (n_timesteps,) sequence, "
            f"got shape {sequence.shape}."
        )
    if sequence.shape[1] == 0:
        raise ValueError(
            f"{name} has 0 feature(s) (shape={sequence.shape}) while a minimum of 1 is required."
        )
    return sequence


_NESTED_HINT = (
    ". It holds a sequence in each cell, as sktime's nested DataFrame does: pass a list of "
    "(n_timesteps, n_channels) arrays, e.g. [np.column_stack(row) for row in "
    "X.itertuples(index=False)], or for one channel the column alone (a Series of sequences)."
)

# A 1-D container of sequences that is not a list, tuple, object array or pandas Series.
_COLUMN_HINT = (
    ". It holds a sequence in each item: pass a list of arrays, or the 1-D object array "
    "np.asarray(X) makes of a polars Series or pyarrow array of lists."
)


def _as_real_array(value, name, booleans=True):
    """``value`` as an array of integers or floats (booleans as 0 and 1, unless
    ``booleans`` is False), or a TypeError/ValueError that says why not."""
    try:
        array = np.asarray(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from exc
    array = from_nullable(value, array)
    if array.dtype == object:
        # Object arrays of numbers (e.g. from pandas) are fine; scikit-learn accepts them too.
        try:
            array = _objects_as_floats(array)
        except (TypeError, ValueError) as exc:
            nested = array.size > 0 and np.ndim(array.flat[0]) > 0
            hint = (_NESTED_HINT if array.ndim > 1 else _COLUMN_HINT) if nested else ""
            if _holds_text(array):
                hint = f"; it holds text, and {_TEXT_HINT}"
            raise TypeError(
                f"{name} must hold real numbers, but its object-dtype values could not be "
                f"converted: {str(exc).rstrip('.')}{hint}"
            ) from exc
    if array.dtype.kind == "c":
        raise ValueError(
            f"Complex data not supported: {name} has dtype {array.dtype}, expected real numbers."
        )
    if array.dtype.kind == "b":
        if not booleans:
            raise TypeError(f"{name} must hold integer token ids, got booleans.")
        return array.astype(np.float64)  # as 0 and 1, as scikit-learn's check_array reads them
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must hold real numbers (integers, floats or booleans), got dtype "
            f"{array.dtype}"
            + (f"; it holds text, and {_TEXT_HINT}" if array.dtype.kind in "US" else ".")
        )
    return array


# Texts given to a model: what reads them.
_TEXT_HINT = (
    "an embedding model reads integer token ids (0 is padding): "
    "make_pipeline(pygru.text.TokenSequencer(), GRUClassifier(embedding_dim=...)) turns "
    "texts into them"
)


def _objects_as_floats(array):
    """An object array of numbers as float64: None is NaN (as NumPy reads it), and so is
    pandas' pd.NA, which NumPy cannot convert, as the arrays of a nullable DataFrame's rows
    hold it."""
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError):
        pandas = sys.modules.get("pandas")  # pd.NA exists only where pandas is imported
        if pandas is None:
            raise
        is_na = np.array([item is pandas.NA for item in array.flat], dtype=bool)
        if not is_na.any():
            raise
        return np.where(is_na.reshape(array.shape), np.nan, array).astype(np.float64)


def from_nullable(value, array):
    """``array`` (``np.asarray(value)``), or where ``value`` has pandas' nullable dtypes
    ("Float64", "Int64", which mark a missing value with pd.NA and convert to object
    arrays) its values as float64 (float32 for "Float32") with NaN for pd.NA, and where
    ``value`` is a NumPy masked array of numbers, float64 (float32 for float32) with NaN
    where it is masked (np.asarray drops the mask), and of objects, an object array with
    NaN there. Dates and durations are not numbers here, though pandas would convert them
    (to microseconds since 1970)."""
    if np.ma.isMaskedArray(value) and array.dtype.kind in "biuf":
        dtype = np.float32 if array.dtype == np.float32 else np.float64
        return np.ma.filled(value.astype(dtype), np.nan)
    if np.ma.isMaskedArray(value) and array.dtype == object and np.ma.is_masked(value):
        filled = array.copy()
        filled[np.ma.getmaskarray(value)] = np.nan
        return filled
    if date_columns(value):
        return array
    if array.dtype == object and callable(getattr(value, "to_numpy", None)):
        try:
            return value.to_numpy(dtype=_nullable_float_dtype(value), na_value=np.nan)
        except (TypeError, ValueError):
            pass  # not numbers: the caller's checks say why
    return array


def _nullable_float_dtype(value):
    """float32 where every column of ``value`` (or ``value`` itself) is pandas' nullable
    ``Float32`` or NumPy's float32, as its values are, else float64: a DataFrame of
    Float32 columns holding a pd.NA became float64, the same one without became float32
    (audit38c), and so did one beside a float32 column (audit39b)."""
    if getattr(value, "ndim", None) == 2 and hasattr(value, "dtypes"):
        dtypes = list(value.dtypes)
    else:
        dtypes = [getattr(value, "dtype", None)]
    if all(getattr(dtype, "numpy_dtype", dtype) == np.float32 for dtype in dtypes):
        return np.float32
    return np.float64


def date_columns(value):
    """``(name, dtype)`` of each column of a DataFrame ``value`` that holds dates or
    durations, or of ``value`` itself if it does (a Series, an array); pandas would convert
    them to numbers."""
    if getattr(value, "ndim", None) == 2 and hasattr(value, "dtypes"):
        columns = list(value.dtypes.items())
    else:
        columns = [(getattr(value, "name", None), getattr(value, "dtype", None))]
    return [(name, dtype) for name, dtype in columns if getattr(dtype, "kind", "") in ("M", "m")]


def _check_has_samples(n_samples, name, given):
    """Raise if there are no sequences; ``given`` describes what was passed instead."""
    if n_samples == 0:
        raise ValueError(f"{name} has 0 sample(s) ({given}) while a minimum of 1 is required.")


def _check_float_dtype(dtype):
    """``dtype`` as a NumPy dtype, which must be floating-point."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(
            f"dtype must be a floating-point dtype such as float32 or float64, got {dtype}."
        )
    return dtype


def _refuse_empty_sequence(sequence, name, n_samples, n_steps):
    """Refuse a sequence without a time step that is not NaN; where every sequence has one
    step, X is likely one series in a (T, 1) column (a DataFrame's), whose NaN rows became
    empty sequences: say how to pass it as one."""
    hint = (
        f" {name} was read as {n_samples} sequences of one time step each; if it is one "
        f"series of {n_samples} steps (a DataFrame's column, say), pass it as one sequence: "
        f"{name}[np.newaxis], or [{name}] for a list"
        if n_steps == 1
        else ""
    )
    raise ValueError(
        f"{name} has an empty sequence (sequence {sequence}): each needs at least 1 time "
        f"step that is not NaN.{hint}"
    )


def _observed_lengths(padded, name):
    """Length of each sequence without its trailing all-NaN steps; checks the rest is finite.

    Parameters
    ----------
    padded : ndarray of shape (n_samples, n_timesteps, n_features)
        Floating-point sequences, NaN-padded at the end.

    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    lengths : ndarray of shape (n_samples,), dtype=int64
    """
    n_samples, n_steps, _ = padded.shape
    if n_steps == 0:
        raise ValueError(f"{name} has only empty sequences; each needs at least 1 time step.")
    # One pass without temporaries for the common case, as scikit-learn's _assert_all_finite:
    # the sum is finite unless some value is NaN or inf (or the sum overflows).
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(padded.sum()):
            return np.full(n_samples, n_steps, dtype=np.int64)
    infinite_steps = np.isinf(padded).any(axis=2)
    if infinite_steps.any():
        sample, step = np.argwhere(infinite_steps)[0]
        raise ValueError(
            f"{name} contains inf, or a value too large for {padded.dtype} (sequence {sample}, "
            f"time step {step}); expected finite values."
        )
    nan = np.isnan(padded)
    observed_steps = ~nan.all(axis=2)
    # argmax over the reversed steps finds the last observed step of every sequence at once.
    lengths = (n_steps - observed_steps[:, ::-1].argmax(axis=1)).astype(np.int64)
    lengths[~observed_steps.any(axis=1)] = 0
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        _refuse_empty_sequence(empty[0], name, n_samples, n_steps)
    nan_inside = nan.any(axis=2) & (np.arange(n_steps) < lengths[:, np.newaxis])
    if nan_inside.any():
        sample, step = np.argwhere(nan_inside)[0]
        if name != "y":
            _refuse_padding_in_front(
                nan_inside[sample],
                observed_steps[sample],
                sample,
                name,
                "all-NaN time step(s)",
                "If values are missing there, fill them first, e.g. with "
                "pygru.preprocessing.SequenceImputer in a pipeline.",
            )
        if observed_steps[sample, step]:
            problem = "is NaN in some features only; a padding time step is NaN in all of them"
        else:
            problem = (
                f"is NaN inside the sequence, which has values up to time step "
                f"{lengths[sample] - 1}; only trailing all-NaN time steps mark padding"
            )
        remedy = (
            "Fill or cut the time steps without targets (a Pipeline's steps transform X, never y)."
            if name == "y"
            else "Fill missing values inside sequences first, e.g. with "
            "pygru.preprocessing.SequenceImputer in a pipeline."
        )
        if name != "y" and _padded_along_features(nan[sample][observed_steps[sample]]):
            remedy += _CHANNELS_FIRST_HINT
        raise ValueError(
            f"{name} contains NaN: sequence {sample}, time step {step} {problem}. {remedy}"
        )
    return lengths


def _padded_along_features(missing):
    """Whether a sequence's NaN mask (its observed steps) looks like NaN padding laid out
    channels first: more features than steps, and every step missing the same final
    features, as each channel of aeon's (n_channels, n_timepoints) layout ends early."""
    n_steps, n_features = missing.shape
    first = missing[0]
    return bool(
        n_features > n_steps
        and first.any()
        and first[first.argmax() :].all()
        and (missing == first).all()
    )


def _trim_and_zero_padding(padded, lengths, owned):
    """Drop steps past the longest sequence, zero the steps past each length.

    ``padded`` is changed in place only if ``owned``; otherwise it is copied when changed.
    """
    n_steps = padded.shape[1]
    if lengths.min() == n_steps:
        return padded
    longest = lengths.max()
    if longest < n_steps or not owned:
        padded = padded[:, :longest].copy()
    # Block by block: a mask over all the sequences makes NumPy list every padded step's
    # indices (16 bytes each: 4 GB for one 100,000-step series among 2,000 short ones), and
    # row by row is slow for millions of short sequences.
    steps = np.arange(longest)
    for block in _sequence_blocks(padded):
        padded[block][steps >= lengths[block, np.newaxis]] = 0
    return padded


# Token ids are padded with 0, the id no token gets; NaN or -1 padding (the numeric
# input's and the per-step labels' conventions) is the usual slip.
_TOKEN_PADDING_HINT = "; token ids are padded with 0 (the padding id), not with NaN or -1."


def _as_token_ids(value, name, ndim):
    """``value`` as a C-contiguous int64 array of ``ndim`` dimensions of non-negative ids."""
    try:
        array = _as_real_array(value, name, booleans=False)  # a mask is not ids
    except TypeError:
        if _holds_text(value):
            raise TypeError(f"{name} holds text; {_TEXT_HINT}") from None
        raise
    if array.ndim != ndim:
        expected = "(n_samples, n_timesteps) array" if ndim == 2 else "(n_timesteps,) sequence"
        raise ValueError(
            f"{name} must be a {ndim}-D {expected} of token ids, got shape {array.shape}."
        )
    if array.dtype.kind == "f":
        fractional = ~np.isfinite(array) | (array != array.round())
        if fractional.any():
            raise ValueError(
                f"{name} must hold integer token ids, got {array[fractional][0]}"
                f"{_TOKEN_PADDING_HINT if np.isnan(array).any() else '.'}"
            )
    if array.size and array.min() < 0:
        raise ValueError(
            f"{name} must hold non-negative token ids, got {array.min()}{_TOKEN_PADDING_HINT}"
        )
    if array.size and array.max() > MAX_TOKEN_ID:
        raise ValueError(
            f"{name} holds token id {array.max()}; ids must be below "
            f"{MAX_TOKEN_ID + 1} (the embedding table has one row per id: "
            "map tokens to compact ids, e.g. with pygru.text.TokenSequencer)."
        )
    return np.ascontiguousarray(array, dtype=np.int64)


def padded_token_rows(X, name="X"):
    """The token ids of each sequence of the (non-empty) list ``X``, checked, in one int64
    array, each row followed by the padding id 0."""
    sequences = [_as_token_ids(item, f"{name}[{index}]", 1) for index, item in enumerate(X)]
    ids = np.zeros((len(sequences), max(map(len, sequences))), dtype=np.int64)
    for row, sequence in zip(ids, sequences):
        row[: len(sequence)] = sequence
    return ids


def _holds_text(value):
    """Whether ``value`` is text: a string, or an array of strings."""
    if isinstance(value, (str, bytes)):
        return True
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return False
    if array.dtype.kind in "US":
        return True
    return array.dtype.kind == "O" and array.size > 0 and isinstance(array.flat[0], (str, bytes))


def _token_lengths(ids, name):
    """Number of tokens of each row of ``ids``, up to its last non-zero id."""
    n_samples, n_steps = ids.shape
    tokens = ids != 0
    if n_steps == 0:
        lengths = np.zeros(n_samples, dtype=np.int64)
    else:
        lengths = (n_steps - tokens[:, ::-1].argmax(axis=1)).astype(np.int64)
        lengths[~tokens.any(axis=1)] = 0
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        raise ValueError(
            f"{name} has a sequence without tokens (sequence {empty[0]}); each needs at least "
            "1 non-zero token id (0 is padding)."
        )
    refuse_padding_inside(ids, lengths, name, "before its last token")
    return lengths


def refuse_ids_past_vocabulary(ids, vocabulary_size, name="X", given=False):
    """Raise if ``ids`` hold an id that an embedding of ``vocabulary_size`` rows has no row
    for (``given``: the estimator's ``vocabulary_size`` parameter, else the one fit set)."""
    if not (ids.size and ids.max() >= vocabulary_size):
        return
    if given:
        raise ValueError(
            f"{name} contains token id {ids.max()}, but vocabulary_size={vocabulary_size} "
            f"gives the embedding rows for ids 0..{vocabulary_size - 1} only"
        )
    raise ValueError(
        f"{name} contains token id {ids.max()}, but the model was fitted with ids "
        f"0..{vocabulary_size - 1}: its embedding has no row for a larger id (fit, or "
        "partial_fit's first call, sizes it by the largest id it sees, unless the "
        "estimator's vocabulary_size gives the size: a TokenSequencer's vocabulary_size_). "
        "Map tokens the training data did not hold to an id it did, such as the "
        "out-of-vocabulary id 1 of pygru.text.TokenSequencer."
    )


def _refuse_padding_in_front(inside, present, sample, name, padding, otherwise):
    """Raise where every gap (``inside``) of sequence ``sample`` comes before its first step
    with a value (``present``): padding in front, as ``keras.utils.pad_sequences`` puts it
    by default, or what ``otherwise`` says (the errors for a gap inside advised filling it,
    which made such padding data)."""
    first = int(present.argmax())
    if first == 0 or inside[first:].any():
        return
    raise ValueError(
        f"{name}'s sequence {sample} begins with {first} {padding} before its values. If "
        "that is padding in front, as keras.utils.pad_sequences pads by default "
        "(padding='pre'): pygru reads padding only after a sequence, so pad with "
        f"padding='post' or give the sequences unpadded, as a list. {otherwise}"
    )


def refuse_padding_inside(ids, lengths, name, where):
    """Raise if the padding id 0 occurs among the first ``lengths`` ids of a row."""
    zero_inside = (ids == 0) & (np.arange(ids.shape[1]) < lengths[:, np.newaxis])
    if zero_inside.any():
        sample, step = np.argwhere(zero_inside)[0]
        _refuse_padding_in_front(
            zero_inside[sample],
            ids[sample] != 0,
            sample,
            name,
            "id(s) 0",
            "If 0 is a token's id, ids must start at 1: 0 is reserved for padding.",
        )
        raise ValueError(
            f"{name} has the padding id 0 inside sequence {sample} (time step {step}, {where}); "
            "0 is reserved for padding, so token ids start at 1."
        )


def to_padded_with_gaps(X, dtype=np.float64, name="X"):
    """Check sequences that may miss values inside them and pad them into one array.

    As :func:`to_padded`, except that NaN inside a sequence is a missing value, kept as NaN,
    instead of an error. Trailing time steps that are NaN in every feature are still padding:
    a sequence ends at its last time step with a value in some feature.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps, n_features) or (n_samples, n_timesteps),\
            or list of array-like of shape (n_timesteps_i, n_features) or (n_timesteps_i,)
        The sequences, in any form :func:`to_padded` accepts.

    dtype : floating-point dtype, default=np.float64
        Dtype of the padded array.

    name : str, default="X"
        Name of the argument, used in error messages.

    Returns
    -------
    padded : ndarray of shape (n_samples, max(lengths), n_features)
        A new C-contiguous array of ``dtype``: NaN where a value is missing, zero past each
        sequence's length.

    lengths : ndarray of shape (n_samples,), dtype=int64
        Number of time steps of each sequence, >= 1.

    Examples
    --------
    >>> padded, lengths = to_padded_with_gaps([[1, np.nan, 3, np.nan], [4.0]])
    >>> padded[..., 0]
    array([[ 1., nan,  3.],
           [ 4.,  0.,  0.]])
    >>> lengths
    array([3, 1])
    """
    _reject_sparse(X, name)
    _check_levels(X, name)
    # to_padded checks the form and the values with every NaN read as 0, and once more to
    # place the NaN; both come out in the same layout, whatever the form of X.
    values, item_lengths = to_padded(_map_sequences(X, _nan_as_zero, name), dtype, name)
    missing = to_padded(_map_sequences(X, _nan_as_one, name), np.float32, name)[0] == 1
    n_steps = values.shape[1]
    has_value = ~missing.all(axis=2) & valid_steps(item_lengths, n_steps)
    empty = np.flatnonzero(~has_value.any(axis=1))
    if empty.size:
        _refuse_empty_sequence(empty[0], name, len(values), n_steps)
    lengths = (n_steps - has_value[:, ::-1].argmax(axis=1)).astype(np.int64)
    values[missing] = np.nan
    return _trim_and_zero_padding(values, lengths, owned=True), lengths


def _map_sequences(X, function, name):
    """``function(sequence, name)`` applied to the one array X or to each item of a list."""
    if _is_list_of_sequences(X):
        return [function(item, f"{name}[{index}]") for index, item in enumerate(X)]
    return function(X, name)


def _nan_as_zero(value, name):
    array = _as_real_array(value, name)
    return np.where(np.isnan(array), 0, array)


def _nan_as_one(value, name):
    return np.isnan(_as_real_array(value, name)).astype(np.uint8)


def _single_sequence_hint(X, n_features):
    """A hint when X looks like one sequence of shape (n_timesteps, n_features) given where
    a batch of sequences is expected (read as n_timesteps univariate sequences)."""
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2 or shape[1] != n_features:
        return ""
    return (
        f". X has shape {tuple(shape)}: if it is one sequence of {shape[0]} time steps, "
        "pass a batch of one, X[np.newaxis] (or [X])"
    )
