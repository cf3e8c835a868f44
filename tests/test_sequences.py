import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import sparse

from pygru import _sequences
from pygru._sequences import (
    median_step_correlation,
    to_padded,
    to_padded_targets,
    to_padded_tokens,
    unpad,
)
from pygru.datasets import UCR_DATASETS, load_ucr

NAN = np.nan

# Three bivariate sequences of lengths 3, 1 and 2, in every accepted form.
SEQUENCES = [
    np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
    np.array([[7.0, 8.0]]),
    np.array([[9.0, 10.0], [11.0, 12.0]]),
]
EXPECTED_PADDED = np.array(
    [
        [[1, 2], [3, 4], [5, 6]],
        [[7, 8], [0, 0], [0, 0]],
        [[9, 10], [11, 12], [0, 0]],
    ],
    dtype=np.float32,
)
EXPECTED_LENGTHS = np.array([3, 1, 2])


def nan_padded_array(n_steps=3):
    array = np.full((3, n_steps, 2), NAN)
    for row, sequence in zip(array, SEQUENCES):
        row[: len(sequence)] = sequence
    return array


@pytest.mark.parametrize(
    "X",
    [
        pytest.param(SEQUENCES, id="list of arrays"),
        pytest.param(tuple(SEQUENCES), id="tuple"),
        pytest.param([s.tolist() for s in SEQUENCES], id="nested lists"),
        pytest.param(nan_padded_array(), id="NaN-padded array"),
        pytest.param(nan_padded_array(6), id="array with extra padding"),
        pytest.param(list(nan_padded_array(5)), id="list of NaN-padded items"),
        pytest.param(np.array(SEQUENCES, dtype=object), id="object array of sequences"),
        pytest.param(nan_padded_array().astype(object), id="object array of numbers"),
    ],
)
def test_every_form_gives_the_same_padded_array(X):
    padded, lengths = to_padded(X)
    np.testing.assert_array_equal(padded, EXPECTED_PADDED)
    np.testing.assert_array_equal(lengths, EXPECTED_LENGTHS)
    assert padded.dtype == np.float32 and lengths.dtype == np.int64
    assert padded.flags.c_contiguous


def test_univariate_forms_agree():
    expected = np.array([[[1], [2], [3]], [[4], [0], [0]]], dtype=np.float64)
    forms = [
        np.array([[1, 2, 3], [4, NAN, NAN]]),
        [[1, 2, 3], [4]],
        [np.array([1, 2, 3]), np.array([[4]])],
        np.array([[[1], [2], [3]], [[4], [NAN], [NAN]]]),
    ]
    for X in forms:
        padded, lengths = to_padded(X, dtype=np.float64)
        np.testing.assert_array_equal(padded, expected)
        np.testing.assert_array_equal(lengths, [3, 1])


@pytest.mark.parametrize("int_dtype", [np.int32, np.int64, np.uint8])
def test_integer_input_is_converted(int_dtype):
    padded, lengths = to_padded(np.arange(12, dtype=int_dtype).reshape(2, 3, 2), dtype=np.float64)
    np.testing.assert_array_equal(padded, np.arange(12.0).reshape(2, 3, 2))
    np.testing.assert_array_equal(lengths, [3, 3])


def test_array_without_padding_is_not_copied():
    X = np.random.default_rng(0).normal(size=(4, 5, 3)).astype(np.float32)
    padded, lengths = to_padded(X)
    assert padded is X
    np.testing.assert_array_equal(lengths, [5] * 4)


def test_padding_is_zeroed_without_touching_the_callers_array():
    X = nan_padded_array().astype(np.float32)
    padded, _ = to_padded(X)
    assert not np.shares_memory(padded, X)
    assert np.isnan(X).sum() == 6


def test_padding_invariance():
    """Extra padding and what the padded region held do not change the result."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 4, 3))
    lengths = np.array([4, 1, 3, 2, 4])
    X[np.arange(4) >= lengths[:, None]] = NAN
    padded, found_lengths = to_padded(X)
    np.testing.assert_array_equal(found_lengths, lengths)
    longer = np.concatenate([X, np.full((5, 7, 3), NAN)], axis=1)
    padded_longer, lengths_longer = to_padded(longer)
    np.testing.assert_array_equal(padded_longer, padded)
    np.testing.assert_array_equal(lengths_longer, lengths)


def test_all_sequences_padded_trims_to_the_longest():
    X = np.array([[1.0, 2.0, NAN, NAN], [3.0, NAN, NAN, NAN]])
    padded, lengths = to_padded(X)
    assert padded.shape == (2, 2, 1)
    np.testing.assert_array_equal(lengths, [2, 1])


@pytest.mark.parametrize(
    "X, error, match",
    [
        (
            np.array([[1.0, NAN, 2.0]]),
            ValueError,
            r"X contains NaN: sequence 0, time step 1 is NaN inside the sequence, "
            r"which has values up to time step 2; only trailing all-NaN time steps mark "
            r"padding\. Fill missing values inside sequences first, e\.g\. with "
            r"pygru\.preprocessing\.SequenceImputer",
        ),
        (
            np.array([[[1.0, 2.0], [3.0, NAN]]]),
            ValueError,
            r"sequence 0, time step 1 is NaN in some features only",
        ),
        (
            [np.array([[1.0, 2.0], [NAN, 3.0], [NAN, NAN]])],
            ValueError,
            r"sequence 0, time step 1 is NaN in some features only",
        ),
        (
            # aeon's (n_cases, n_channels, n_timepoints), NaN-padded: the padding runs along
            # the features, and the layout is the mistake, not a gap to impute.
            np.array([[[1.0, 2.0, 3.0, 4.0]], [[1.0, 2.0, NAN, NAN]]]),
            ValueError,
            r"sequence 1, time step 0 is NaN in some features only.*SequenceImputer in a "
            r"pipeline\. If each sequence is \(n_channels, n_timepoints\).*transpose",
        ),
        (
            # A gap in the last feature of a channels-last X is a gap: no layout hint.
            np.concatenate([np.ones((1, 3, 6)), np.full((1, 3, 6), 2.0)])
            * np.where(np.arange(18).reshape(1, 3, 6) == 5, NAN, 1.0),
            ValueError,
            r"time step 0 is NaN in some features only.*SequenceImputer in a pipeline\.$",
        ),
        (
            np.array([[1.0, 2.0], [3.0, np.inf]]),
            ValueError,
            r"X contains inf, or a value too large for float32 \(sequence 1, time step 1\)",
        ),
        (np.array([[1.0, 2.0], [NAN, -np.inf]]), ValueError, "X contains inf"),
        (np.array([[1e300, 1.0]]), ValueError, "too large for float32"),
        (np.array([[1.0, 2.0], [NAN, NAN]]), ValueError, r"empty sequence \(sequence 1\)"),
        ([[1.0, 2.0], []], ValueError, r"X has an empty sequence \(sequence 1\)"),
        ([[], []], ValueError, "X has only empty sequences"),
        (np.empty((0, 3)), ValueError, r"X has 0 sample\(s\) \(shape=\(0, 3\)\) while a min"),
        ([], ValueError, r"X has 0 sample\(s\) \(an empty list\)"),
        ((), ValueError, r"X has 0 sample\(s\) \(an empty tuple\)"),
        (
            np.empty((12, 0)),
            ValueError,
            r"0 feature\(s\) \(shape=\(12, 0\)\) while a minimum of \d* is required.",
        ),
        (np.empty((2, 3, 0)), ValueError, r"X has 0 feature\(s\) \(shape=\(2, 3, 0\)\)"),
        (np.empty((2, 0, 3)), ValueError, r"X has 0 time step\(s\) \(shape=\(2, 0, 3\)\)"),
        ([np.empty((2, 0))], ValueError, r"X\[0\] has 0 feature\(s\)"),
        (
            [np.ones((2, 3)), np.ones((4, 2))],
            ValueError,
            r"same number of features: X\[0\] has 3, X\[1\] has 2",
        ),
        (np.ones(5), ValueError, r"X must be a 3-D array .*got a 1-D array of shape \(5,\)"),
        (np.ones((2, 2, 2, 2)), ValueError, "got a 4-D array"),
        ([np.ones((2, 2, 2))], ValueError, r"X\[0\] must be a 2-D .* got shape \(2, 2, 2\)"),
        ([1.0, 2.0], ValueError, r"X\[0\] must be a 2-D .* got shape \(\)"),
        ([[[1.0, 2.0], [3.0]]], ValueError, r"X\[0\] must be a rectangular array of numbers"),
        (np.array([["a", "b"]]), TypeError, r"X must hold real numbers .*got dtype <U1"),
        ([["a", "b"]], TypeError, r"X\[0\] must hold real numbers"),
        (np.ones((2, 3), dtype=complex), ValueError, "Complex data not supported: X has dtype"),
        (sparse.csr_matrix(np.ones((2, 3))), TypeError, "sparse input is not supported"),
    ],
)
def test_bad_input_is_rejected(X, error, match):
    with pytest.raises(error, match=match):
        to_padded(X)


def test_features_that_differ_are_named_before_the_precision_is_looked_at():
    # keep_precision (the estimators' default) compared the features' ranges first, which
    # NumPy refused as an inhomogeneous array.
    with pytest.raises(ValueError, match=r"same number of features: X\[0\] has 3, X\[1\] has 2"):
        to_padded([np.ones((2, 3)), np.ones((4, 2))], keep_precision=True)


def test_booleans_are_read_as_zero_and_one_in_every_form():
    # As scikit-learn's check_array reads them; pandas' nullable "boolean" went this way
    # already, NumPy bool arrays and lists of them were refused.
    pd = pytest.importorskip("pandas")
    X = np.array([[True, False, True], [False, False, True]])
    expected, _ = to_padded(X.astype(float))
    for form in (X, X.tolist(), list(X), pd.DataFrame(X), pd.DataFrame(X).astype("boolean")):
        padded, lengths = to_padded(form)
        np.testing.assert_array_equal(padded, expected)
        np.testing.assert_array_equal(lengths, [3, 3])


def test_object_values_that_are_not_numbers_are_rejected_as_scikit_learn_does():
    X = np.ones((3, 4)).astype(object)
    X[0, 0] = {"foo": "bar"}
    # scikit-learn's check_dtype_object expects this message.
    with pytest.raises(TypeError, match="argument must be .* string.* number"):
        to_padded(X)


def test_pandas_nullable_dtypes_read_pd_na_as_nan():
    pandas = pytest.importorskip("pandas")
    values = [[1.0, 2.0, 3.0], [4.0, 5.0, None]]
    expected, expected_lengths = to_padded(np.array(values, dtype=float))
    for dtype in ("Float64", "float64"):
        padded, lengths = to_padded(pandas.DataFrame(values, dtype=dtype))
        np.testing.assert_array_equal(padded, expected)
        np.testing.assert_array_equal(lengths, expected_lengths)
    with_gap = pandas.DataFrame([[1.0, None, 3.0]], dtype="Float64")
    with pytest.raises(ValueError, match="time step 1 is NaN inside the sequence"):
        to_padded(with_gap)


def test_object_arrays_of_nullable_rows_read_pd_na_as_nan():
    # The arrays of a nullable DataFrame's rows (to_numpy() of its groups, as from parquet
    # or read_csv(dtype_backend="numpy_nullable")) hold pd.NA, which NumPy cannot convert:
    # refused with a float() error, by SequenceImputer too.
    pandas = pytest.importorskip("pandas")
    from pygru.preprocessing import SequenceImputer

    frame = pandas.DataFrame({"a": [1.0, None, 3.0], "b": [4.0, 5.0, 6.0]}, dtype="Float64")
    rows = frame.to_numpy()
    assert rows.dtype == object and rows[1, 0] is pandas.NA
    with pytest.raises(ValueError, match="sequence 0, time step 1 is NaN in some features"):
        to_padded([rows])
    filled = SequenceImputer().fit_transform([rows, rows[:2]])
    np.testing.assert_array_equal(filled[0], [[1.0, 4.0], [1.0, 5.0], [3.0, 6.0]])
    with pytest.raises(TypeError, match="must hold real numbers"):
        to_padded([np.array([[1.0], ["x"]], dtype=object)])


def test_a_dataframe_with_columns_of_several_levels_is_refused_with_the_reshape():
    # pivot(values=["temp", "vib"]) makes columns (channel, step): read as one univariate
    # series of both channels end to end, the first channel's padding a "gap" inside it,
    # which the advice to impute turned into a wrong model without a word.
    pandas = pytest.importorskip("pandas")
    from pygru import GRUClassifier
    from pygru.preprocessing import SequenceImputer

    rng = np.random.default_rng(0)
    long = pandas.DataFrame(
        [(i, t, rng.normal(), rng.normal()) for i in range(6) for t in range(4 + i % 3)],
        columns=["id", "step", "temp", "vib"],
    )
    wide = long.pivot(index="id", columns="step", values=["temp", "vib"])
    message = r"2 levels .*\['temp', 'vib'\].*X.to_numpy\(\).reshape\(len\(X\), 2, -1\)"
    readers = (
        to_padded,
        SequenceImputer().fit,
        lambda X: GRUClassifier().fit(X, [0, 1] * 3),
    )
    for read in readers:
        with pytest.raises(ValueError, match=message):
            read(wide)
    with pytest.raises(ValueError, match="time steps of token-id sequences: pass one"):
        to_padded_tokens(wide.abs().round() + 1)  # token ids end to end likewise
    advised = wide.to_numpy().reshape(len(wide), 2, -1).transpose(0, 2, 1)
    padded, lengths = to_padded(advised)
    np.testing.assert_array_equal(lengths, [4, 5, 6, 4, 5, 6])
    np.testing.assert_array_equal(
        padded[5], long[long.id == 5][["temp", "vib"]].astype(np.float32)
    )


def test_date_columns_are_not_read_as_numbers():
    # pandas converts dates and durations to float (microseconds since 1970), so a
    # DataFrame with a date column beside its values was read as one more time step of
    # 1e15 by the estimators, SequenceScaler and make_windows, which also forecast the date.
    pandas = pytest.importorskip("pandas")
    from pygru.datasets import make_windows
    from pygru.preprocessing import SequenceScaler

    values = np.random.default_rng(0).standard_normal((8, 3))
    for when in (pandas.date_range("2020-01-01", periods=8), pandas.to_timedelta(range(8), "s")):
        frame = pandas.DataFrame(values)
        frame.insert(0, "date", when)
        with pytest.raises(TypeError, match="X must hold real numbers.*(Timestamp|Timedelta)"):
            to_padded(frame)
        with pytest.raises(TypeError, match="X must hold real numbers"):
            SequenceScaler().fit(frame)
        with pytest.raises(TypeError, match=r"column 'date' holds .*set_index\('date'\)"):
            make_windows(frame, 3)
        windows, targets = make_windows(frame.set_index("date"), 3)
        np.testing.assert_array_equal(targets, make_windows(values, 3)[1])
    padded, _ = to_padded(pandas.DataFrame(values).astype("Float64"))  # nullable: numbers
    np.testing.assert_array_equal(padded[..., 0], values.astype(np.float32))
    # A CSV read as it is holds its dates as strings, which the hint did not name; nor any
    # other column of strings.
    for name, column in (("month", [f"2020-{m:02d}" for m in range(1, 9)]), ("store", ["a"] * 8)):
        frame = pandas.DataFrame(values)
        frame.insert(0, name, column)
        with pytest.raises(TypeError, match=rf"column '{name}' holds .*set_index\('{name}'\)"):
            make_windows(frame, 3)
        if name == "month":  # the advice works: ISO 8601 dates are read as dates
            make_windows(frame.set_index(name), 3)


def test_a_masked_array_reads_its_masked_values_as_missing():
    # np.asarray drops a mask: masked steps were read as the numbers under the mask.
    X = np.arange(24.0).reshape(2, 4, 3)
    masked = np.ma.masked_array(X, mask=np.zeros_like(X, dtype=bool))
    masked[1, 2:] = np.ma.masked  # padding
    expected = X.copy()
    expected[1, 2:] = np.nan
    for form in (masked, list(masked)):
        padded, lengths = to_padded(form)
        np.testing.assert_array_equal(lengths, [4, 2])
        np.testing.assert_array_equal(padded, to_padded(expected)[0])
    masked[0, 1, 0] = np.ma.masked  # inside a sequence: missing, as NaN is
    with pytest.raises(ValueError, match="sequence 0, time step 1 is NaN in some features"):
        to_padded(masked)
    np.testing.assert_array_equal(to_padded(np.ma.masked_array(X))[0], to_padded(X)[0])
    # The mask holds whatever the array's dtype: objects under it read as numbers before.
    as_objects = np.ma.masked_array(X.astype(object), mask=np.ma.getmaskarray(masked))
    as_objects.mask[0, 1, 0] = False  # the cell inside the sequence is there again
    as_objects.data[1, 2:] = -999.0
    padded, lengths = to_padded(as_objects)
    np.testing.assert_array_equal(lengths, [4, 2])
    np.testing.assert_array_equal(padded, to_padded(expected)[0])
    # Strings are not numbers, masked or not (a mask once made them objects, parsed).
    with pytest.raises(TypeError, match="must hold real numbers"):
        to_padded(np.ma.masked_array(X.astype(str), mask=as_objects.mask))


def test_a_column_of_sequences_that_is_not_a_list_gets_a_hint_that_works():
    # A polars Series or pyarrow array of lists has no NumPy dtype; NumPy makes an object
    # array of its sequences, which the hint names.
    class ColumnOfLists:
        def __array__(self, dtype=None, copy=None):
            column = np.empty(2, dtype=object)
            column[:] = [np.ones(3), np.ones(2)]
            return column

    with pytest.raises(TypeError, match=r"pass a list of arrays, or .* np\.asarray\(X\)"):
        to_padded(ColumnOfLists())
    assert to_padded(np.asarray(ColumnOfLists()))[1].tolist() == [3, 2]


def test_a_pandas_series_of_sequences_is_read_as_a_list():
    pandas = pytest.importorskip("pandas")
    sequences = [np.arange(6.0).reshape(3, 2), np.ones((1, 2)), np.zeros((4, 2))]
    expected, expected_lengths = to_padded(sequences)
    padded, lengths = to_padded(pandas.Series(sequences, index=[7, 3, 5]))
    np.testing.assert_array_equal(padded, expected)
    np.testing.assert_array_equal(lengths, expected_lengths)


def test_error_messages_use_the_given_name():
    with pytest.raises(ValueError, match=r"X_val contains NaN"):
        to_padded(np.array([[1.0, NAN, 1.0]]), name="X_val")
    with pytest.raises(ValueError, match=r"X_val's sequence 0 begins with 1 all-NaN time step"):
        to_padded(np.array([[NAN, 1.0]]), name="X_val")


def test_dtype_must_be_floating():
    with pytest.raises(ValueError, match="dtype must be a floating-point dtype .* got int64"):
        to_padded(np.ones((2, 3)), dtype=np.int64)


@settings(max_examples=50, deadline=None)
@given(
    n_features=st.integers(1, 3),
    lengths=st.lists(st.integers(1, 6), min_size=1, max_size=5),
    data=st.data(),
)
def test_to_padded_then_unpad_round_trips(n_features, lengths, data):
    finite = st.floats(allow_nan=False, allow_infinity=False, width=32)
    sequences = [
        data.draw(hnp.arrays(np.float32, (length, n_features), elements=finite))
        for length in lengths
    ]
    padded, found_lengths = to_padded(sequences)
    np.testing.assert_array_equal(found_lengths, lengths)
    assert padded.shape == (len(lengths), max(lengths), n_features)
    for original, recovered in zip(sequences, unpad(padded, found_lengths)):
        np.testing.assert_array_equal(recovered, original)


def test_unpad_returns_views_of_the_valid_steps():
    padded = np.arange(12.0).reshape(2, 3, 2)
    first, second = unpad(padded, np.array([1, 3]))
    np.testing.assert_array_equal(first, [[0.0, 1.0]])
    np.testing.assert_array_equal(second, padded[1])
    assert np.shares_memory(first, padded)


@pytest.mark.parametrize(
    "padded, lengths, match",
    [
        (np.zeros((2, 3)), [1, 2, 3], r"got shapes \(2, 3\) and \(3,\)"),
        (np.zeros(3), [1, 1, 1], r"got shapes \(3,\) and \(3,\)"),
        (np.zeros((2, 3)), [1, 4], r"integers in \[0, 3\]"),
        (np.zeros((2, 3)), [1.0, 2.0], r"integers in \[0, 3\]"),
    ],
)
def test_unpad_rejects_bad_lengths(padded, lengths, match):
    with pytest.raises(ValueError, match=match):
        unpad(padded, lengths)


@pytest.mark.parametrize(
    "X",
    [
        pytest.param(np.array([[5, 2, 0], [7, 1, 3]]), id="zero-padded array"),
        pytest.param(np.array([[5, 2, 0, 0], [7, 1, 3, 0]]), id="extra padding"),
        pytest.param([[5, 2], [7, 1, 3]], id="ragged list"),
        pytest.param([np.array([5, 2, 0]), (7, 1, 3)], id="items with trailing zeros"),
        pytest.param(np.array([[5.0, 2.0, 0.0], [7.0, 1.0, 3.0]]), id="whole floats"),
        pytest.param(np.array([[5, 2, 0], [7, 1, 3]], dtype=np.uint16), id="uint16"),
    ],
)
def test_token_forms_agree(X):
    ids, lengths = to_padded_tokens(X)
    np.testing.assert_array_equal(ids, [[5, 2, 0], [7, 1, 3]])
    np.testing.assert_array_equal(lengths, [2, 3])
    assert ids.dtype == lengths.dtype == np.int64 and ids.flags.c_contiguous


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.array([[1, -2]]), ValueError, "X must hold non-negative token ids, got -2; .*with 0"),
        ([[1, 2], [3, -1]], ValueError, r"X\[1\] must hold non-negative token ids"),
        (np.array([[1.0, 2.5]]), ValueError, r"X must hold integer token ids, got 2.5\.$"),
        (
            np.array([[1.0, NAN]]),
            ValueError,
            "X must hold integer token ids, got nan; .*not with NaN",
        ),
        (np.array([["a", "b"]]), TypeError, "X holds text; .*TokenSequencer"),
        (np.array([[True, False]]), TypeError, "X must hold integer token ids, got booleans"),
        ([[1, 2], [True]], TypeError, r"X\[1\] must hold integer token ids, got booleans"),
        (np.array([[1, 2], [0, 0]]), ValueError, r"without tokens \(sequence 1\)"),
        ([[1, 2], []], ValueError, r"without tokens \(sequence 1\)"),
        (np.empty((2, 0), dtype=int), ValueError, r"without tokens \(sequence 0\)"),
        (np.array([[1, 0, 2]]), ValueError, r"padding id 0 inside sequence 0 \(time step 1"),
        (np.ones((2, 2, 2), dtype=int), ValueError, r"X must be a 2-D \(n_samples, n_timesteps\)"),
        ([np.ones((2, 2), dtype=int)], ValueError, r"X\[0\] must be a 1-D \(n_timesteps,\)"),
        (np.empty((0, 3), dtype=int), ValueError, r"X has 0 sample\(s\)"),
        ([], ValueError, r"X has 0 sample\(s\) \(an empty list\)"),
        (sparse.csr_matrix(np.ones((2, 3))), TypeError, "sparse input is not supported"),
    ],
)
def test_bad_tokens_are_rejected(X, error, match):
    with pytest.raises(error, match=match):
        to_padded_tokens(X)


@pytest.mark.parametrize(
    "y",
    [
        pytest.param([[1.0, 2.0, 3.0], [4.0]], id="ragged list"),
        pytest.param(np.array([[1.0, 2.0, 3.0], [4.0, NAN, NAN]]), id="2-D NaN-padded"),
        pytest.param(np.array([[[1.0], [2.0], [3.0]], [[4.0], [NAN], [NAN]]]), id="3-D"),
    ],
)
def test_targets_in_every_form(y):
    padded = to_padded_targets(y, np.array([3, 1]), np.float32)
    np.testing.assert_array_equal(padded[..., 0], [[1, 2, 3], [4, 0, 0]])
    assert padded.shape == (2, 3, 1) and padded.dtype == np.float32


def test_multi_output_targets():
    y = [np.ones((3, 2)), 2 * np.ones((1, 2))]
    padded = to_padded_targets(y, np.array([3, 1]), np.float64)
    assert padded.shape == (2, 3, 2)
    np.testing.assert_array_equal(padded[1], [[2, 2], [0, 0], [0, 0]])


@pytest.mark.parametrize(
    "y, match",
    [
        ([[1.0, 2.0], [4.0]], r"y\[0\] has 2 time steps but input sequence 0 has 3"),
        # An input ending in a dropout read as padding: the message named the targets only.
        (
            [[1.0, 2.0, 3.0, 4.0], [4.0]],
            r"has 3;.* If input sequence 0 ends in time steps that are NaN in every feature",
        ),
        # A missing last target reads as padding: said so, where a length mismatch alone
        # hid it.
        ([[1.0, 2.0, NAN], [4.0]], r"has 3;.* y\[0\] may miss its last 1 target\(s\)"),
        (np.ones((2, 3)), r"y\[1\] has 3 time steps but input sequence 1 has 1"),
        ([[1.0, 2.0, 3.0]], "y has 1 sequences but X has 2"),
        ([[1.0, NAN, 3.0], [4.0]], "y contains NaN"),
    ],
)
def test_targets_must_match_the_input_lengths(y, match):
    with pytest.raises(ValueError, match=match):
        to_padded_targets(y, np.array([3, 1]), np.float32)


def random_padded(n_samples, n_timesteps, n_features, seed=0):
    """Float32 sequences of random lengths, zero past each length, as to_padded returns."""
    rng = np.random.default_rng(seed)
    padded = (3 * rng.standard_normal((n_samples, n_timesteps, n_features)) + 1).astype(np.float32)
    lengths = rng.integers(1, n_timesteps + 1, n_samples)
    padded[~_sequences.valid_steps(lengths, n_timesteps)] = 0
    return padded, lengths


@pytest.mark.parametrize("n_features", [1, 3])
def test_block_wise_statistics_equal_those_of_one_float64_copy(monkeypatch, n_features):
    # Small blocks, so that the sums run over many of them.
    monkeypatch.setattr(_sequences, "_BLOCK_BYTES", 1000)
    padded, lengths = random_padded(500, 20, n_features)
    steps = padded[_sequences.valid_steps(lengths, 20)].astype(np.float64)
    mean, scale = _sequences.feature_statistics(padded, lengths)
    if n_features == 1:  # NumPy sums a single column pairwise: equal up to rounding
        np.testing.assert_allclose(mean, steps.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(scale, steps.std(axis=0), rtol=1e-12)
    else:  # bit for bit, so that fitted models did not change
        np.testing.assert_array_equal(mean, steps.mean(axis=0))
        np.testing.assert_array_equal(scale, steps.std(axis=0))


@pytest.mark.parametrize("exponent", [-600, -100, 0, 100])
def test_statistics_of_data_scaled_by_a_power_of_two_scale_with_it(exponent):
    # Below about 1e-154 the squares of the deviations underflowed: a feature of values
    # 1e-170, 2e-170, ... got spread 0, was taken for a constant (scale 1) and standardised
    # to zeros (a classifier trained at chance, silently). Powers of two scale exactly.
    padded, lengths = random_padded(50, 20, 3)
    mean, scale = _sequences.feature_statistics(padded.astype(np.float64), lengths)
    scaled = _sequences.feature_statistics(np.ldexp(padded.astype(np.float64), exponent), lengths)
    np.testing.assert_array_equal(scaled[0], np.ldexp(mean, exponent))
    np.testing.assert_array_equal(scaled[1], np.ldexp(scale, exponent))


def test_a_sequence_of_weight_0_far_outside_the_others_leaves_their_statistics_alone():
    # Its deviation, divided by the unit of the others' range, squared to infinity, and
    # times its weight 0 to NaN: the scale became 1 (review35).
    padded = np.array([[[1e-10]], [[2e-10]], [[4e-10]], [[1e153]]])
    lengths, weights = np.ones(4, int), np.array([1.0, 1.0, 1.0, 0.0])
    with_it = _sequences.feature_statistics(padded, lengths, sample_weight=weights)
    without = _sequences.feature_statistics(padded[:3], lengths[:3])
    np.testing.assert_array_equal(with_it[0], without[0])
    np.testing.assert_allclose(with_it[1], without[1], rtol=1e-15)


def test_standardize_in_place_equals_the_float64_formula(monkeypatch):
    monkeypatch.setattr(_sequences, "_BLOCK_BYTES", 1000)
    padded, lengths = random_padded(50, 20, 3)
    mean, scale = np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.25, 1.0])
    expected = ((padded - mean) / scale).astype(np.float32)
    expected[~_sequences.valid_steps(lengths, 20)] = 0
    np.testing.assert_array_equal(_sequences.standardize(padded, lengths, mean, scale), expected)
    assert _sequences.standardize(padded, lengths, mean, scale, out=padded) is padded
    np.testing.assert_array_equal(padded, expected)


@pytest.mark.parametrize("n_timesteps", [12, 11])
@pytest.mark.parametrize("overwrite", [False, True])
def test_patches_repeat_the_last_step_and_change_padded_only_if_allowed(n_timesteps, overwrite):
    padded, lengths = random_padded(40, n_timesteps, 2)
    original = padded.copy()
    patches, patch_lengths = _sequences.to_patches(padded, lengths, 4, overwrite=overwrite)
    np.testing.assert_array_equal(patch_lengths, -(-lengths // 4))
    for sample, length in enumerate(lengths):
        steps = patches[sample].reshape(-1, 2)
        filled = patch_lengths[sample] * 4
        np.testing.assert_array_equal(steps[:length], original[sample, :length])
        assert (steps[length:filled] == original[sample, length - 1]).all()
        assert not steps[filled:].any()
    if not overwrite:
        np.testing.assert_array_equal(padded, original)


def warped_by_interpolation(steps, length, start, window, factor):
    """One sequence warped as Le Guennec et al. describe it: its time axis, stretched by
    ``factor`` inside [start, start + window), resampled at ``length`` equally spaced
    points with NumPy's linear interpolation."""
    time = np.arange(length, dtype=float)
    inside = np.clip(time - start, 0, window)
    warped_time = time + inside * (factor - 1)
    grid = np.linspace(0, warped_time[-1], length)
    return np.stack(
        [np.interp(grid, warped_time, steps[:length, f]) for f in range(steps.shape[1])], axis=1
    )


@pytest.mark.parametrize("patch_size", [1, 4])
def test_window_warp_resamples_each_sequence_as_interpolation_does(patch_size):
    padded, lengths = random_padded(50, 24, 3, seed=1)
    patches, patch_lengths = _sequences.to_patches(padded, lengths, patch_size)
    warped = _sequences.window_warp(patches, patch_lengths, patch_size, 0.2, rng(7))
    assert warped.shape == patches.shape and warped.dtype == patches.dtype
    # The draws as window_warp makes them: one uniform number per sequence for where the
    # window starts, then one for whether it is stretched or squeezed.
    steps = patches.reshape(50, -1, 3)
    n_steps = patch_lengths * patch_size
    window = np.maximum(2, np.rint(0.2 * n_steps)).astype(int)
    where, stretched = rng(7).random((2, 50))
    start = np.floor(where * np.maximum(n_steps - window, 1))
    factor = np.where(stretched < 0.5, 2.0, 0.5)
    warped_steps = warped.reshape(50, -1, 3)
    n_warped = 0
    for i, length in enumerate(n_steps):
        if length < window[i] + 2:  # too short for a window with a step on each side
            np.testing.assert_array_equal(warped_steps[i], steps[i])
            continue
        n_warped += 1
        expected = warped_by_interpolation(steps[i], length, start[i], window[i], factor[i])
        np.testing.assert_allclose(warped_steps[i, :length], expected, rtol=1e-5, atol=1e-5)
        assert not warped_steps[i, length:].any()  # padding stays zero
    assert n_warped > 40


def rng(seed):
    return np.random.default_rng(seed)


@given(
    lengths=st.lists(st.integers(1, 40), min_size=1, max_size=8),
    fraction=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=60, deadline=None)
def test_window_warp_keeps_ends_range_and_order(lengths, fraction, seed):
    lengths = np.array(lengths)
    ramp = np.zeros((len(lengths), 40, 1), np.float64)
    for i, length in enumerate(lengths):
        ramp[i, :length, 0] = np.arange(length) ** 2  # increasing, not linear
    warped = _sequences.window_warp(ramp, lengths, 1, fraction, rng(seed))
    for i, length in enumerate(lengths):
        row = warped[i, :, 0]
        assert row[0] == 0 and row[length - 1] == pytest.approx((length - 1) ** 2)
        assert (np.diff(row[:length]) >= 0).all()  # order in time is kept
        assert not row[length:].any()
    constant = np.where(ramp > 0, 3.0, 3.0) * (
        np.arange(40)[None, :, None] < lengths[:, None, None]
    )
    np.testing.assert_allclose(
        _sequences.window_warp(constant, lengths, 1, fraction, rng(seed)), constant
    )


@pytest.mark.parametrize(
    "values, widened",
    [
        (np.random.default_rng(0).standard_normal((4, 5, 2)), False),  # float32 holds it
        (1e6 + np.random.default_rng(0).standard_normal((4, 5, 2)) * 1e-2, True),
        (np.array([[1.7e9, 1.7e9 + 60, 1.7e9 + 120]]), True),  # Unix timestamps, a minute apart
        (np.array([[1.7e9, 1.7e9 + 60, 1.7e9 + 120]], dtype=np.int64), True),
        (np.array([[1.7e9, 1.7e9, 1.7e9]]), False),  # a constant float32 holds exactly
        (np.array([[123456789.123] * 3]), True),  # a constant float32 would move
        (np.array([[1e6, 1e6 + 0.01, np.nan]]), True),  # NaN padding is ignored
        (np.array([[1e6, 1e6 + 0.01]], dtype=np.float32), False),  # already float32
        (np.array([[1, 70000, 3]], dtype=np.int32), False),  # float32 holds these exactly
        # Monthly steps of a year counter: float32 rounds 5,000 + t / 12 by 3e-5 of its
        # scale, with a period of 12 months, which a ridge on its lags fitted.
        ((5000 + np.arange(120) / 12)[np.newaxis, :, np.newaxis], True),
        ((40 + np.arange(120) / 12)[np.newaxis, :, np.newaxis], False),  # 5 x its range
        (np.array([[2000, 2010, 2020]], dtype=np.int64), False),  # float32 holds integers
        (np.array([[2**24 - 2, 2**24]], dtype=np.int64), False),  # up to 2**24,
        (np.array([[2**24 + 1, 2**24 + 3]], dtype=np.int64), True),  # not past it
    ],
)
@pytest.mark.parametrize("as_list", [False, True])
def test_keep_precision_pads_in_float64_only_where_float32_would_blur_a_feature(
    values, widened, as_list
):
    X = list(values) if as_list else values
    padded, lengths = to_padded(X, np.float32, keep_precision=True)
    assert padded.dtype == (np.float64 if widened else np.float32)
    assert to_padded(X, np.float32)[0].dtype == np.float32  # without it: always dtype
    # "always" (prediction) widens whatever the range, unless X's dtype casts safely.
    exact = np.can_cast(np.asarray(values).dtype, np.float32, "safe")
    assert to_padded(X, np.float32, keep_precision="always")[0].dtype == (
        np.float32 if exact else np.float64
    )
    first = np.asarray(values[0][: lengths[0]], dtype=padded.dtype)
    np.testing.assert_array_equal(unpad(padded, lengths)[0].ravel(), first.ravel())


def test_median_step_correlation_is_the_median_of_each_sequences_own():
    rng = np.random.default_rng(0)
    X = np.cumsum(rng.standard_normal((30, 50, 2)), axis=1) * [1.0, -1.0]
    X[::2] = rng.standard_normal((15, 50, 2))
    lengths = rng.integers(3, 51, 30)
    X[np.arange(50) >= lengths[:, None]] = NAN
    expected = np.median(
        [np.corrcoef(x[: n - 1, f], x[1:n, f])[0, 1] for x, n in zip(X, lengths) for f in (0, 1)]
    )
    assert median_step_correlation(X, lengths) == pytest.approx(expected, rel=1e-12)
    assert np.isnan(median_step_correlation(np.ones((3, 5, 1)), np.full(3, 5)))
    smooth = np.sin(np.arange(100) / 5)[None, :, None]
    # no overflow for values whose squared spreads' product would overflow
    assert median_step_correlation(1e80 * smooth, np.array([100])) > 0.9
    # sequences of three steps (two pairs, always +-1) do not vote
    short = np.zeros((200, 100, 1))
    short[:, :3, 0] = rng.standard_normal((200, 3))
    both = np.concatenate([np.repeat(smooth, 30, axis=0), short])
    lengths = np.r_[np.full(30, 100), np.full(200, 3)]
    assert median_step_correlation(both, lengths) > 0.9


def test_padding_one_long_sequence_among_many_short_ones_takes_no_index_arrays():
    # Zeroing the padding through a mask of all steps made NumPy list the indices of every
    # padded step, 16 bytes each: 4 GB for one 100,000-step series among 2,000 short ones.
    import tracemalloc

    X = [np.ones((5000, 1))] + [np.ones((5, 1))] * 2000
    tracemalloc.start()
    try:
        padded, lengths = to_padded(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert padded.shape == (2001, 5000, 1) and not padded[1:, 5:].any()
    assert peak < 3 * padded.nbytes  # the array, its NaN mask and one step mask (bytes)


def test_share_of_faint_sequences_counts_those_below_5_percent_in_every_feature():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 40, 2))
    lengths = np.array([40, 40, 25, 25, 10, 10, 40, 1])
    X[np.arange(40) >= lengths[:, None]] = NAN
    X[2:5, :, :] *= 1e-3  # faint in both features (a ragged one among them)
    X[5, :, 0] *= 1e-3  # faint in one feature only: it still varies in the other
    X[6] = 7.0  # constant: not faint
    assert _sequences.share_of_faint_sequences(X, lengths) == 3 / 8
    weights = np.array([1.0, 1, 0, 2, 1, 1, 1, 1])
    assert _sequences.share_of_faint_sequences(X, lengths, weights) == 3 / 8
    # levels apart do not make a sequence faint, only spreads apart
    levels = X + 1e3 * np.arange(8)[:, None, None]
    assert _sequences.share_of_faint_sequences(levels, lengths) == 3 / 8
    # the padding of a short sequence does not count as its steps
    assert _sequences.share_of_faint_sequences(X[[0, 4]], lengths[[0, 4]]) == 0.5
    # every sequence counts, in whatever order: a stride through 2,000 sequences recorded
    # as one loud and three faint saw every second one, half of them faint
    cycle = np.tile([1.0, 1e-3, 1e-3, 1e-3], 500)[:, None, None]
    cycle = cycle * rng.standard_normal((2000, 8, 1))
    assert _sequences.share_of_faint_sequences(cycle, np.full(2000, 8)) == 0.75


def test_sequence_moments_of_a_constant_or_its_rounding_have_no_spread():
    # A constant's mean rounds; a value and its neighbour alternating for 10,000 steps
    # have a spread of 4e-16, which a plain sum made 1e-14, above the rounding level of
    # their mean: either became the floor that every sequence is divided by.
    steps = 10_000
    X = np.empty((3, steps, 1))
    X[0], X[1] = 0.1, 300.1
    X[2, :, 0] = np.where(np.arange(steps) % 2, 7.3, np.nextafter(7.3, 8))
    mean, spread = _sequences.sequence_moments(X, np.full(3, steps))
    np.testing.assert_array_equal(spread, 0.0)
    np.testing.assert_array_equal(mean[:2, 0], [0.1, 300.1])
    # near float64's limit the squares do not overflow
    huge = np.array([[[1.5e308], [-1.5e308]]])
    np.testing.assert_allclose(_sequences.sequence_moments(huge, np.array([2]))[1], 1.5e308)


def test_no_bundled_set_has_mostly_faint_sequences():
    # The rule behind standardize="auto" does not fire on the sets it was not made for:
    # each bundled set's sequences vary on the scale of the data (share 0.0 each; PLAID,
    # 3e-5 to 96 amperes, has 0.67).
    for name in UCR_DATASETS:
        padded, lengths = to_padded(load_ucr(name).X_train)
        assert _sequences.share_of_faint_sequences(padded, lengths) < 0.1, name


@given(
    values=hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(-1, 1)),
    seed=st.integers(0, 2**16),
)
def test_weighted_median_is_the_median_of_the_values_repeated(values, seed):
    counts = np.random.default_rng(seed).integers(1, 5, len(values))
    expected = np.median(np.repeat(values, counts))
    assert _sequences.weighted_median(values, counts.astype(float)) == expected


@given(
    values=hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(-1, 1)),
    seed=st.integers(0, 2**16),
    factor=st.sampled_from([0.1, 0.3, 1 / 7, 3.0]),
)
def test_weighted_median_depends_on_the_weights_ratios_alone(values, seed, factor):
    # Fractional weights' running sums round: values [0, 1, 2] with weights [0.3, 0.1, 0.2]
    # gave 1.0 where the same weights times 10 give 0.5, the median of the copies.
    counts = np.random.default_rng(seed).integers(1, 5, len(values))
    expected = np.median(np.repeat(values, counts))
    assert _sequences.weighted_median(values, counts * factor) == expected
    weights = np.array([0.3, 0.1, 0.2])  # the audit's case: sums to 0.6000000000000001
    assert _sequences.weighted_median(np.array([0.0, 1.0, 2.0]), weights) == 0.5


def test_median_step_correlation_counts_weights_as_copies_and_leaves_weight_0_out():
    rng = np.random.default_rng(0)
    X = np.cumsum(rng.standard_normal((20, 40, 1)), axis=1)
    X[10:] = rng.standard_normal((10, 40, 1))
    lengths = np.full(20, 40)
    weights = rng.integers(0, 4, 20)
    kept = np.repeat(np.arange(20), weights)
    assert median_step_correlation(X, lengths, weights.astype(float)) == (
        median_step_correlation(X[kept], lengths[kept])
    )
    assert np.isnan(median_step_correlation(X, lengths, np.zeros(20)))


def test_missing_targets_inside_a_sequence_are_not_sent_to_an_imputer():
    # A Pipeline's SequenceImputer transforms X, never y: the advice could not work for y
    with pytest.raises(ValueError, match=r"Fill or cut the time steps without targets") as error:
        to_padded_targets(np.array([[1.0, NAN, 2.0]]), np.array([3]), np.float64)
    assert "SequenceImputer" not in str(error.value)


def test_padding_in_front_is_named_as_such():
    # keras.utils.pad_sequences pads in front by default: the errors spoke of "the padding
    # id 0 inside" (token ids do start at 1) and of NaN inside a sequence, advising to fill
    # it, which made the padding data.
    ids = np.array([[0, 0, 3, 4, 5], [2, 3, 4, 0, 0]])
    with pytest.raises(ValueError, match=r"begins with 2 id\(s\) 0 .*'post'.*ids must start"):
        to_padded_tokens(ids)
    X = np.array([[NAN, NAN, 1.0, 2.0], [1.0, 2.0, 3.0, NAN]])
    with pytest.raises(ValueError, match=r"begins with 2 all-NaN time step.*'post'.*Imputer"):
        to_padded(X)
    # A gap after the first value is a gap, whatever comes before it.
    for gapped in (np.array([[NAN, 1.0, NAN, 2.0]]), np.array([[1.0, NAN, 2.0, 3.0]])):
        with pytest.raises(ValueError, match="NaN inside the sequence"):
            to_padded(gapped)
    with pytest.raises(ValueError, match="padding id 0 inside sequence 0"):
        to_padded_tokens(np.array([[0, 3, 0, 4]]))


def test_the_step_correlation_reads_long_sequences_block_by_block():
    # window_warp="auto" reads it in fit: its float64 temporaries of 1,000 long sequences
    # at once took 10 times the training data (768 MB for 76 MB of float32).
    import tracemalloc

    X = np.random.default_rng(0).standard_normal((300, 2000, 4)).astype(np.float32)
    X = X.cumsum(axis=1)
    lengths = np.full(300, 2000)
    series = X.astype(np.float64).transpose(0, 2, 1).reshape(-1, 2000)
    expected = np.median([np.corrcoef(row[:-1], row[1:])[0, 1] for row in series])
    tracemalloc.start()
    try:
        median = median_step_correlation(X, lengths)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert median == pytest.approx(expected, rel=1e-9)  # the same value, by blocks
    assert peak < 3 * X.nbytes


def test_the_step_correlation_of_no_sequence_is_nan():
    # Read by blocks, no sequence made no block, and nothing to unpack.
    assert np.isnan(median_step_correlation(np.empty((0, 5, 1)), np.empty(0, dtype=int)))


def test_the_channels_first_check_of_wide_input_reads_a_sample_of_it():
    # audit33a: the check (a warning's) copied 256 sequences to float64 and made five
    # temporaries of them: 12 times X's memory at 256 x 50 x 1,000 (2.3 GB at 100 x 2,000
    # features, where 50 steps of 768-dimensional embeddings, say, reach it too).
    import tracemalloc

    X = np.random.default_rng(0).standard_normal((256, 50, 1000)).astype(np.float32)
    tracemalloc.start()
    try:
        _sequences.warn_if_channels_first(X, np.full(256, 50))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes
    # A smooth layout along the features is still seen in that sample.
    amplitudes = np.random.default_rng(1).standard_normal((256, 50, 1))
    smooth = amplitudes * np.sin(np.linspace(0, 3, 1000))  # each row a smooth curve
    with pytest.warns(UserWarning, match="runs smoothly along its features"):
        _sequences.warn_if_channels_first(smooth, np.full(256, 50))


def test_one_long_sequence_among_short_ones_is_not_read_at_its_length_by_the_others(
    monkeypatch,
):
    # audit33a: 2,000 sequences of 20 steps and one of 10,000 took 16 s to prepare for a
    # one-epoch fit of 2 s: padding the list and every per-sequence statistic read all
    # sequences at the longest one's length. A list of finite items is now padded with zeros
    # at once (the same array and lengths as through NaN padding), and each block of
    # sequences is read to its own longest length.
    rng = np.random.default_rng(0)
    X = [rng.standard_normal((20, 2)) for _ in range(300)] + [rng.standard_normal((5000, 2))]
    padded, lengths = to_padded(X, dtype=np.float64)
    as_array = np.full((301, 5000, 2), np.nan)
    for row, item in zip(as_array, X):
        row[: len(item)] = item
    expected, expected_lengths = to_padded(as_array, dtype=np.float64)
    np.testing.assert_array_equal(padded, expected)
    np.testing.assert_array_equal(lengths, expected_lengths)
    widths = []
    for name in ("_moments", "_step_correlations"):
        original = getattr(_sequences, name)

        def recorded(values, block_lengths, original=original):
            widths.append(values.shape[1])
            return original(values, block_lengths)

        monkeypatch.setattr(_sequences, name, recorded)
    _sequences.sequence_moments(padded, lengths)
    _sequences.median_step_correlation(padded, lengths)
    assert sorted(widths)[-2:] == [5000, 5000] and max(sorted(widths)[:-2]) == 20


def test_an_overflow_of_a_sequence_scaled_channel_names_the_feature_it_is_of():
    # audit33c: with standardize="sequence" the levels and log spreads of the features are
    # channels of their own, and the error named "feature(s) [3]" of a two-feature X.
    from pygru import GRUClassifier

    X = np.random.default_rng(0).standard_normal((48, 10, 2))
    X[..., 1] *= 1e300
    with pytest.raises(ValueError, match=r"the variance of feature\(s\) \[1\] overflows"):
        GRUClassifier(standardize="sequence", max_iter=1).fit(X, np.arange(48) % 2)
