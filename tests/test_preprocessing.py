"""SequenceScaler and SequenceImputer: every input form in and the same form out, statistics
against scikit-learn and NumPy computed by hand, scikit-learn's own checks, and pipelines
before the GRU estimators on real data."""

import warnings

import numpy as np
import pytest
from conftest import record_padded_sizes
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from pygru import GRUClassifier, GRURegressor
from pygru._sequences import feature_statistics
from pygru.datasets import load_airline, load_italy_power_demand, make_windows
from pygru.preprocessing import SequenceImputer, SequenceScaler

TRANSFORMERS = [
    SequenceScaler(),
    SequenceScaler(per="sequence"),
    SequenceScaler(with_mean=False),
    SequenceImputer(),
    SequenceImputer(method="linear"),
]

# A 2-D X is a batch of univariate sequences whose columns are time steps (as for the
# estimators), so checks that expect a narrower 2-D X to be refused meet a valid batch of
# shorter sequences.
TABULAR_ONLY = {
    "check_n_features_in": "n_features_in_ counts features per time step, not columns",
    "check_n_features_in_after_fitting": "2-D X of another width is a valid sequence length",
    "check_transformer_general": "its consistency part passes (test_fit_transform_is_fit_"
    "then_transform); it then expects transform to refuse X with one column less, which is "
    "a shorter sequence",
    # Its array-like part passes; a list is a batch of ragged sequences, as for the
    # estimators, and comes back as a list of arrays, which has no .shape.
    "check_transformer_data_not_an_array": "X.tolist() is a list of sequences: a list out",
}


@parametrize_with_checks(TRANSFORMERS, expected_failed_checks=lambda _: TABULAR_ONLY)
def test_scikit_learn_checks(estimator, check):
    check(estimator)


def make_sequences(seed=0, n_features=2, gaps=0.0):
    """Ragged sequences (a list of (T_i, n_features) arrays) of lengths 3..9 on different
    levels, with about a fraction ``gaps`` of values missing (NaN) inside them."""
    rng = np.random.default_rng(seed)
    sequences = []
    for length in rng.integers(3, 10, size=7):
        sequence = rng.normal(5.0, 3.0, size=(length, n_features)) * np.arange(1, n_features + 1)
        sequence[rng.random(sequence.shape) < gaps] = np.nan
        sequence[-1] = rng.normal(size=n_features)  # the last step is not padding
        sequences.append(sequence)
    return sequences


def nan_padded(sequences, n_steps=None):
    """The sequences as one 3-D array, padded with all-NaN steps to ``n_steps``."""
    n_steps = n_steps or max(map(len, sequences))
    padded = np.full((len(sequences), n_steps, sequences[0].shape[1]), np.nan)
    for row, sequence in zip(padded, sequences):
        row[: len(sequence)] = sequence
    return padded


def valid_rows(sequences):
    return np.concatenate(sequences)


# ------------------------------------------------------------------------ input forms
@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_every_input_form_comes_back_in_its_form(transformer):
    sequences = make_sequences(gaps=0.2)
    expected = clone(transformer).fit_transform(sequences)
    assert isinstance(expected, list)
    assert [out.shape for out in expected] == [sequence.shape for sequence in sequences]

    # A 3-D array with two more padding steps than its longest sequence keeps them all.
    padded = nan_padded(sequences, n_steps=11)
    out = clone(transformer).fit_transform(padded)
    assert out.shape == padded.shape
    np.testing.assert_array_equal(out, nan_padded(expected, n_steps=11))

    univariate = [sequence[:, 0] for sequence in sequences]
    expected_univariate = clone(transformer).fit_transform(univariate)
    assert [out.shape for out in expected_univariate] == [s.shape for s in univariate]
    out = clone(transformer).fit_transform(nan_padded(sequences)[:, :, 0])
    assert out.ndim == 2
    as_3d = [sequence[:, np.newaxis] for sequence in expected_univariate]
    np.testing.assert_array_equal(out, nan_padded(as_3d)[..., 0])
    # Tuples, 1-D object arrays and integers are sequences too.
    integers = [np.arange(1, length + 1) for length in (3, 5)]
    as_floats = clone(transformer).fit_transform([x.astype(float) for x in integers])
    for form in (tuple(integers), np.array(integers, dtype=object)):
        out = clone(transformer).fit_transform(form)
        np.testing.assert_array_equal(np.concatenate(out), np.concatenate(as_floats))


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_list_items_keep_their_trailing_nan_steps(transformer):
    sequences = make_sequences(gaps=0.2)
    with_padding = [np.vstack([sequence, np.full((2, 2), np.nan)]) for sequence in sequences]
    out = clone(transformer).fit_transform(with_padding)
    expected = clone(transformer).fit_transform(sequences)
    for item, sequence in zip(out, expected):
        np.testing.assert_array_equal(item[: len(sequence)], sequence)
        assert item.shape == (len(sequence) + 2, 2) and np.isnan(item[len(sequence) :]).all()


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_list_items_own_their_values(transformer):
    # Views into the padded block the transform works in kept all of it alive (117 MiB
    # behind 3 MiB of values, for one long sequence among short ones).
    out = clone(transformer).fit_transform(make_sequences(gaps=0.2))
    assert all(item.base is None for item in out)


def ragged_sequences(seed=0):
    """A list of sequences from 1 to 2,000 steps (many groups of similar length), with gaps
    and, for some, trailing NaN steps."""
    rng = np.random.default_rng(seed)
    sequences = []
    for length in [3, 2000, 1, 7, 40, 5, 300, 2, 9, 1000, 4, 6]:
        sequence = rng.normal(2.0, 3.0, size=(length, 2))
        sequence[rng.random(sequence.shape) < 0.1] = np.nan
        sequence[-1] = rng.normal(size=2)
        sequences.append(np.vstack([sequence, np.full((length % 3, 2), np.nan)]))
    return sequences


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_a_ragged_list_is_transformed_as_each_sequence_alone(transformer):
    """A list is read in groups of similar length, never padded to its longest sequence as
    a whole: each sequence comes back as it does alone, in X's order, in every form."""
    pd = pytest.importorskip("pandas")
    X = ragged_sequences()
    fitted = clone(transformer).fit(X)
    together = fitted.transform(pd.Series(X, index=np.arange(len(X))[::-1], dtype=object))
    assert isinstance(together, list) and len(together) == len(X)
    with warnings.catch_warnings():  # per="sequence" on a sequence of one step
        warnings.simplefilter("ignore", UserWarning)
        for sequence, transformed in zip(X, together):
            np.testing.assert_array_equal(fitted.transform([sequence])[0], transformed)
    if getattr(transformer, "per", None) == "feature":
        for sequence, restored in zip(X, fitted.inverse_transform(together)):
            np.testing.assert_array_equal(
                fitted.inverse_transform([fitted.transform([sequence])[0]])[0], restored
            )


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_a_ragged_list_is_never_padded_to_its_longest_sequence_as_a_whole(
    transformer, monkeypatch
):
    # One series of 5,000 steps among 10,000 short ones: 14-27 s and 2.3-6.2 GB, 100-200x
    # NumPy on each sequence; 0.2 s now.
    import pygru.preprocessing as preprocessing

    # fit did so until later (6 s and 1.4 GB where transform took 0.2 s).
    X = ragged_sequences()
    padded_sizes = record_padded_sizes(monkeypatch, preprocessing, "to_padded_with_gaps")
    fitted = clone(transformer).fit(X)
    fitted.transform(X)
    clone(transformer).fit_transform(X, sample_weight=np.arange(len(X)) % 3)
    assert max(padded_sizes) < 2 * sum(map(len, X))


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_fit_on_a_ragged_list_learns_what_it_learns_from_the_padded_array(transformer):
    # fit reads a list in groups of similar length; its statistics keep their bits.
    X = ragged_sequences()
    weights = np.arange(len(X)) % 3
    padded = np.full((len(X), max(map(len, X)) + 2, 2), np.nan)
    for row, sequence in zip(padded, X):
        row[: len(sequence)] = sequence
    for sample_weight in (None, weights):
        from_list = clone(transformer).fit(X, sample_weight=sample_weight)
        from_array = clone(transformer).fit(padded, sample_weight=sample_weight)
        for name in ("mean_", "var_", "scale_", "statistics_", "n_features_in_"):
            if hasattr(from_array, name):
                np.testing.assert_array_equal(getattr(from_list, name), getattr(from_array, name))
    repeated = [sequence for sequence, k in zip(X, weights) for _ in range(k)]
    for name in ("mean_", "var_", "statistics_"):
        if hasattr(from_array, name):
            np.testing.assert_allclose(
                getattr(from_list, name),
                getattr(clone(transformer).fit(repeated), name),
                rtol=1e-12,
            )


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_bad_lists_are_refused_as_before_the_grouping_by_length(transformer):
    fitted = clone(transformer).fit(ragged_sequences())
    with pytest.raises(ValueError, match=r"X has 0 sample\(s\) \(an empty list\)"):
        fitted.transform([])
    mixed = [np.zeros((3, 2)), np.zeros((10, 2)), np.full((10, 2), "a")]
    with pytest.raises(TypeError, match=r"^X\[2\] must hold real numbers"):
        fitted.transform(mixed)


@pytest.mark.parametrize("position", [2, 9, 1])
def test_an_error_in_a_ragged_list_names_the_sequence_by_its_place_in_x(position):
    X = ragged_sequences()
    fitted = SequenceImputer().fit(X)
    X[position] = np.full_like(X[position], np.nan)
    with pytest.raises(ValueError, match=rf"X has an empty sequence \(sequence {position}\)"):
        fitted.transform(X)
    with pytest.raises(ValueError, match=rf"X has an empty sequence \(sequence {position}\)"):
        SequenceScaler().fit(X)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_one_series_in_a_column_with_gaps_is_told_how_to_pass_it_as_one(transformer):
    # A DataFrame's column (T, 1) is T one-step sequences, its NaN rows empty ones: the
    # error did not say how X had been read, though the gap warnings send users here.
    column = np.r_[np.arange(10.0), np.nan, np.arange(5.0)][:, np.newaxis]
    with pytest.raises(
        ValueError, match=r"read as 16 sequences of one time step .*X\[np\.newaxis\]"
    ):
        clone(transformer).fit(column)
    assert clone(transformer).fit_transform(column[np.newaxis]).shape == (1, 16, 1)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_fit_refuses_a_list_whose_groups_have_unlike_features(transformer):
    # Each group of similar length is consistent; the list is not.
    X = ragged_sequences()
    X[1] = np.ones((2000, 3))
    with pytest.raises(ValueError, match=r"same number of features: X\[0\] has 2, X\[1\] has 3"):
        clone(transformer).fit(X)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_fit_transform_is_fit_then_transform(transformer):
    sequences = make_sequences(gaps=0.2)
    fitted = clone(transformer).fit(sequences)
    at_once = clone(transformer).fit_transform(sequences)
    for out, again in zip(at_once, fitted.transform(sequences)):
        np.testing.assert_array_equal(out, again)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_the_input_is_not_changed(transformer):
    padded = nan_padded(make_sequences(gaps=0.2))
    copy = padded.copy()
    clone(transformer).fit(padded).transform(padded)
    np.testing.assert_array_equal(padded, copy)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_pandas_missing_values_are_gaps(transformer):
    pandas = pytest.importorskip("pandas")
    values = np.array([[1.0, np.nan, 3.0, 4.0], [2.0, 2.0, 5.0, np.nan]])
    frame = pandas.DataFrame(values, dtype="Float64")  # a nullable dtype: pd.NA, not NaN
    np.testing.assert_array_equal(
        clone(transformer).fit_transform(frame), clone(transformer).fit_transform(values)
    )


# ------------------------------------------------------------------------ SequenceScaler
@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("with_std", [True, False])
def test_per_feature_is_standard_scaler_on_the_valid_steps(with_mean, with_std):
    sequences = make_sequences(gaps=0.2)
    weights = np.random.default_rng(1).uniform(0.5, 3.0, size=len(sequences))
    step_weights = np.concatenate([np.full(len(s), w) for s, w in zip(sequences, weights)])
    params = dict(with_mean=with_mean, with_std=with_std)
    statistics = StandardScaler().fit(valid_rows(sequences), sample_weight=step_weights)
    reference = StandardScaler(**params).fit(valid_rows(sequences), sample_weight=step_weights)

    scaler = SequenceScaler(**params).fit(nan_padded(sequences, 12), sample_weight=weights)
    np.testing.assert_allclose(scaler.mean_, statistics.mean_, rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, statistics.var_, rtol=1e-12)
    expected_scale = statistics.scale_ if with_std else np.ones(2)
    np.testing.assert_allclose(scaler.scale_, expected_scale, rtol=1e-12)
    out = scaler.transform(sequences)
    np.testing.assert_allclose(
        valid_rows(out), reference.transform(valid_rows(sequences)), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(valid_rows(scaler.inverse_transform(out)), valid_rows(sequences))


@pytest.mark.parametrize("size", [1e-15, 1e-300, 1.0, 1e6])
def test_a_feature_is_constant_only_at_the_rounding_level_of_its_values(size):
    # The test is relative, as StandardScaler's: tiny values are scaled like any other.
    # SequenceScaler is StandardScaler's twin, which takes values below about 1e-154 for
    # constants (their squares underflow); the estimators' own statistics do not (audit35a).
    unit_rows = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]])
    rows = size * unit_rows
    reference = StandardScaler().fit(rows)
    for per in ("feature", "sequence"):
        out = SequenceScaler(per=per).fit_transform(rows[np.newaxis])[0]
        np.testing.assert_allclose(out, reference.transform(rows), rtol=1e-9, atol=1e-12)
    mean, scale = feature_statistics(rows[np.newaxis], np.array([4]))
    expected = [size * np.std(unit_rows[:, 0]), 1.0]  # the second feature is constant
    np.testing.assert_allclose(scale, expected, rtol=1e-9)


@pytest.mark.parametrize("value", [0.1, 3.7, 1 / 3, 1e6 + 0.1])
def test_a_constant_feature_beside_others_is_only_centred(value):
    # With two features or more NumPy adds the time steps one after the other: the mean of
    # 2,000 copies of 0.1 drifted by hundreds of ulps, whose square was taken for a spread
    # (scale 3.5e-15), so the feature came out as +-1 and a new value 0.2 as 3e13.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 20, 3))
    X[:, :, 0] = value
    scaler = SequenceScaler().fit(X)
    assert scaler.mean_[0] == value and scaler.var_[0] == 0.0 and scaler.scale_[0] == 1.0
    np.testing.assert_array_equal(scaler.transform(X)[:, :, 0], 0.0)
    new = X[:1].copy()
    new[:, :, 0] = value + 0.1
    np.testing.assert_allclose(scaler.transform(new)[:, :, 0], 0.1)
    long_sequence = rng.standard_normal((1, 500, 3))
    long_sequence[:, :, 1] = value  # one sequence's constant channel
    per_sequence = SequenceScaler(per="sequence").fit_transform(long_sequence)
    np.testing.assert_array_equal(per_sequence[0, :, 1], 0.0)


def test_per_sequence_scaling_has_the_same_bits_alone_and_beside_a_longer_sequence():
    # A univariate sequence's statistics were summed pairwise along a contiguous time axis,
    # in groups that depend on the padded width of its batch: 129 of 200 differed in the
    # last bits (5.6e-17) beside a 1,500-step sequence.
    rng = np.random.default_rng(0)
    scaler = SequenceScaler(per="sequence").fit([rng.standard_normal(10)])
    for _ in range(20):
        short, longer = rng.standard_normal(200), rng.standard_normal(1500)
        alone = scaler.transform([short])[0]
        beside = scaler.transform([short, longer])[0]
        np.testing.assert_array_equal(alone, beside)


def test_a_scaler_fitted_without_std_refuses_to_scale_until_fitted_with_it():
    # set_params(with_std=True) after a fit without it left scale_ at 1: transform quietly
    # did not scale (StandardScaler raises there).
    sequences = make_sequences()
    scaler = SequenceScaler(with_std=False).fit(sequences).set_params(with_std=True)
    with pytest.raises(NotFittedError, match="fitted with with_std=False.*fit it again"):
        scaler.transform(sequences)
    refitted = scaler.fit(sequences)
    np.testing.assert_allclose(np.nanstd(valid_rows(refitted.transform(sequences)), axis=0), 1.0)
    # the other way round, the scale learnt is simply not used
    unscaled = SequenceScaler().fit(sequences).set_params(with_std=False).transform(sequences)
    expected = SequenceScaler(with_std=False).fit(sequences).transform(sequences)
    np.testing.assert_array_equal(valid_rows(unscaled), valid_rows(expected))


@pytest.mark.parametrize("per", ["feature", "sequence"])
def test_values_whose_spread_overflows_are_refused(per):
    # They used to be scaled by inf: every output 0, with only a RuntimeWarning.
    X = np.array([[[1.0, 1e200], [2.0, -1e200], [3.0, 1e200]]])
    with (
        np.errstate(over="ignore"),
        pytest.raises(ValueError, match=r"feature\(s\) \[1\] overflows"),
    ):
        SequenceScaler(per=per).fit_transform(X)
    # Centring alone needs no spread: per="sequence" refused it, where per="feature"
    # centres (audit39b); each sequence's mean is subtracted.
    with np.errstate(over="ignore"):
        centred = SequenceScaler(per=per, with_std=False).fit_transform(X)
    np.testing.assert_array_equal(centred[0, :, 0], [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(centred[0, :, 1], X[0, :, 1] - X[0, :, 1].mean(), rtol=1e-15)


def test_per_feature_fits_on_the_valid_steps_only():
    """Statistics of the sequences' own steps: neither padding nor gaps count, and a
    sequence's weight is its number of copies."""
    sequences = make_sequences(gaps=0.2)
    rows = valid_rows(sequences)
    scaler = SequenceScaler().fit(nan_padded(sequences, 20))
    np.testing.assert_allclose(scaler.mean_, np.nanmean(rows, axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, np.nanstd(rows, axis=0), rtol=1e-12)
    weights = np.array([2, 0, 1, 1, 3, 1, 1])
    weighted = SequenceScaler().fit(sequences, sample_weight=weights)
    repeated = SequenceScaler().fit([s for s, w in zip(sequences, weights) for _ in range(w)])
    np.testing.assert_allclose(weighted.mean_, repeated.mean_, rtol=1e-12)
    np.testing.assert_allclose(weighted.scale_, repeated.scale_, rtol=1e-12)


def test_per_sequence_z_normalises_each_sequence():
    sequences = make_sequences(gaps=0.2)
    sequences[2][:, 1] = 4.0  # a constant feature of one sequence is only centred
    out = SequenceScaler(per="sequence").fit_transform(nan_padded(sequences))
    for row, sequence in zip(out, sequences):
        scale = np.nanstd(sequence, axis=0)
        scale[scale == 0] = 1.0
        expected = (sequence - np.nanmean(sequence, axis=0)) / scale
        np.testing.assert_allclose(row[: len(sequence)], expected, rtol=1e-12, atol=1e-12)
        assert np.isnan(row[len(sequence) :]).all()
    np.testing.assert_array_equal(out[2][: len(sequences[2]), 1], 0.0)
    # Divided by the spread around the mean, not centred, without with_mean.
    unscaled = SequenceScaler(per="sequence", with_mean=False).fit_transform(sequences)
    np.testing.assert_allclose(unscaled[0], sequences[0] / np.nanstd(sequences[0], axis=0))


def test_per_sequence_does_not_depend_on_the_training_data():
    sequences = make_sequences(gaps=0.2)
    scaler = SequenceScaler(per="sequence").fit(make_sequences(seed=5))
    assert not hasattr(scaler, "mean_")
    alone = [scaler.transform([sequence])[0] for sequence in sequences]
    np.testing.assert_array_equal(valid_rows(alone), valid_rows(scaler.transform(sequences)))
    with pytest.raises(ValueError, match=r"\(per='sequence'\) cannot inverse_transform"):
        scaler.inverse_transform(sequences)


def test_refitting_per_sequence_drops_the_learnt_statistics():
    scaler = SequenceScaler().fit(make_sequences())
    scaler.set_params(per="sequence").fit(make_sequences())
    assert not hasattr(scaler, "mean_") and not hasattr(scaler, "scale_")


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_a_refused_refit_leaves_the_fitted_transformer_as_it_was(transformer):
    # A refit refused for its sample_weight left the scaler without its statistics ("fitted
    # with per='sequence'", which it was not) and the imputer with the refused data's
    # number of features beside the old statistics (a broadcasting error in transform).
    sequences = make_sequences(gaps=0.2)
    fitted = clone(transformer).fit(sequences)
    expected = fitted.transform(sequences)
    one_feature = make_sequences(n_features=1)
    with pytest.raises(ValueError, match="sample_weight"):
        fitted.fit(one_feature, sample_weight=np.ones(3))
    np.testing.assert_array_equal(valid_rows(fitted.transform(sequences)), valid_rows(expected))
    assert fitted.n_features_in_ == 2


def test_fitted_state_is_numbers_and_numeric_arrays():
    """pygru.save stores a transformer as its parameters plus these attributes."""
    for transformer in TRANSFORMERS:
        fitted = clone(transformer).fit(make_sequences(gaps=0.2))
        state = {k: v for k, v in vars(fitted).items() if k.endswith("_")}
        for name, value in state.items():
            assert isinstance(value, (int, float, str)) or (
                isinstance(value, np.ndarray) and value.dtype.kind in "iuf"
            ), (transformer, name, value)


# ------------------------------------------------------------------------ SequenceImputer
def fill_by_hand(sequence, method, fallback):
    """One sequence filled feature by feature: with loops (ffill, then bfill for the leading
    NaN) or numpy.interp (linear); ``fallback`` where a feature has no value."""
    filled = sequence.copy()
    steps = np.arange(len(sequence))
    for feature in range(sequence.shape[1]):
        column = filled[:, feature]
        observed = ~np.isnan(column)
        if not observed.any():
            column[:] = fallback[feature]
        elif method == "linear":
            column[:] = np.interp(steps, steps[observed], column[observed])
        else:
            for step in range(1, len(column)):
                if np.isnan(column[step]):
                    column[step] = column[step - 1]
            column[np.isnan(column)] = column[observed][0]
    return filled


@pytest.mark.parametrize("method", ["ffill", "linear"])
def test_gaps_are_filled_as_by_hand(method):
    sequences = make_sequences(gaps=0.4, n_features=3)
    sequences[1][:-1, 2] = np.nan  # a feature observed at the last step only
    sequences[3][:, 1] = np.nan  # a feature never observed: filled with its training mean
    sequences[4][1:3] = np.nan  # a gap in every feature inside the sequence
    imputer = SequenceImputer(method=method).fit(sequences)
    np.testing.assert_allclose(imputer.statistics_, np.nanmean(valid_rows(sequences), axis=0))
    out = imputer.transform(nan_padded(sequences, 12))
    for row, sequence in zip(out, sequences):
        expected = fill_by_hand(sequence, method, imputer.statistics_)
        np.testing.assert_allclose(row[: len(sequence)], expected, rtol=1e-12)
        assert np.isnan(row[len(sequence) :]).all()
    np.testing.assert_array_equal(out[3][: len(sequences[3]), 1], imputer.statistics_[1])


def test_linear_and_ffill_differ_only_between_observed_values():
    X = np.array([[0.0, np.nan, np.nan, 3.0, np.nan, np.nan]])
    X[0, -1] = 6.0
    np.testing.assert_array_equal(
        SequenceImputer().fit_transform(X), [[0.0, 0.0, 0.0, 3.0, 3.0, 6.0]]
    )
    np.testing.assert_array_equal(
        SequenceImputer(method="linear").fit_transform(X), [[0.0, 1.0, 2.0, 3.0, 4.5, 6.0]]
    )


def test_linear_fill_between_neighbours_near_the_float64_limit_is_their_mean():
    # The line before + f * (after - before) overflowed in the difference: 1.5e308 and
    # -1.5e308 filled the step between them with -inf, which the estimator then refused
    # as X's own value.
    X = [np.array([1.5e308, np.nan, -1.5e308, 1.0]), np.array([1.0, np.nan, np.nan, 4.0])]
    filled = SequenceImputer(method="linear").fit(X).transform(X)
    np.testing.assert_array_equal(filled[0], [1.5e308, 0.0, -1.5e308, 1.0])
    np.testing.assert_array_equal(filled[1], [1.0, 2.0, 3.0, 4.0])


def test_imputer_fills_a_constant_feature_with_its_value():
    # The mean of 2,000 copies of 0.1 drifts by hundreds of ulps; a sequence that never
    # observes the feature was filled with that drift, not with the feature's one value.
    X = [np.column_stack([np.full(50, 0.1), np.arange(50.0)]) for _ in range(40)]
    X.append(np.column_stack([np.full(5, np.nan), np.arange(5.0)]))
    imputer = SequenceImputer().fit(X)
    assert imputer.statistics_[0] == 0.1
    assert (imputer.transform(X[-1:])[0][:, 0] == 0.1).all()


def test_imputer_statistics_are_weighted_means_of_the_valid_steps():
    sequences = make_sequences(gaps=0.3)
    weights = np.array([2, 0, 1, 1, 3, 1, 1])
    weighted = SequenceImputer().fit(nan_padded(sequences, 15), sample_weight=weights)
    repeated = [s for s, w in zip(sequences, weights) for _ in range(w)]
    np.testing.assert_allclose(
        weighted.statistics_, np.nanmean(valid_rows(repeated), axis=0), rtol=1e-12
    )


@pytest.mark.parametrize("transformer", [SequenceScaler(), SequenceImputer()], ids=repr)
def test_weights_near_the_float64_limits_give_the_statistics_of_their_ratios(transformer):
    # Their sum overflowed to inf: the mean became finite / inf = 0, and the variance 0,
    # so the scaler left X unscaled and the imputer filled gaps with 0, silently (audit37a);
    # with values of 0.5 and 1.5 it was refused as "X has values too large to average".
    sequences = make_sequences(gaps=0.3)
    weights = np.array([1.0, 0.0, 1.0, 3.0, 1.0, 2.0, 1.0])
    plain = clone(transformer).fit(sequences, sample_weight=weights)
    # Subnormal ones rounded their products with the values: weights of 1e-323 and 3e-323
    # gave the mean of equal weights (audit39b).
    for scaled in (weights / 3 * 1e308, weights * 1e-323):
        assert np.all(scaled / scaled.max() == weights / weights.max())  # the same ratios
        fitted = clone(transformer).fit(sequences, sample_weight=scaled)
        for name in ("mean_", "var_", "statistics_"):
            if hasattr(plain, name):
                np.testing.assert_allclose(getattr(fitted, name), getattr(plain, name), rtol=1e-12)


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_bad_input_is_refused_clearly(transformer):
    fitted = clone(transformer).fit(make_sequences())
    with pytest.raises(ValueError, match="X has 3 features per time step, but .* expecting 2"):
        fitted.transform(make_sequences(n_features=3))
    with pytest.raises(TypeError, match=r"X\[0\] must hold real numbers"):
        fitted.transform([np.array([["a", "b"]])])
    with pytest.raises(ValueError, match="empty sequence"):
        fitted.transform([np.full((2, 2), np.nan)])
    with pytest.raises(ValueError, match="contains inf"):
        fitted.transform(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="must be a 3-D array"):
        fitted.transform(np.arange(3.0))
    with pytest.raises(NotFittedError):
        clone(transformer).transform(make_sequences())


@pytest.mark.parametrize(
    "transformer, message",
    [
        (SequenceScaler(per="time"), "'per' parameter of SequenceScaler must be a str among"),
        (SequenceScaler(with_std="yes"), "'with_std' parameter"),
        (SequenceImputer(method="mean"), "'method' parameter of SequenceImputer must be"),
    ],
)
def test_bad_parameters_are_refused_clearly(transformer, message):
    with pytest.raises(ValueError, match=message):
        transformer.fit(make_sequences())


@pytest.mark.parametrize("transformer", [SequenceScaler(), SequenceImputer()], ids=repr)
def test_a_feature_without_any_training_value_is_refused(transformer):
    sequences = make_sequences()
    for sequence in sequences:
        sequence[:, 1] = np.nan
    sequences[0][0, 1] = 5.0  # feature 1 is observed once, in sequence 0
    assert transformer.fit(sequences).n_features_in_ == 2
    with pytest.raises(ValueError, match="sample_weight 0"):
        transformer.fit(sequences, sample_weight=[0.0] + [1.0] * 6)
    sequences[0][0, 1] = np.nan
    with pytest.raises(ValueError, match="Feature 1 of X has no value to learn from"):
        transformer.fit(sequences)


def test_values_whose_sum_overflows_are_refused_not_filled_with_inf():
    # The imputer learnt an infinite mean from values near float64's largest, wrote inf
    # into the gaps, and saved a file that load refused.
    X = [np.array([[1.5e308, 1.0], [1.6e308, 2.0]]), np.array([[np.nan, 3.0], [np.nan, 4.0]])]
    with pytest.raises(ValueError, match="Feature 0 of X has values too large to average"):
        SequenceImputer().fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy overflow warning on the way
        statistics = SequenceImputer().fit([x / 1e160 for x in X]).statistics_
    np.testing.assert_allclose(statistics, [1.55e148, 2.5 / 1e160])


@pytest.mark.parametrize(
    "transformer", [SequenceImputer(), SequenceScaler(), SequenceScaler(per="sequence")]
)
def test_sums_that_overflow_both_ways_are_refused_as_overflows(transformer):
    # inf - inf is NaN: the mean was taken for a feature never observed, and per sequence
    # every value came back NaN, silently.
    X = np.tile(np.array([1.5e308, 1.5e308, -1.5e308, -1.5e308] * 2)[:, np.newaxis], (8, 1, 1))
    with pytest.raises(ValueError, match=r"too large to (average|standardise)"):
        transformer.fit_transform(X)


def test_a_scaler_whose_per_changed_after_fit_says_so_and_saves_what_loads(tmp_path):
    # set_params(per=...) on a fitted scaler (through a pipeline, say): transform raised a
    # bare AttributeError, and save wrote files that load refused.
    from pygru import load, save

    sequences = make_sequences()
    scaler = SequenceScaler(per="sequence").fit(sequences).set_params(per="feature")
    with pytest.raises(NotFittedError, match="fitted with per='sequence'.*fit it again"):
        scaler.transform(sequences)
    with pytest.raises(ValueError, match="cannot save .*missing: \\['mean_'.*fit it again"):
        save(scaler, tmp_path / "feature.npz")
    assert not (tmp_path / "feature.npz").exists()
    scaler = SequenceScaler(per="feature").fit(sequences).set_params(per="sequence")
    save(scaler, tmp_path / "sequence.npz")
    loaded = load(tmp_path / "sequence.npz")
    for a, b in zip(loaded.transform(sequences), scaler.transform(sequences)):
        np.testing.assert_array_equal(a, b)
    loaded.set_params(per="feature")  # its statistics came back too
    np.testing.assert_array_equal(loaded.mean_, scaler.mean_)


def test_per_sequence_scaling_of_one_step_sequences_warns_of_the_zeros():
    # aeon's (n_cases, n_channels, n_timepoints) layout read as one step of 30 features: each
    # sequence is its own mean, so every value became 0 without a word.
    X = np.random.default_rng(0).standard_normal((10, 1, 30))
    with pytest.warns(UserWarning, match="sets every value to 0. If each sequence is"):
        assert not SequenceScaler(per="sequence").fit_transform(X).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SequenceScaler(per="sequence").fit_transform(X.transpose(0, 2, 1))


def test_per_sequence_scaling_warns_only_when_every_sequence_of_a_list_is_one_step():
    # Each group of similar length is scaled on its own: a group of one-step sequences
    # beside longer ones is no reason to warn.
    scaler = SequenceScaler(per="sequence").fit(ragged_sequences())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaler.transform(ragged_sequences())
    with pytest.warns(UserWarning, match="sets every value to 0"):
        scaler.transform(
            [
                np.ones((1, 2)),
                np.ones((1, 2)),
                np.vstack([np.ones((1, 2))] + [np.full((30, 2), np.nan)]),
            ]
        )


def test_bad_sample_weight_is_refused():
    with pytest.raises(ValueError, match="sample_weight"):
        SequenceScaler().fit(make_sequences(), sample_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="[Nn]egative"):
        SequenceImputer().fit(make_sequences(), sample_weight=[-1.0] + [1.0] * 6)


# ------------------------------------------------------------------------ pipelines
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pipeline_classifies_italy_power_demand_with_gaps():
    X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
    rng = np.random.default_rng(0)
    X_train[rng.random(X_train.shape) < 0.2] = np.nan
    X_test[rng.random(X_test.shape) < 0.2] = np.nan
    pipeline = make_pipeline(
        SequenceImputer(method="linear"),
        SequenceScaler(per="sequence"),
        GRUClassifier(hidden_layer_sizes=(16,), max_iter=100, random_state=0),
    )
    pipeline.fit(X_train, y_train)
    # Two balanced classes; 1-NN on the complete series reaches 0.955, and a fifth of the
    # values is missing here.
    assert pipeline.score(X_test, y_test) > 0.85


def test_pipeline_feeds_the_regressor_what_the_transformer_gives():
    X, y = make_windows(load_airline().data, 12)
    windows = [window[: 6 + index % 7] for index, window in enumerate(X)]  # ragged
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline = make_pipeline(SequenceScaler(), GRURegressor(**params)).fit(windows, y)
        scaler = SequenceScaler().fit(windows)
        direct = GRURegressor(**params).fit(scaler.transform(windows), y)
    np.testing.assert_array_equal(
        pipeline.predict(windows), direct.predict(scaler.transform(windows))
    )


def test_pipeline_set_output_reaches_the_sequence_transformers():
    # Pipeline.set_output calls every step's set_output, which the transformers lacked: it
    # failed even for the default container.
    from pygru.text import TokenSequencer

    for step in (SequenceScaler(), SequenceImputer(), TokenSequencer()):
        pipeline = make_pipeline(step, GRUClassifier())
        assert pipeline.set_output(transform="default") is pipeline
        assert step.set_output(transform=None) is step
        with pytest.raises(ValueError, match=r"returns sequences, which have no 'pandas' form"):
            pipeline.set_output(transform="pandas")
