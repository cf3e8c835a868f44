"""Scikit-learn transformers for sequences: scaling and filling gaps.

``sklearn.preprocessing.StandardScaler`` and ``sklearn.impute.SimpleImputer`` refuse 3-D input.
The transformers here take sequences in every form the GRU estimators accept, and give them
back in the same form, so that they go into a ``Pipeline`` before
:class:`~pygru.GRUClassifier` or :class:`~pygru.GRURegressor`:

- a 3-D array ``(n_samples, n_timesteps, n_features)`` comes back as an array of the same
  shape, with its padding (trailing time steps that are NaN in every feature) still NaN;
- a 2-D array ``(n_samples, n_timesteps)`` of univariate sequences comes back 2-D, likewise;
- a list of ``(n_timesteps_i, n_features)`` or ``(n_timesteps_i,)`` arrays comes back as a
  list of float arrays of the same shapes; so do the other collections of sequences (a
  tuple, a 1-D object array, a pandas Series, whose index is not kept), and a DataFrame
  comes back as an array.

The values come back as float64, whatever their dtype was.

Any other NaN is a missing value inside a sequence: :class:`SequenceScaler` leaves it NaN
(as ``StandardScaler`` does), :class:`SequenceImputer` fills it. Statistics are learnt from the
values of the sequences only, never from their padding or their missing values.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from pygru._sequences import (
    _CHANNELS_FIRST_HINT,
    SequencesOut,
    _is_list_of_sequences,
    _sequence_blocks,
    check_n_features,
    in_order,
    read_by_length,
    scale_of_spread,
    sum_over_time,
    to_padded_with_gaps,
    valid_steps,
    warn_if_channels_first,
)
from pygru._sklearn_private import StrOptions, _check_sample_weight, _fit_context
from pygru._warnings import warn

__all__ = ["SequenceImputer", "SequenceScaler"]


class _SequenceTransformer(SequencesOut, TransformerMixin, BaseEstimator):
    """Reading sequences in every accepted form, and writing results back in that form."""

    def _read(self, X):
        """X as float64 ``(padded, lengths)``, NaN at missing values, with fit's number of
        features."""
        padded, lengths = to_padded_with_gaps(X, dtype=np.float64)
        check_n_features(X, padded, self.n_features_in_, type(self).__name__)
        return padded, lengths

    def _changed(self, X, change):
        """X read as :meth:`_read` reads it, changed in place by ``change(padded, lengths)``,
        in X's form, and the number of steps of its longest sequence. A list is read group
        by group of similar length (``read_by_length``), never padded to its longest
        sequence as a whole."""
        groups, parts, longest = [], [], 0
        for positions, part, (padded, lengths) in read_by_length(X, self._read):
            change(padded, lengths)
            groups.append(positions)
            parts.append(_in_form_of(part, padded, lengths))
            longest = max(longest, lengths.max())
        if groups[0] is None:
            return parts[0], longest
        ordered = [None] * sum(map(len, groups))
        for positions, part in zip(groups, parts):
            for position, sequence in zip(positions, part):
                ordered[position] = sequence
        return ordered, longest

    def _observed_groups(self, X, sample_weight):
        """Fit's input, group by group of similar length (``read_by_length``), never padded
        to its longest sequence as a whole: ``(padded, observed, weights)`` per group (the
        values, where they are observed, inside a sequence and not NaN, and the group's
        sequence weights, None for equal weights), the positions of each group's sequences
        in X (``read_by_length``'s), and the number of features. Fit sets its
        attributes only once it has learnt them all: a refused refit leaves the
        transformer as it was."""
        groups = [
            (positions, padded, lengths)
            for positions, _, (padded, lengths) in read_by_length(X, to_padded_with_gaps)
        ]
        if len({padded.shape[2] for _, padded, _ in groups}) > 1:
            to_padded_with_gaps(X)  # raises, naming two sequences of unlike features
        if len(groups) == 1:  # sequences of one length, as a channels-first array holds
            warn_if_channels_first(*groups[0][1:])
        if sample_weight is not None:
            n_samples = sum(len(lengths) for _, _, lengths in groups)
            sample_weight = _as_relative_weights(
                _check_sample_weight(
                    sample_weight, np.empty((n_samples, 0)), ensure_non_negative=True
                )
            )
        observed = [
            (
                padded,
                _observed(padded, lengths),
                sample_weight
                if sample_weight is None or positions is None
                else sample_weight[positions],
            )
            for positions, padded, lengths in groups
        ]
        return observed, [positions for positions, _, _ in groups], groups[0][1].shape[2]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # NaN inside a sequence is a missing value, trailing NaN is padding: both are allowed.
        tags.input_tags.allow_nan = True
        return tags


class SequenceScaler(_SequenceTransformer):
    """Standardise sequences: per feature over all time steps, or each sequence on its own.

    With ``per="feature"`` this is :class:`~sklearn.preprocessing.StandardScaler` applied to
    every time step of every sequence: each feature is centred on its mean and divided by its
    standard deviation over all the training sequences' time steps. With ``per="sequence"``
    each sequence is z-normalised per feature with its own mean and standard deviation, the
    usual preparation of UCR-style series, where the shape of a curve matters and its level
    does not; nothing is learnt from the training data then.

    Padding and missing values (NaN inside a sequence) are left out of every statistic and
    stay NaN. The output has the form of the input (see :mod:`pygru.preprocessing`).

    Parameters
    ----------
    per : {"feature", "sequence"}, default="feature"
        ``"feature"``: one mean and scale per feature, learnt by ``fit`` from all valid time
        steps of all training sequences. ``"sequence"``: one mean and scale per feature of
        each sequence, computed by ``transform`` from the whole sequence, its later steps
        included: in front of a causal per-step model (``output="sequence"`` with
        ``bidirectional=False``) each step's output then depends on the steps after it.

    with_mean : bool, default=True
        Subtract the mean.

    with_std : bool, default=True
        Divide by the standard deviation (the population one, ``ddof=0``, as
        ``StandardScaler``). A feature that is constant (in the training data, or in a
        sequence with ``per="sequence"``) gets scale 1, so it is only centred.

    Attributes
    ----------
    n_features_in_ : int
        Number of features per time step seen during ``fit``.

    mean_ : ndarray of shape (n_features_in_,)
        Mean of each feature over the valid, non-missing time steps of the training
        sequences (weighted by ``sample_weight``). Only with ``per="feature"``; subtracted
        only if ``with_mean``.

    var_ : ndarray of shape (n_features_in_,)
        Variance of each feature, likewise. Only with ``per="feature"``.

    scale_ : ndarray of shape (n_features_in_,)
        What each feature is divided by: ``sqrt(var_)`` (1 for a constant feature) if
        ``with_std``, else 1. Only with ``per="feature"``.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : The same for tabular data.
    SequenceImputer : Fills missing values inside sequences.

    Notes
    -----
    There is no ``get_feature_names_out``: the output is sequences, not a table of named
    columns; ``set_output`` accepts only the default container. With ``per="sequence"``,
    ``inverse_transform`` is not possible, since the statistics of the sequences that were
    transformed are not kept. There is no ``partial_fit``: for a stream of training batches,
    fit on a representative sample, or use ``per="sequence"``, which learns nothing from the
    training data. scikit-learn's ``FeatureUnion`` and ``ColumnTransformer`` join their parts as
    2-D tables, along axis 1, which for sequences is time (a list of sequences passes their
    3-D check): to use two scalings as features, join them along the features yourself,
    ``np.concatenate([a.transform(X), b.transform(X)], axis=-1)`` for arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from pygru.preprocessing import SequenceScaler
    >>> X = [np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0])]
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_, scaler.scale_.round(3)
    (array([7.2]), array([7.139]))
    >>> [sequence.round(2) for sequence in SequenceScaler(per="sequence").fit_transform(X)]
    [array([-1.22,  0.  ,  1.22]), array([-1.,  1.])]
    >>> padded = np.array([[1.0, np.nan, 5.0, np.nan], [2.0, 4.0, 6.0, 8.0]])
    >>> SequenceScaler(per="sequence").fit_transform(padded).round(2)
    array([[-1.  ,   nan,  1.  ,   nan],
           [-1.34, -0.45,  0.45,  1.34]])
    """

    _parameter_constraints: dict = {
        "per": [StrOptions({"feature", "sequence"})],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, per="feature", with_mean=True, with_std=True):
        self.per = per
        self.with_mean = with_mean
        self.with_std = with_std

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the mean and scale of each feature (``per="feature"``), or only the number
        of features (``per="sequence"``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or (n_samples,\
                n_timesteps), or list of array-like of shape (n_timesteps_i, n_features) or\
                (n_timesteps_i,)
            Training sequences; trailing all-NaN time steps are padding, other NaN missing.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence: every time step of a sequence counts with its weight, so
            a weight of k is k copies of the sequence. Ignored with ``per="sequence"``.

        Returns
        -------
        self : SequenceScaler
            The fitted scaler.
        """
        groups, positions, n_features = self._observed_groups(X, sample_weight)
        learnt = {}
        if self.per == "feature":
            mean, variance = _pooled_mean_and_variance(groups, positions)
            mean = _check_learnt(mean)
            scale = _scale(mean, variance) if self.with_std else np.ones_like(mean)
            learnt = dict(mean_=mean, var_=variance, scale_=scale)
        for attribute in ("mean_", "var_", "scale_"):
            self.__dict__.pop(attribute, None)
        self.__dict__.update(learnt, n_features_in_=n_features)
        return self

    def _check_fitted_for_per(self):
        """Fitted, and with the statistics ``per`` and ``with_std`` read:
        ``set_params(per="feature")`` after a fit with ``per="sequence"`` leaves none to
        read, ``set_params(with_std=True)`` after a fit without it no scale."""
        check_is_fitted(self)
        if self.per != "feature":
            return
        if not hasattr(self, "mean_"):
            raise NotFittedError(
                "This SequenceScaler was fitted with per='sequence', which learns no "
                "statistics; fit it again to use per='feature'."
            )
        if self.with_std and not np.array_equal(self.scale_, _scale(self.mean_, self.var_)):
            raise NotFittedError(
                "This SequenceScaler was fitted with with_std=False, which learns no scale "
                "(scale_ is 1); fit it again to use with_std=True."
            )

    def transform(self, X):
        """Standardise sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or (n_samples,\
                n_timesteps), or list of array-like of shape (n_timesteps_i, n_features) or\
                (n_timesteps_i,)
            Sequences with ``n_features_in_`` features per time step.

        Returns
        -------
        X_scaled : ndarray or list of ndarray
            The standardised sequences, float64, in the form of ``X``; padding and missing
            values stay NaN.
        """
        self._check_fitted_for_per()
        X_scaled, longest = self._changed(X, self._scale_in_place)
        if self.per == "sequence" and longest == 1:
            _warn_each_sequence_is_one_step(self.n_features_in_)
        return X_scaled

    def _scale_in_place(self, padded, lengths):
        if self.per == "feature":
            mean, scale = self.mean_, self.scale_
        else:
            mean, var = _sequence_mean_and_variance(padded, _observed(padded, lengths))
            # Centring alone needs no variance, whose squares overflow first (from about
            # 1e154, where per="feature" centres; audit39b); an infinite mean is refused.
            spread = var if self.with_std else np.zeros_like(var)
            mean, scale = mean[:, np.newaxis], _scale(mean, spread)[:, np.newaxis]
        if self.with_mean:
            padded -= mean
        if self.with_std:
            padded /= scale

    def inverse_transform(self, X):
        """Undo the scaling learnt with ``per="feature"``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or (n_samples,\
                n_timesteps), or list of array-like of shape (n_timesteps_i, n_features) or\
                (n_timesteps_i,)
            Standardised sequences.

        Returns
        -------
        X_original : ndarray or list of ndarray
            ``X * scale_ + mean_`` (each term as used by ``transform``), float64, in the form
            of ``X``.
        """
        self._check_fitted_for_per()
        if self.per == "sequence":
            raise ValueError(
                "SequenceScaler(per='sequence') cannot inverse_transform: each sequence was "
                "scaled with its own statistics, which are not kept. Use per='feature' for an "
                "invertible scaling."
            )
        return self._changed(X, self._unscale_in_place)[0]

    def _unscale_in_place(self, padded, lengths):
        if self.with_std:
            padded *= self.scale_
        if self.with_mean:
            padded += self.mean_


class SequenceImputer(_SequenceTransformer):
    """Fill missing values (NaN) inside sequences along time.

    Each feature of each sequence is filled from its own observed values: by carrying the
    last observed value forward (``"ffill"``), or by linear interpolation between the
    observed values on either side (``"linear"``). Before a feature's first observed value
    both methods use that value (a backward fill); after its last observed value, the
    last one. Where a feature has no observed value in the whole sequence, it is filled with
    the feature's mean over the training sequences, ``statistics_``; so ``fit`` needs every
    feature observed at least once (with a weight above 0), and refuses X otherwise (a
    ValueError naming the feature).

    Trailing time steps that are NaN in every feature are padding, which marks where a
    sequence ends, and stay NaN; so a gap in every feature at the very end of a sequence is
    read as padding too. The output has the form of the input (see
    :mod:`pygru.preprocessing`).

    Parameters
    ----------
    method : {"ffill", "linear"}, default="ffill"
        ``"ffill"``: a missing value takes the last observed value before it. ``"linear"``:
        it lies on the straight line between the observed values before and after it,
        by time step (as ``numpy.interp`` and ``pandas.Series.interpolate()``).

    Attributes
    ----------
    n_features_in_ : int
        Number of features per time step seen during ``fit``.

    statistics_ : ndarray of shape (n_features_in_,)
        Mean of each feature over the observed time steps of the training sequences
        (weighted by ``sample_weight``): the fill value of a feature that a sequence
        never observes.

    See Also
    --------
    sklearn.impute.SimpleImputer : Fills missing values of tabular data with a statistic.
    SequenceScaler : Standardises sequences; missing values stay NaN there.

    Notes
    -----
    There is no ``get_feature_names_out``: the output is sequences, not a table of named
    columns; ``set_output`` accepts only the default container. scikit-learn's
    ``FeatureUnion`` and ``ColumnTransformer`` join their parts along axis 1, which for
    sequences is time (see :class:`SequenceScaler`).

    Examples
    --------
    >>> import numpy as np
    >>> from pygru.preprocessing import SequenceImputer
    >>> X = np.array([[np.nan, 1.0, np.nan, np.nan, 4.0, np.nan],
    ...               [2.0, 2.0, np.nan, np.nan, np.nan, np.nan]])
    >>> SequenceImputer().fit_transform(X)
    array([[ 1.,  1.,  1.,  1.,  4., nan],
           [ 2.,  2., nan, nan, nan, nan]])
    >>> SequenceImputer(method="linear").fit_transform(X)
    array([[ 1.,  1.,  2.,  3.,  4., nan],
           [ 2.,  2., nan, nan, nan, nan]])
    >>> imputer = SequenceImputer().fit([np.array([[1.0, 10.0], [3.0, np.nan]])])
    >>> imputer.statistics_
    array([ 2., 10.])
    >>> imputer.transform([np.array([[5.0, np.nan], [np.nan, np.nan], [7.0, np.nan]])])
    [array([[ 5., 10.],
           [ 5., 10.],
           [ 7., 10.]])]
    """

    _parameter_constraints: dict = {"method": [StrOptions({"ffill", "linear"})]}

    def __init__(self, *, method="ffill"):
        self.method = method

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn each feature's mean, the fill value where a sequence never observes it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or (n_samples,\
                n_timesteps), or list of array-like of shape (n_timesteps_i, n_features) or\
                (n_timesteps_i,)
            Training sequences; trailing all-NaN time steps are padding, other NaN missing.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the means: a weight of k is k copies of the sequence.

        Returns
        -------
        self : SequenceImputer
            The fitted imputer.
        """
        groups, positions, n_features = self._observed_groups(X, sample_weight)
        # A feature that is one value throughout is filled with that value, not with the
        # rounding drift of its mean (as SequenceScaler centres it).
        mean, _ = _pooled_mean_and_variance(groups, positions)
        self.statistics_ = _check_learnt(mean)
        self.n_features_in_ = n_features
        return self

    def transform(self, X):
        """Fill the missing values inside sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or (n_samples,\
                n_timesteps), or list of array-like of shape (n_timesteps_i, n_features) or\
                (n_timesteps_i,)
            Sequences with ``n_features_in_`` features per time step.

        Returns
        -------
        X_filled : ndarray or list of ndarray
            The sequences without missing values, float64, in the form of ``X``; the padding
            stays NaN.
        """
        check_is_fitted(self)
        return self._changed(X, self._fill_in_place)[0]

    def _fill_in_place(self, padded, lengths):
        _fill_along_time(padded, _observed(padded, lengths), self.method)
        statistics = np.broadcast_to(self.statistics_, padded.shape)
        np.copyto(padded, statistics, where=np.isnan(padded))  # padding is NaN again in X's form


def _warn_each_sequence_is_one_step(n_features):
    """Warn that per-sequence scaling set every value to 0: a sequence of one time step is its
    own mean. The likelier cause is a channels-first array, as the estimators say."""
    warn(
        "Every sequence of X has one time step, so scaling each by its own statistics "
        "(per='sequence') sets every value to 0."
        + (_CHANNELS_FIRST_HINT if n_features > 1 else ""),
        UserWarning,
    )


def _observed(padded, lengths):
    """Mask of the values that are inside their sequence and not missing, like ``padded``."""
    return valid_steps(lengths, padded.shape[1])[:, :, np.newaxis] & ~np.isnan(padded)


def _as_relative_weights(sample_weight):
    """``sample_weight`` scaled by the power of two that brings the largest into [0.5, 1),
    where their sum could overflow or where they are small: the statistics depend on the
    weights' ratios alone. Weights near 1e308 summed to inf (a mean of finite / inf = 0,
    silently), and subnormal ones rounded their products with the values (weights of
    1e-323 and 3e-323 gave the mean of 1 and 1; audit39b). Other weights are left as they
    are (dividing would round subnormal ones among them, even to 0); a multiplication by a
    power of two is exact for the rest, and a larger one for all."""
    largest = sample_weight.max(initial=0.0)
    if largest == 0 or 0.5 <= largest <= np.finfo(sample_weight.dtype).max / (
        2 * len(sample_weight)
    ):
        return sample_weight
    return np.ldexp(sample_weight, -int(np.frexp(largest)[1]))


def _weights(observed, sample_weight):
    """Each value's weight: its sequence's ``sample_weight`` where observed, else 0."""
    return observed if sample_weight is None else observed * sample_weight[:, None, None]


def _sequence_mean_and_variance(padded, observed):
    """Each sequence's mean and variance (n_samples, n_features) over its observed values
    (``SequenceScaler(per="sequence")``)."""
    return _mean_and_variance([(padded, observed, None)], lambda per_group, ufunc: per_group[0])


def _pooled_mean_and_variance(groups, positions):
    """The mean and variance (n_features,) over the observed values of all sequences,
    given group by group ``(padded, observed, sample_weight)`` with each group's positions
    in X: each sequence's sums over time are added up in X's order, so that every form of
    the same sequences (a list, read in groups; an array, however wide its padding) gives
    the same bits."""
    return _mean_and_variance(
        groups, lambda per_group, ufunc: ufunc.reduce(in_order(positions, per_group), axis=0)
    )


def _mean_and_variance(groups, across_sequences):
    """Mean and variance of the observed values of ``groups``, ``(padded, observed,
    sample_weight)`` each, every value weighted by its sequence's weight. Each sequence's
    sums over time (in time order, :func:`~pygru._sequences.sum_over_time`), one
    (n_samples_g, n_features) array per group, become the statistics' terms by
    ``across_sequences(per_group, ufunc)``: kept per sequence, or reduced over all sequences
    by ``ufunc`` (``np.add``, ``np.minimum``, ``np.maximum``).

    The mean is NaN where there is no observed value, infinite where their sum overflows
    (as is the variance then, which the scale refuses by name). Where the values are all
    one value, that value is the mean and the variance 0: their sum rounds (the mean of
    2,000 copies of 0.1 drifts by hundreds of ulps), and the drift squared was taken for a
    spread, so that such a feature was scaled to +-1 and a new value to 1e13."""
    weighted = [(padded, observed, _weights(observed, w)) for padded, observed, w in groups]

    def summed(terms):
        return across_sequences([sum_over_time(term) for term in terms], np.add)

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        total = summed(weights for _, _, weights in weighted)
        mean = summed(w * np.where(observed, padded, 0.0) for padded, observed, w in weighted)
        mean = mean / total
        mean = np.where(np.isnan(mean) & (total > 0), np.inf, mean)  # overflowing both ways
        centred = np.expand_dims(mean, -2)  # over the time axis
        variance = summed(
            w * np.square(np.where(observed, padded - centred, 0.0))
            for padded, observed, w in weighted
        )
        variance = variance / total
    counted = [(padded, observed & (w > 0)) for padded, observed, w in weighted]
    low = across_sequences([np.where(c, x, np.inf).min(axis=1) for x, c in counted], np.minimum)
    high = across_sequences([np.where(c, x, -np.inf).max(axis=1) for x, c in counted], np.maximum)
    constant = low == high
    return np.where(constant, low, mean), np.where(constant, 0.0, variance)


def _scale(mean, variance):
    """The scale of features of ``mean`` and ``variance``: their standard deviation, 1 where
    a feature is constant."""
    return scale_of_spread(mean, np.sqrt(variance))


def _check_learnt(mean):
    """Raise if a feature's training mean is NaN (the feature had no value to learn from)
    or infinite (its values are too large to add up in float64)."""
    unobserved = np.flatnonzero(np.isnan(mean))
    if unobserved.size:
        raise ValueError(
            f"Feature {unobserved[0]} of X has no value to learn from: it is NaN (or its "
            "sequences have sample_weight 0) at every time step of every sequence."
        )
    overflowing = np.flatnonzero(np.isinf(mean))
    if overflowing.size:
        raise ValueError(
            f"Feature {overflowing[0]} of X has values too large to average: their sum "
            "overflows float64. Divide the feature by a common factor first."
        )
    return mean


def _fill_along_time(padded, observed, method):
    """Fill ``padded`` in place as :func:`_filled` does, block by block of sequences, so that
    its temporaries (a dozen arrays of the block's size) stay small beside the data."""
    for block in _sequence_blocks(padded):
        padded[block] = _filled(padded[block], observed[block], method)


def _filled(padded, observed, method):
    """Each unobserved value inside a sequence filled from the observed values of its
    feature: the one before it ("ffill") or the line between the ones around it ("linear");
    the nearest one where only one side has any. NaN where neither side has one."""
    n_steps = padded.shape[1]
    steps = np.broadcast_to(np.arange(n_steps)[:, np.newaxis], padded.shape[1:])
    before = np.maximum.accumulate(np.where(observed, steps, -1), axis=1)
    after = np.minimum.accumulate(np.where(observed, steps, n_steps)[:, ::-1], axis=1)[:, ::-1]
    has_before, has_after = before >= 0, after < n_steps
    value_before = np.take_along_axis(padded, np.maximum(before, 0), axis=1)
    value_after = np.take_along_axis(padded, np.minimum(after, n_steps - 1), axis=1)
    filled = np.where(has_before, value_before, value_after)
    if method == "linear":
        between = has_before & has_after & ~observed
        fraction = (steps - before) / np.where(between, after - before, 1)
        with np.errstate(over="ignore", invalid="ignore"):
            line = value_before + fraction * (value_after - value_before)
            # Neighbours of opposite sign near float64's limit: their difference overflows
            # where the weighted mean of the two does not (1.5e308 and -1.5e308 gave -inf).
            line = np.where(
                np.isfinite(line), line, (1 - fraction) * value_before + fraction * value_after
            )
        filled = np.where(between, line, filled)
    filled[~(has_before | has_after)] = np.nan
    return np.where(observed, padded, filled)


def _in_form_of(X, padded, lengths):
    """``padded``'s valid time steps in the form of the sequences ``X``: an array of X's
    shape, or a list of arrays of its items' shapes, NaN where X has padding."""
    if _is_list_of_sequences(X):
        shapes = [np.shape(item) for item in X]
        out = _nan_padded(padded, lengths, max(shape[0] for shape in shapes))
        # copies: views would keep the whole padded block alive
        return [sequence[: shape[0]].reshape(shape).copy() for sequence, shape in zip(out, shapes)]
    shape = np.asarray(X).shape
    return _nan_padded(padded, lengths, shape[1]).reshape(shape)


def _nan_padded(padded, lengths, n_steps):
    """``padded`` (the caller's own array, changed in place) with NaN after its valid time
    steps, widened to ``n_steps`` steps where it has fewer."""
    padded[~valid_steps(lengths, padded.shape[1])] = np.nan
    if padded.shape[1] == n_steps:
        return padded
    out = np.full((padded.shape[0], n_steps, padded.shape[2]), np.nan)
    out[:, : padded.shape[1]] = padded
    return out
