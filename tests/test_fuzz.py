"""Fuzzing: every input either gives the right result or a clear ValueError/TypeError.

Right results are checked against independent oracles: ``pygru._reference`` for the GRU
layer and, layer by layer, for whole estimators; files generated from known arrays for the
``.ts`` reader; a plain loop for ``make_windows``. Inputs mix shapes (0-sized dimensions
included), dtypes (integers, bool, float16, complex, object, strings), memory layouts
(Fortran order, strided, negative strides, read-only, broadcast), NaN and inf, lengths out of
range, mismatched weights, ragged lists with empty sequences, and corrupted files.

The number of examples per test comes from ``PYGRU_FUZZ_EXAMPLES`` (default 20, a few
seconds in all). The default run is derandomised: it draws the same examples every time, so a
failure in CI reproduces anywhere. ``PYGRU_FUZZ_RANDOM=1`` draws new examples on each run,
for long exploratory runs::

    PYGRU_FUZZ_RANDOM=1 PYGRU_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz.py -q \
        --hypothesis-show-statistics

Bugs the fuzzing found are kept as plain regression tests at the end of this file.
"""

import gzip
import io
import os
import warnings
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st
from test_network import reference_conv_branch

from pygru import GRUClassifier, GRURegressor
from pygru import _reference as reference
from pygru.datasets import load_ucr, make_windows, read_ts
from pygru.functional import gru_backward, gru_forward

EXAMPLES = int(os.environ.get("PYGRU_FUZZ_EXAMPLES", "20"))
RANDOM = os.environ.get("PYGRU_FUZZ_RANDOM", "") not in ("", "0")
# Examples take milliseconds; the generous deadline only flags inputs that make pygru
# pathologically slow (a huge allocation, a runaway loop), not a busy machine.
fuzz = settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    # A derandomised run replays nothing from an example database: what it draws is fixed.
    database=None if not RANDOM else settings.default.database,
    deadline=timedelta(seconds=60),
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
ODD_DTYPES = [
    np.int32,
    np.int64,
    np.uint8,
    np.bool_,
    np.float16,
    np.complex64,
    np.complex128,
    object,
    ">f8",
    "<U8",
    "datetime64[s]",
]


def expect_clean_failure(call):
    """``call()`` must raise ValueError or TypeError; anything else fails the test."""
    try:
        call()
    except (ValueError, TypeError):
        return
    pytest.fail("accepted invalid input")


def assert_close(actual, expected, dtype, plain=None):
    """Close to the oracle: each element within ``rtol`` of its own value plus
    ``atol`` of the array's largest magnitude (no floor: an output of 1e-3 must be right to
    1e-3 * atol, not to atol). ``plain``, the oracle's formulas evaluated in ``dtype``,
    widens each element's bound by 4 times its own error: where a gate saturates, 1 - z keeps
    only the digits float32 has beyond 1, so an output of 2e-6 is 2 % off in any float32 GRU
    (torch's too), and the kernels need only be as accurate as plain float32 arithmetic."""
    rtol, atol = (2e-3, 2e-4) if np.dtype(dtype) == np.float32 else (1e-9, 1e-10)
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    bound = atol * float(np.abs(expected).max(initial=0.0)) + rtol * np.abs(expected)
    if plain is not None:
        bound = bound + 4 * np.abs(np.asarray(plain, dtype=np.float64) - expected)
    off = np.abs(actual - expected) > bound
    assert actual.shape == expected.shape and not off.any(), (
        f"{off.sum()} of {off.size} elements off the oracle: {actual[off][:5]} "
        f"against {expected[off][:5]} (bounds {np.broadcast_to(bound, off.shape)[off][:5]})"
    )


# ------------------------------------------------------------------------- layouts


def relayout(array, layout):
    """The same values as ``array`` in another memory layout (or container)."""
    if layout == "fortran":
        return np.asfortranarray(array)
    if layout == "strided":
        wide = np.zeros(tuple(2 * size for size in array.shape), array.dtype)
        view = wide[tuple(slice(None, None, 2) for _ in array.shape)]
        view[...] = array
        return view
    if layout == "negative-strides":
        flipped = np.ascontiguousarray(array[(slice(None, None, -1),) * array.ndim])
        return flipped[(slice(None, None, -1),) * array.ndim]
    if layout == "read-only":
        copy = array.copy()
        copy.flags.writeable = False
        return copy
    if layout == "broadcast" and array.ndim and array.shape[0] > 0:
        return np.broadcast_to(array[:1], array.shape) if np.all(array == array[:1]) else array
    if layout == "list":
        return array.tolist()
    return array


LAYOUTS = ["c", "fortran", "strided", "negative-strides", "read-only", "broadcast", "list"]


# --------------------------------------------------------------------- gru_forward


def expected_forward_validity(args):
    """Whether ``gru_forward(**args)`` must work, from its documented contract."""
    arrays = {}
    for name in ("x", "w_ih", "w_hh", "b_ih", "b_hh", "h0"):
        if name == "h0" and args["h0"] is None:
            continue
        try:
            arrays[name] = np.asarray(args[name])
        except (ValueError, TypeError):
            return False
    dtype = arrays["x"].dtype
    if any(array.dtype != dtype or array.dtype not in FLOATS for array in arrays.values()):
        return False
    x, w_hh = arrays["x"], arrays["w_hh"]
    if x.ndim != 3 or min(x.shape) < 1 or w_hh.ndim != 2 or w_hh.shape[1] < 1:
        return False
    batch, steps, inputs = x.shape
    hidden = w_hh.shape[1]
    shapes = {
        "w_ih": (3 * hidden, inputs),
        "w_hh": (3 * hidden, hidden),
        "b_ih": (3 * hidden,),
        "b_hh": (3 * hidden,),
        "h0": (batch, hidden),
    }
    if any(arrays[name].shape != shape for name, shape in shapes.items() if name in arrays):
        return False
    if not all(np.isfinite(array).all() for array in arrays.values()):
        return False
    if not all(isinstance(args[flag], (bool, np.bool_)) for flag in ("reset_after", "reverse")):
        return False
    if args["lengths"] is not None:
        try:
            lengths = np.asarray(args["lengths"])
        except (ValueError, TypeError):
            return False
        if lengths.dtype == np.bool_ or lengths.dtype.kind not in "iuf":
            return False
        if lengths.dtype.kind == "f" and not (
            np.isfinite(lengths).all() and (lengths == np.round(lengths)).all()
        ):
            return False
        if lengths.shape != (batch,) or ((lengths < 1) | (lengths > steps)).any():
            return False
    return True


@st.composite
def gru_calls(draw):
    """Arguments for gru_forward: valid ones, and ones with one or more defects."""
    dtype = draw(st.sampled_from(FLOATS))
    batch, steps, inputs, hidden = (draw(st.integers(1, 4)) for _ in range(4))
    seed = draw(st.integers(0, 2**32 - 1))
    scale = draw(st.sampled_from([1e-3, 0.5, 1.0, 3.0]))
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    args = dict(
        x=normal(batch, steps, inputs),
        w_ih=normal(3 * hidden, inputs),
        w_hh=normal(3 * hidden, hidden),
        b_ih=normal(3 * hidden),
        b_hh=normal(3 * hidden),
        h0=normal(batch, hidden) if draw(st.booleans()) else None,
        lengths=None,
        reset_after=draw(st.booleans()),
        reverse=draw(st.booleans()),
    )
    lengths_form = draw(st.sampled_from(["none", "int64", "int32", "uint8", "list", "float"]))
    if lengths_form != "none":
        lengths = rng.integers(1, steps + 1, size=batch)
        args["lengths"] = {
            "int64": lengths,
            "int32": lengths.astype(np.int32),
            "uint8": lengths.astype(np.uint8),
            "list": lengths.tolist(),
            "float": lengths.astype(np.float64),
        }[lengths_form]
    names = ["x", "w_ih", "w_hh", "b_ih", "b_hh", "h0"]
    for name in names:
        if args[name] is not None:
            args[name] = relayout(args[name], draw(st.sampled_from(LAYOUTS)))
    for _ in range(draw(st.integers(0, 2))):
        defect = draw(
            st.sampled_from(
                [
                    "zero-size",
                    "dtype",
                    "mixed-dtype",
                    "nan",
                    "inf",
                    "shape",
                    "ndim",
                    "lengths-range",
                    "lengths-shape",
                    "lengths-type",
                    "flag",
                    "ragged",
                    "string",
                ]
            )
        )
        name = draw(st.sampled_from([n for n in names if args[n] is not None]))
        try:
            value = np.asarray(args[name])
        except ValueError:  # made ragged by an earlier defect
            continue
        if value.ndim == 0 or value.dtype.kind not in "biufc":  # a string by now
            continue
        try:
            apply_forward_defect(draw, args, defect, name, value, batch, steps)
        except (ValueError, TypeError, OverflowError):
            pass  # the defect does not apply to what earlier defects made of the argument
    return args


def apply_forward_defect(draw, args, defect, name, value, batch, steps):
    """Spoil ``args`` in place: ``defect`` applied to ``value``, the argument ``name``."""
    if defect == "zero-size":
        axis = draw(st.integers(0, value.ndim - 1))
        args[name] = np.take(value, [], axis=axis)
    elif defect == "dtype":
        odd = draw(st.sampled_from(ODD_DTYPES))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                args[name] = value.astype(odd)
            except (TypeError, ValueError):
                args[name] = value.astype(object)
    elif defect == "mixed-dtype":
        args[name] = value.astype(np.float32 if value.dtype == np.float64 else np.float64)
    elif defect in ("nan", "inf") and value.size:
        value = np.array(value)
        value.flat[draw(st.integers(0, value.size - 1))] = np.nan if defect == "nan" else -np.inf
        args[name] = value
    elif defect == "shape":
        args[name] = np.concatenate([value, value[..., :1]], axis=-1) if value.ndim else value
    elif defect == "ndim":
        args[name] = value[None]
    elif defect == "lengths-range":
        bad = draw(st.sampled_from([0, -1, steps + 1, 2**40]))
        lengths = np.full(batch, steps, dtype=np.int64)
        lengths[draw(st.integers(0, batch - 1))] = bad
        args["lengths"] = lengths
    elif defect == "lengths-shape":
        args["lengths"] = np.full(draw(st.sampled_from([(batch + 1,), (batch, 1), ()])), 1)
    elif defect == "lengths-type":
        args["lengths"] = draw(
            st.sampled_from(
                [
                    np.full(batch, 1.5),
                    np.ones(batch, bool),
                    ["1"] * batch,
                    np.full(batch, np.nan),
                    np.full(batch, 1e300),
                    object(),
                ]
            )
        )
    elif defect == "flag":
        args[draw(st.sampled_from(["reset_after", "reverse"]))] = draw(
            st.sampled_from([1, 0, "yes", None, 1.0])
        )
    elif defect == "ragged":
        args[name] = [[0.0]] * 2 + [[0.0, 1.0]]
    elif defect == "string":
        args[name] = "x"


def as_oracle(value):
    return None if value is None else np.asarray(value, dtype=np.longdouble)


@fuzz
@given(gru_calls(), st.sampled_from(["out", "h_n", "both", "none", "bad"]), st.data())
def test_gru_forward_and_backward(args, gradient_kind, data):
    valid = expected_forward_validity(args)
    event(f"valid input: {valid}")
    if not valid:
        expect_clean_failure(lambda: gru_forward(**args))
        return
    out, h_n, cache = gru_forward(**args)
    dtype = np.asarray(args["x"]).dtype
    lengths = None if args["lengths"] is None else np.asarray(args["lengths"]).astype(np.int64)
    # The oracle runs in extended precision (x86's 80-bit long double), so that float64's
    # own rounding shows as the plain float64 evaluation's distance from it.
    ref_args = [as_oracle(args[name]) for name in ("x", "w_ih", "w_hh", "b_ih", "b_hh")]
    expected_out, expected_h_n, ref_cache = reference.forward(
        *ref_args,
        h0=as_oracle(args["h0"]),
        lengths=lengths,
        reset_after=bool(args["reset_after"]),
        reverse=bool(args["reverse"]),
    )
    plain_out, plain_h_n, plain_cache = reference.forward(
        *[np.asarray(value, dtype=dtype) for value in ref_args],
        h0=None if args["h0"] is None else np.asarray(args["h0"], dtype=dtype),
        lengths=lengths,
        reset_after=bool(args["reset_after"]),
        reverse=bool(args["reverse"]),
    )
    assert out.dtype == dtype and h_n.dtype == dtype
    assert_close(out, expected_out, dtype, plain_out)
    assert_close(h_n, expected_h_n, dtype, plain_h_n)

    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    d_out = (
        rng.standard_normal(out.shape).astype(dtype) if gradient_kind in ("out", "both") else None
    )
    d_h_n = (
        rng.standard_normal(h_n.shape).astype(dtype) if gradient_kind in ("h_n", "both") else None
    )
    if gradient_kind == "bad":
        bad = data.draw(st.sampled_from(["dtype", "shape", "nan", "cache"]))
        d_out = {
            "dtype": out.astype(np.float16),
            "shape": np.concatenate([out, out], axis=1),
            "nan": np.full_like(out, np.nan),
            "cache": out,
        }[bad]
        expect_clean_failure(
            lambda: gru_backward(d_out, None, cache if bad != "cache" else ref_cache)
        )
        return
    gradients = gru_backward(d_out, d_h_n, cache)
    expected = reference.backward(as_oracle(d_out), as_oracle(d_h_n), ref_cache)
    plain = reference.backward(d_out, d_h_n, plain_cache)
    for actual, wanted, plain_wanted in zip(gradients, expected, plain):
        assert actual.dtype == dtype
        assert_close(actual, wanted, dtype, plain_wanted)


@fuzz
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from(FLOATS),
    st.booleans(),
    st.sampled_from([1e10, 1e20, 1e30, 1e300]),
)
def test_gru_forward_with_extreme_finite_values_never_crashes(seed, dtype, reset_after, magnitude):
    """Values near the top of the dtype's range may overflow inside the products; the call
    must still return arrays of the right shape or refuse the input cleanly."""
    rng = np.random.default_rng(seed)
    magnitude = min(magnitude, float(np.finfo(dtype).max) / 4)
    hidden = 3

    def extreme(*shape):
        return (magnitude * rng.choice([-1.0, 0.0, 1.0], size=shape) * rng.random(shape)).astype(
            dtype
        )

    x, w_ih, w_hh = extreme(2, 3, 2), extreme(3 * hidden, 2), extreme(3 * hidden, hidden)
    b_ih, b_hh = extreme(3 * hidden), extreme(3 * hidden)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out, h_n, cache = gru_forward(x, w_ih, w_hh, b_ih, b_hh, reset_after=reset_after)
        gradients = gru_backward(np.ones_like(out), None, cache)
    assert out.shape == (2, 3, hidden) and h_n.shape == (2, hidden)
    assert [g.shape for g in gradients] == [
        x.shape,
        h_n.shape,
        w_ih.shape,
        w_hh.shape,
        b_ih.shape,
        b_hh.shape,
    ]
    finite = np.isfinite(out)
    assert np.all(np.abs(out[finite]) <= 1.0 + 1e-6), "hidden states are bounded by 1"


# ---------------------------------------------------------------------- estimators


def reference_input_transform(estimator, padded, lengths):
    """What the network reads: standardised valid steps, then runs of patch_size_ steps
    concatenated (a sequence's last step repeated to fill its last patch); plain loops."""
    steps, features = padded.shape[1], padded.shape[2]
    k = getattr(estimator, "patch_size_", 1)
    n_patches = -(-steps // k)
    out = np.zeros((len(padded), n_patches, k * features))
    for i, length in enumerate(lengths):
        sequence = padded[i, :length].astype(np.float64)
        if hasattr(estimator, "input_mean_"):
            sequence = (sequence - estimator.input_mean_) / estimator.input_scale_
        for t in range(-(-length // k)):
            for j in range(k):
                out[i, t, j * features : (j + 1) * features] = sequence[min(t * k + j, length - 1)]
    return out, -(-lengths // k)


def reference_network_output(network, inputs, lengths):
    """The network's output computed with pygru._reference, layer by layer, in float64."""
    views = {name: view.astype(np.float64) for name, view in network.views.items()}
    hidden = (
        views["embedding"][inputs]
        if network.embedding_dim is not None
        else np.asarray(inputs, dtype=np.float64)
    )
    for layer in range(len(network.hidden_layer_sizes)):
        outputs, states = [], []
        for direction in network.directions:
            prefix = f"gru{layer}.{direction}."
            out, h_n, _ = reference.forward(
                hidden,
                *(views[prefix + name] for name in ("w_ih", "w_hh", "b_ih", "b_hh")),
                lengths=lengths,
                reset_after=network.reset_after,
                reverse=direction == "backward",
            )
            outputs.append(out)
            states.append(h_n)
        hidden = np.concatenate(outputs, axis=2)
    if network.output == "sequence":
        head_input = hidden
    else:
        last = np.concatenate(states, axis=1)
        head_input = np.stack(
            [
                reference_pooling(network.pooling, hidden[i, :length], last[i], views)
                for i, length in enumerate(lengths)
            ]
        )
    if network.conv_layers:
        branch = reference_conv_branch(network, np.asarray(inputs, dtype=np.float64), lengths)
        head_input = np.concatenate([head_input, branch], axis=1)
    output = head_input @ views["head.weight"].T + views["head.bias"]
    if network.linear_steps:
        output = output + reference_linear_skip(network, inputs, lengths, views)
    return output


def reference_linear_skip(network, inputs, lengths, views):
    """The linear map of each sequence's last ``linear_steps`` network inputs, zeros in
    front of a shorter sequence."""
    n_steps = network.linear_steps
    rows = []
    for sequence, length in zip(np.asarray(inputs, dtype=np.float64), lengths):
        window = np.zeros((n_steps, sequence.shape[1]))
        kept = min(length, n_steps)
        window[n_steps - kept :] = sequence[length - kept : length]
        rows.append(window.ravel())
    return np.array(rows) @ views["linear.weight"].T


def reference_pooling(pooling, steps, last, views):
    """What the head reads of one sequence: its valid top-layer outputs ``steps`` (T_i, D)
    and its final states ``last`` (D,)."""
    if pooling == "last":
        return last
    if pooling == "attention":
        scores = steps @ views["attention.weight"][0]
        weights = np.exp(scores - scores.max())
        return (weights / weights.sum()) @ steps
    pooled = {"mean": steps.mean(axis=0), "max": steps.max(axis=0)}
    if pooling in pooled:
        return pooled[pooling]
    return np.concatenate([last, pooled["mean"], pooled["max"]])


def reference_target_scaling(kind, y, lengths, sample_weight):
    """Each target's weighted mean and standard deviation over the training values (every
    valid time step of a sequence target), a constant target getting scale 1."""
    if kind == "regressor":
        rows = [np.asarray(value, dtype=np.float64).reshape(1, -1) for value in y]
    else:
        rows = [np.asarray(t, dtype=np.float64)[:length] for t, length in zip(y, lengths)]
        rows = [row.reshape(len(row), -1) for row in rows]
    weights = np.ones(len(rows)) if sample_weight is None else np.asarray(sample_weight, float)
    values = np.concatenate(rows).astype(np.float64)
    step_weights = np.repeat(weights, [len(row) for row in rows])
    mean = np.average(values, axis=0, weights=step_weights)
    scale = np.sqrt(np.average((values - mean) ** 2, axis=0, weights=step_weights))
    constant = scale <= 10 * np.finfo(np.float64).eps * np.abs(mean)
    scale[constant] = 1.0
    mean[constant] = values[0, constant]
    return mean, scale


def y_values(y):
    """The finite values of targets given as an array or as a list of per-step arrays."""
    values = np.concatenate([np.ravel(np.asarray(t, dtype=np.float64)) for t in y])
    return values[np.isfinite(values)]


def softmax(logits):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


VALUE_DTYPES = ["float64", "float32", "float16", "int64", "int32", "uint8", "object"]
X_FORMS = ["array3d", "array2d", "list2d", "list1d", "lists", "tuple", "object-array"]
X_DEFECTS = [
    "nan-inside",
    "partial-nan",
    "inf",
    "empty-sequence",
    "no-samples",
    "zero-features",
    "feature-mismatch",
    "complex",
    "strings",
    "string-item",
    "none-item",
    "dict",
    "ndim",
    "too-large",
]
Y_DEFECTS = ["wrong-length", "nan", "single-class", "inf", "2d-classes", "none"]
WEIGHT_DEFECTS = ["negative", "wrong-length", "nan", "all-zero", "strings"]


@st.composite
def estimator_cases(draw):
    """(estimator, X, y, sample_weight, what the oracle needs, whether fit must work)."""
    kind = draw(st.sampled_from(["classifier", "regressor", "sequence", "labels", "tokens"]))
    n = draw(st.integers(1, 5))
    features = 1 if kind == "tokens" else draw(st.integers(1, 3))
    lengths = np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    settings = dict(
        hidden_layer_sizes=draw(st.sampled_from([2, (2,), (2, 2), [3]])),
        bidirectional=draw(st.booleans()),
        reset_after=draw(st.booleans()),
        dtype=draw(st.sampled_from(["float32", "float64"])),
        batch_size=draw(st.integers(1, 4)),
        max_iter=1,
        random_state=0,
        standardize=draw(st.booleans()),
        patch_size=draw(st.sampled_from([None, "auto", 1, 2, 3])),
        pooling=draw(st.sampled_from(["last", "mean", "max", "attention", "concat"])),
        conv_layers=draw(st.sampled_from([None, ((2, 3),), ((2, 2), (3, 1))])),
    )
    # Patches and the conv branch need one output per sequence and numeric input; per-step
    # models ignore pooling.
    one_output = kind in ("classifier", "regressor")
    valid = (settings["patch_size"] in (None, "auto", 1) or one_output) and (
        settings["conv_layers"] is None or one_output
    )
    if kind == "tokens":
        settings["embedding_dim"] = 2
        sequences = [rng.integers(1, 12, size=length) for length in lengths]
        dtype = "int64"
    else:
        sequences = [rng.standard_normal((length, features)) for length in lengths]
        dtype = draw(st.sampled_from(VALUE_DTYPES))
        if dtype in ("int64", "int32", "uint8"):
            sequences = [np.round(3 * np.abs(s)) for s in sequences]
        sequences = [s.astype(dtype if dtype != "object" else np.float64) for s in sequences]
    # What the model will see, before any defect: the oracle's input.
    clean = [np.asarray(s, dtype=np.float64) for s in sequences]

    form = draw(st.sampled_from(X_FORMS))
    if kind == "tokens" and form in ("array3d", "list2d"):
        form = "lists"
    if form == "array2d" and features != 1:
        form = "array3d"
    if form == "list1d" and features != 1:
        form = "list2d"
    if form in ("array3d", "array2d"):
        fill = 0 if kind == "tokens" else np.nan
        X = np.full(
            (n, lengths.max(), features), fill, dtype=np.float64 if kind != "tokens" else np.int64
        )
        for row, sequence in zip(X, clean):
            row[: len(sequence)] = sequence.reshape(len(sequence), -1)
        if kind == "tokens" or form == "array2d":
            X = X[:, :, 0]
        if dtype not in ("float64", "object") and (
            kind == "tokens" or lengths.min() == lengths.max()
        ):
            X = X.astype(dtype)  # without NaN padding, integer arrays are possible
        elif dtype in ("float32", "float16"):
            X = X.astype(dtype)
        elif dtype == "object":
            X = X.astype(object)
        X = relayout(
            X, draw(st.sampled_from([layout for layout in LAYOUTS if layout != "broadcast"]))
        )
    else:
        items = [s[:, 0] if form == "list1d" and kind != "tokens" else s for s in sequences]
        if form == "lists":
            items = [item.tolist() for item in items]
        if form == "object-array":
            X = np.empty(n, dtype=object)
            for index, item in enumerate(items):
                X[index] = item
        else:
            X = tuple(items) if form == "tuple" else list(items)
    if kind == "classifier":
        labels = draw(st.sampled_from([[0, 1], ["a", "b"], [True, False], [-1, 3, 7]]))
        y = np.asarray(labels)[np.arange(n) % len(labels)]
        if n < 2:
            valid = False  # a classifier needs two classes
    elif kind == "tokens":
        y = np.arange(n) % 2
        if n < 2:
            valid = False
    elif kind == "regressor":
        y = rng.standard_normal((n,) + draw(st.sampled_from([(), (1,), (2,)])))
    elif kind == "labels":  # one label per step, alternating over all steps: two classes
        labels = np.asarray(draw(st.sampled_from([[0, 1], ["a", "b"]])))
        steps = labels[np.arange(lengths.sum()) % 2]
        rows = np.split(steps, np.cumsum(lengths)[:-1])
        if isinstance(X, (list, tuple)) or getattr(X, "dtype", None) is np.dtype(object):
            y = rows
        else:  # padded with a value that is no class: ignored past each length
            y = np.full((n, lengths.max()), "pad" if labels.dtype.kind == "U" else 9)
            y = y.astype(labels.dtype if labels.dtype.kind == "U" else int)
            for row, labels_of_row in zip(y, rows):
                row[: len(labels_of_row)] = labels_of_row
        if lengths.sum() < 2:
            valid = False  # a classifier needs two classes
    else:
        targets = [rng.standard_normal(length) for length in lengths]
        if isinstance(X, (list, tuple)) or getattr(X, "dtype", None) is np.dtype(object):
            y = targets
        else:
            y = np.full((n, lengths.max()), np.nan)
            for row, target in zip(y, targets):
                row[: len(target)] = target
    sample_weight = None if draw(st.booleans()) else rng.random(n) + 0.1

    defective = draw(
        st.sampled_from(
            [[], [], ["X"], ["X"], ["y"], ["sample_weight"], ["X", "y"], ["y", "sample_weight"]]
        )
    )
    for target in defective:
        valid = False
        if target == "X":
            # X beyond float32 is too large only where it is not standardised from float64.
            precision = "float64" if settings["standardize"] else settings["dtype"]
            X = corrupt_X(draw, X, kind, n, precision)
        elif target == "y":
            defect = draw(st.sampled_from(Y_DEFECTS))
            y = corrupt_y(defect, y, kind)
        else:
            defect = draw(st.sampled_from(WEIGHT_DEFECTS))
            sample_weight = {
                "negative": -np.ones(n),
                "wrong-length": np.ones(n + 1),
                "nan": np.full(n, np.nan),
                "all-zero": np.zeros(n),
                "strings": np.array(["w"] * n),
            }[defect]
    estimator_class = GRUClassifier if kind in ("classifier", "tokens", "labels") else GRURegressor
    if kind in ("sequence", "labels"):
        settings["output"] = "sequence"
    return estimator_class(**settings), X, y, sample_weight, (kind, clean, lengths), valid


def corrupt_X(draw, X, kind, n, dtype):
    defects = [
        defect
        for defect in X_DEFECTS
        if not (defect == "feature-mismatch" and n == 1)
        and not (defect == "too-large" and dtype == "float64" and kind != "tokens")
    ]
    defect = draw(st.sampled_from(defects))
    note(f"X defect: {defect}")
    if defect == "no-samples":
        return X[:0] if isinstance(X, np.ndarray) else []
    if defect in ("complex", "strings"):  # bool is read as 0 and 1, as scikit-learn does
        dtype = {"complex": complex, "strings": str}[defect]
        if isinstance(X, np.ndarray) and X.dtype != object:
            return np.nan_to_num(X).astype(dtype)
        return [np.asarray(item).astype(dtype) for item in X]
    if defect == "dict":
        return {"X": X}
    if defect == "ndim":
        return np.zeros((2, 2, 2, 2)) if draw(st.booleans()) else np.zeros(3)
    if defect == "too-large" and kind != "tokens":
        return [np.full((2, 1), 1e300)] * 2 if draw(st.booleans()) else np.full((2, 2), 1e39)
    items = [np.array(item, dtype=np.float64) for item in X]  # one per sequence
    first = items[0]
    if defect == "nan-inside":
        if len(first) < 2:
            first = np.concatenate([first, first], axis=0)
        first[0] = np.nan  # a NaN step before real values
    elif defect == "partial-nan":
        # Two or more features, one of them NaN at the first step (always a real step).
        items = [np.concatenate([item.reshape(len(item), -1)] * 2, axis=1) for item in items]
        first = items[0]
        first[0, 0] = np.nan
    elif defect == "inf":
        first = first.copy()
        first.flat[0] = np.inf
    elif defect == "empty-sequence":
        first = first[:0]
    elif defect == "zero-features":
        first = first.reshape(len(first), -1)[:, :0]
        items = [item.reshape(len(item), -1)[:, :0] for item in items]
    elif defect == "feature-mismatch":
        first = np.zeros((len(first), 5))
    elif defect == "string-item":
        return ["sequence"] + items[1:]
    elif defect == "none-item":
        return [None] + items[1:]
    else:  # too-large on tokens: a negative id
        first = first - 100
    items[0] = first
    if kind == "tokens" and defect in ("nan-inside", "inf", "partial-nan"):
        return items
    return items


def corrupt_y(defect, y, kind):
    note(f"y defect: {defect}")
    if defect == "wrong-length":
        return y[:-1] if len(y) > 1 else list(y) * 2
    if defect == "none":
        return None
    if defect == "2d-classes" and kind in ("classifier", "tokens"):
        return np.stack([y, y], axis=1)
    if kind == "labels":
        rows = [np.asarray(row).astype(object) for row in y]
        if defect in ("nan", "inf"):
            rows[0][0] = np.nan  # not a label
        else:  # every step the same label: a single class
            rows = [np.full(len(row), rows[0][0]) for row in rows]
        return rows
    if kind in ("classifier", "tokens"):
        if defect in ("nan", "inf"):
            y = np.asarray(y).astype(object)
            y[0] = np.nan
            return y
        return np.full(len(y), np.asarray(y)[0])  # single class
    if kind == "sequence":
        if isinstance(y, np.ndarray):  # NaN-padded: a NaN before the first real target
            y = y.copy()
            y[0, 0] = np.nan
            return y
        targets = [np.array(t, dtype=np.float64) for t in y]
        targets[0] = targets[0][:-1] if len(targets[0]) > 1 else np.zeros(3)
        return targets
    y = np.array(y, dtype=np.float64)
    y.flat[0] = np.nan if defect in ("nan", "single-class", "2d-classes") else np.inf
    return y


@fuzz
@given(estimator_cases())
def test_estimators_fit_and_predict(case):
    estimator, X, y, sample_weight, (kind, clean, lengths), valid = case
    note(f"{estimator!r}, X={type(X).__name__}")
    event(f"valid input: {valid}")
    if not valid:
        expect_clean_failure(lambda: estimator.fit(X, y, sample_weight=sample_weight))
        return
    estimator.fit(X, y, sample_weight=sample_weight)
    padded = np.zeros(
        (len(clean), lengths.max()) + (() if kind == "tokens" else (clean[0].shape[1],))
    )
    for row, sequence in zip(padded, clean):
        row[: len(sequence)] = sequence.reshape(row[: len(sequence)].shape)
    if kind == "tokens":
        padded = padded.astype(np.int64)
    else:
        padded = padded.astype(estimator.dtype)  # the model's own rounding of the input
        padded, lengths = reference_input_transform(estimator, padded, lengths)
    expected = reference_network_output(estimator.network_, padded, lengths)
    if kind in ("regressor", "sequence") and estimator.standardize_target:
        mean, scale = reference_target_scaling(kind, y, lengths, sample_weight)
        # y is kept in float64 where the model's dtype would blur it, else rounded to it.
        resolution = 4 * np.finfo(estimator.dtype).eps * np.abs(y_values(y)).max()
        np.testing.assert_allclose(estimator.target_mean_, mean, rtol=0, atol=resolution)
        np.testing.assert_allclose(estimator.target_scale_, scale, rtol=1e-12, atol=resolution)
        expected = expected * scale + mean
    if kind in ("classifier", "tokens"):
        probabilities = estimator.predict_proba(X)
        assert_close(probabilities, softmax(expected), estimator.dtype)
        predictions = estimator.predict(X)
        assert set(np.asarray(predictions).tolist()) <= set(estimator.classes_.tolist())
    elif kind == "regressor":
        predictions = estimator.predict(X)
        assert_close(predictions, expected.reshape(np.shape(y)), estimator.dtype)
    elif kind == "labels":
        probabilities = estimator.predict_proba(X)
        valid_steps = np.arange(expected.shape[1])[None, :] < lengths[:, None]
        if isinstance(probabilities, list):
            probabilities = np.concatenate(probabilities)
        else:
            assert np.isnan(probabilities[~valid_steps]).all()
            probabilities = probabilities[valid_steps]
        assert_close(probabilities, softmax(expected[valid_steps]), estimator.dtype)
        predictions = estimator.predict(X)
        assert [len(row) for row in predictions] == list(lengths)
    else:
        predictions = estimator.predict(X)
        expected = expected[..., 0]
        if isinstance(predictions, list):
            for prediction, row, length in zip(predictions, expected, lengths):
                assert_close(prediction, row[:length], estimator.dtype)
        else:
            valid_steps = np.arange(expected.shape[1])[None, :] < lengths[:, None]
            assert np.isnan(predictions[~valid_steps]).all()
            assert_close(predictions[valid_steps], expected[valid_steps], estimator.dtype)


# ----------------------------------------------------------------------------- .ts


TAG_STYLES = st.sampled_from([str.lower, str.upper, lambda tag: tag])


@st.composite
def ts_files(draw):
    """A valid .ts file, as bytes, and the arrays it must give."""
    n = draw(st.integers(1, 4))
    dims = draw(st.integers(1, 3))
    equal = draw(st.booleans())
    length = draw(st.integers(1, 5))
    lengths = [length] * n if equal else draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    missing = draw(st.booleans())
    series, texts = [], []
    for series_length in lengths:
        values = rng.standard_normal((series_length, dims)) * 10.0 ** rng.integers(-3, 4)
        values = np.where(rng.random(values.shape) < 0.3, np.round(values), values)
        if missing:
            values[rng.random(values.shape) < 0.2] = np.nan
        series.append(values)
        texts.append(
            ":".join(
                ",".join(
                    "?"
                    if np.isnan(v)
                    else draw(st.sampled_from([repr, str, "{:.17e}".format]))(float(v))
                    for v in values[:, d]
                )
                for d in range(dims)
            )
        )
    label_kind = draw(st.sampled_from(["none", "class", "target"]))
    header = []
    style = draw(TAG_STYLES)

    def tag(name, value=""):
        header.append(f"@{style(name)} {value}".rstrip())

    if draw(st.booleans()):
        tag("problemName", draw(st.sampled_from(["Fuzz", "Fuzz Set", "x_1"])))
    if draw(st.booleans()):
        tag("timeStamps", "false")
    if draw(st.booleans()):
        tag("missing", "true" if missing else draw(st.sampled_from(["false", "true"])))
    if draw(st.booleans()):
        tag("univariate", "true" if dims == 1 else "false")
    if draw(st.booleans()):
        tag("dimensions", str(dims))
    declared_equal = None
    if draw(st.booleans()):
        declared_equal = equal and draw(st.booleans())
        tag("equalLength", "true" if declared_equal else "false")
    if equal and declared_equal is not False and draw(st.booleans()):
        tag("seriesLength", str(length))
    labels = None
    if label_kind == "class":
        names = draw(
            st.lists(
                st.sampled_from(["a", "b", "1", "2.0", "cls_3", "Z"]),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        labels = [draw(st.sampled_from(names)) for _ in range(n)]
        tag("classLabel", "true " + " ".join(names))
    else:
        if draw(st.booleans()):
            tag("classLabel", "false")
        if label_kind == "target":
            labels = [float(rng.standard_normal()) for _ in range(n)]
            tag("targetLabel", "true")
        elif draw(st.booleans()):
            tag("targetLabel", "false")
    if draw(st.booleans()):
        header.insert(draw(st.integers(0, len(header))), "# a comment")
    if draw(st.booleans()):
        header.append(f"@{style('unknownTag')} something")
    header = [header[i] for i in draw(st.permutations(range(len(header))))]
    lines = header + [f"@{style('data')}"]
    for index, text in enumerate(texts):
        if labels is not None:
            text += ":" + (repr(labels[index]) if label_kind == "target" else labels[index])
        lines.append(text)
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# comment", "   "])))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    content = (newline.join(lines) + draw(st.sampled_from(["", newline]))).encode()
    if draw(st.booleans()):
        content = gzip.compress(content)
    as_array = declared_equal is not False and len(set(lengths)) == 1
    expected_y = None if labels is None else np.asarray(labels)
    return content, series, as_array, expected_y, label_kind


@fuzz
@given(ts_files())
def test_read_ts_reads_valid_files_exactly(case):
    content, series, as_array, expected_y, label_kind = case
    X, y, header = read_ts(io.BytesIO(content))
    if as_array:
        assert isinstance(X, np.ndarray) and X.dtype == np.float64
        np.testing.assert_array_equal(X, np.stack(series))
    else:
        assert isinstance(X, list) and len(X) == len(series)
        for actual, wanted in zip(X, series):
            assert actual.dtype == np.float64
            np.testing.assert_array_equal(actual, wanted)
    if expected_y is None:
        assert y is None
    elif label_kind == "target":
        np.testing.assert_array_equal(y, expected_y.astype(np.float64))
    else:
        assert y.tolist() == expected_y.tolist()
    assert header["target_label"] == (label_kind == "target")


def check_ts_result(result):
    """A result of read_ts must be one of the documented shapes."""
    X, y, header = result
    if isinstance(X, np.ndarray):
        assert X.ndim == 3 and X.dtype == np.float64 and min(X.shape) >= 1
        n, dims = X.shape[0], X.shape[2]
    else:
        assert isinstance(X, list) and X
        dims = X[0].shape[1]
        for item in X:
            assert item.ndim == 2 and item.dtype == np.float64 and item.shape[1] == dims
            assert len(item) >= 1
        n = len(X)
    assert dims >= 1
    assert y is None or (y.shape == (n,) and y.dtype.kind in "fU")
    assert isinstance(header, dict)


def mutate_bytes(content, kind, position, payload):
    """Apply one byte-level mutation (flip, delete, insert, cut) to ``content`` in place."""
    if kind == "flip":
        if position < len(content):
            content[position] ^= payload[0] or 1
    elif kind == "delete":
        del content[position : position + len(payload)]
    elif kind == "insert":
        content[position:position] = payload
    elif kind == "cut":
        del content[position:]
    else:
        raise ValueError(f"unknown mutation {kind!r}")


def read_ts_cleanly(content):
    try:
        result = read_ts(io.BytesIO(content))
    except (ValueError, TypeError):
        event("read_ts: refused")
        return
    event("read_ts: read")
    check_ts_result(result)


@fuzz
@given(
    ts_files(),
    st.lists(
        st.tuples(
            st.sampled_from(["flip", "delete", "insert", "cut", "swap-lines", "splice"]),
            st.integers(0, 10**6),
            st.binary(min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_read_ts_on_corrupted_files(case, mutations):
    content = bytearray(gzip.decompress(case[0]) if case[0][:2] == b"\x1f\x8b" else case[0])
    for kind, position, payload in mutations:
        position %= len(content) + 1
        if kind == "splice":
            content[position:position] = draw_token(payload)
        elif kind == "swap-lines":
            lines = bytes(content).split(b"\n")
            index = position % len(lines)
            lines[index], lines[-1] = lines[-1], lines[index]
            content = bytearray(b"\n".join(lines))
        else:
            mutate_bytes(content, kind, position, payload)
        if not content:
            break
    content = bytes(content)
    read_ts_cleanly(content)
    read_ts_cleanly(gzip.compress(content))


def draw_token(payload):
    """Fragments that mean something to the .ts grammar."""
    tokens = [
        b":",
        b",",
        b"?",
        b"@data\n",
        b"@classLabel true a",
        b"nan",
        b"inf",
        b"1e999",
        b"-",
        b"\n",
        b"@dimensions 0\n",
        b"#",
        b"\xff",
        b"@equalLength true\n",
        b"@timeStamps true\n",
        b"@targetLabel true\n",
        b"\x00",
        b"\xe2\x80\xa8",
        b"1_000",
        b"\xd9\xa3",
    ]
    return tokens[payload[0] % len(tokens)]


@fuzz
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        st.text(alphabet="@data:,?.0123456789-e#\n \tabcltrue", max_size=200).map(str.encode),
    )
)
def test_read_ts_on_arbitrary_bytes(content):
    read_ts_cleanly(content)


@fuzz
@given(
    st.one_of(st.text(max_size=20), st.integers(), st.none(), st.binary(max_size=5)),
    st.one_of(st.none(), st.text(max_size=6), st.integers()),
)
def test_load_ucr_arguments(name, split):
    known = {"italypowerdemand"}  # the smallest set: loading it is quick
    if (
        isinstance(name, str)
        and name.lower() in known
        and (split is None or isinstance(split, str) and split.lower() in ("train", "test"))
    ):
        load_ucr(name, split=split)
        return
    assume(
        not (
            isinstance(name, str)
            and name.lower()
            in {
                known_name.lower()
                for known_name in [
                    "GunPoint",
                    "JapaneseVowels",
                    "BasicMotions",
                    "ArrowHead",
                    "PickupGestureWiimoteZ",
                ]
            }
        )
    )
    expect_clean_failure(lambda: load_ucr(name, split=split))


# --------------------------------------------------------------------- make_windows


def windows_by_loop(series, lookback, horizon, step, target):
    values = np.asarray(series)
    values = values.astype(np.float64) if values.dtype.kind != "f" else values
    columns = values[:, None] if values.ndim == 1 else values
    X, y = [], []
    for start in range(0, len(columns) - lookback - horizon + 1, step):
        X.append(columns[start : start + lookback])
        future = columns[start + lookback : start + lookback + horizon]
        if values.ndim == 1 or target is not None:
            future = future[:, 0 if target is None else target]
        y.append(future[0] if horizon == 1 else future.reshape(-1))  # step-major columns
    return np.array(X), np.array(y)


@st.composite
def windows_cases(draw):
    """make_windows arguments: valid ones, or valid ones with one defect."""
    lookback, horizon, step = (draw(st.integers(1, 4)) for _ in range(3))
    n_dims = draw(st.sampled_from([None, 1, 2, 3]))
    n_timepoints = draw(st.integers(lookback + horizon, lookback + horizon + 8))
    columns = 1 if n_dims is None else n_dims
    target = draw(st.one_of(st.none(), st.integers(-columns, columns - 1)))
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "uint8", "bool"]))
    shape = (n_timepoints,) if n_dims is None else (n_timepoints, n_dims)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    series = (10 * np.abs(rng.standard_normal(shape))).astype(dtype)
    defect = draw(
        st.sampled_from(
            [None] * 6
            + ["short", "no-columns", "ndim", "dtype", "argument-value", "argument-type", "target"]
        )
    )
    if defect == "short":
        series = series[: lookback + horizon - 1]
    elif defect == "no-columns":
        series = series.reshape(n_timepoints, -1)[:, :0]
    elif defect == "ndim":
        series = series.reshape(series.shape + (1,))
    elif defect == "dtype":
        series = series.astype(
            draw(st.sampled_from(["complex128", "object", "<U3", "datetime64[s]"]))
        )
    elif defect in ("argument-value", "argument-type"):
        bad = (
            draw(st.integers(-2, 0))
            if defect == "argument-value"
            else draw(st.sampled_from([1.0, True, "2", None, 2.5]))
        )
        which = draw(st.integers(0, 2))
        lookback, horizon, step = [
            bad if index == which else value
            for index, value in enumerate((lookback, horizon, step))
        ]
    elif defect == "target":
        target = draw(st.sampled_from([columns, -columns - 1, True, 0.0, "0"]))
    layout = draw(st.sampled_from(["c", "fortran", "strided", "negative-strides", "list"]))
    return relayout(series, layout), lookback, horizon, step, target


@fuzz
@given(windows_cases())
def test_make_windows(case):
    series, lookback, horizon, step, target = case
    integers_ok = all(
        isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1
        for value in (lookback, horizon, step)
    )
    array = np.asarray(series)
    columns = 1 if array.ndim == 1 else (array.shape[1] if array.ndim == 2 else 0)
    target_ok = target is None or (
        isinstance(target, int) and not isinstance(target, bool) and -columns <= target < columns
    )
    valid = (
        integers_ok
        and array.dtype.kind in "biuf"
        and array.ndim in (1, 2)
        and columns >= 1
        and target_ok
        and len(array) >= lookback + horizon
    )
    event(f"valid input: {valid}")
    if not valid:
        expect_clean_failure(
            lambda: make_windows(series, lookback, horizon=horizon, step=step, target=target)
        )
        return
    X, y = make_windows(series, lookback, horizon=horizon, step=step, target=target)
    expected_X, expected_y = windows_by_loop(array, lookback, horizon, step, target)
    np.testing.assert_array_equal(X, expected_X)
    np.testing.assert_array_equal(y, expected_y)
    assert X.dtype == (array.dtype if array.dtype.kind == "f" else np.float64)


# ---------------------------------------------------------------------------- load


@pytest.fixture(scope="module")
def saved_model():
    from pygru._persistence import save

    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3, 2))
    clf = GRUClassifier(hidden_layer_sizes=(2,), max_iter=1, random_state=0).fit(X, [0, 1, 2] * 2)
    buffer = io.BytesIO()
    save(clf, buffer)
    return buffer.getvalue(), X, clf.predict_proba(X)


@fuzz
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["flip", "delete", "insert", "cut"]),
            st.integers(0, 10**6),
            st.binary(min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_load_of_corrupted_files(saved_model, mutations):
    """A corrupted file is refused, or (a harmless change, e.g. in JSON whitespace) loads a
    model that predicts exactly as the saved one."""
    from pygru._persistence import load

    blob, X, expected = saved_model
    content = bytearray(blob)
    for kind, position, payload in mutations:
        mutate_bytes(content, kind, position % (len(content) + 1), payload)
    try:
        loaded = load(io.BytesIO(bytes(content)))
    except ValueError:
        event("load: refused")
        return
    event("load: loaded")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


@fuzz
@given(
    st.sampled_from(["format_version", "estimator", "params", "fitted", "arrays"]),
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=8,
    ),
)
def test_load_of_metadata_with_wrong_types(saved_model, key, value):
    import json
    import zipfile

    from pygru._persistence import load

    blob, X, expected = saved_model
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    metadata = json.loads(members["metadata.json"])
    metadata[key] = value
    members["metadata.json"] = json.dumps(metadata).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    try:
        loaded = load(io.BytesIO(buffer.getvalue()))
    except ValueError:
        return
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


# ------------------------------------------- bugs the fuzzing found (fixed), kept as tests


@pytest.mark.parametrize(
    "content",
    [
        b"\x1f\x8b not gzip",
        gzip.compress(b"@data\n1,2\n")[:-5],
    ],
    ids=["bad-header", "truncated"],
)
def test_read_ts_refuses_corrupted_gzip(content):
    with pytest.raises(ValueError):
        read_ts(io.BytesIO(content))


def test_regressor_refuses_complex_targets():
    X = np.random.default_rng(0).standard_normal((4, 3, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            GRURegressor(hidden_layer_sizes=2, max_iter=1).fit(X, np.ones(4) * (1 + 1j))


@pytest.mark.parametrize(
    "ids",
    [np.array([[1, 2**63]], dtype=np.uint64), np.array([[1.0, 1e20]])],
    ids=["uint64", "float"],
)
def test_huge_token_ids_are_refused(ids):
    with pytest.raises(ValueError):
        GRUClassifier(hidden_layer_sizes=2, embedding_dim=2, max_iter=1).fit(
            np.concatenate([ids, ids]), [0, 1]
        )
