"""The Cython kernels (through pygru.functional) against the NumPy reference, on every
kernel path (baseline, AVX2, AVX-512) this machine runs."""

import numpy as np
import pytest
from conftest import make_layer, random_lengths
from threadpoolctl import threadpool_limits

from pygru import _cpu, _reference
from pygru.functional import _kernel_max_over_valid_steps, gru_backward, gru_forward, matmul

_gru = _cpu.kernels


@pytest.fixture(params=_cpu.runnable_paths())
def kernel_path(request, monkeypatch):
    """Run the test on one kernel path (pygru.functional reads ``_cpu.kernels`` per call)."""
    monkeypatch.setattr(_cpu, "kernels", _cpu.kernel_module(request.param))
    return request.param


TOLERANCE = {np.float64: 1e-10, np.float32: 1e-4}
SHAPES = {  # (B, T, I, H)
    "general": (5, 7, 3, 6),
    "B=1": (1, 6, 2, 3),
    "T=1": (4, 1, 3, 5),
    "H=1": (3, 5, 2, 1),
    "I=1": (3, 4, 1, 6),
    "H=257": (3, 3, 4, 257),
}


def assert_close(actual, expected, dtype, name):
    """Error relative to the largest magnitude of the expected array."""
    scale = max(np.max(np.abs(expected)), 1e-30)
    error = np.max(np.abs(actual.astype(np.float64) - expected)) / scale
    assert error < TOLERANCE[dtype], f"{name}: relative error {error:.2e}"
    assert actual.dtype == dtype, f"{name}: dtype {actual.dtype}"


def compare_with_reference(
    layer, dtype, lengths, reset_after, reverse, use_h0, seed=5, recurrent_dropout=0.0
):
    """Forward and backward of the kernels vs the float64 reference on the same inputs."""
    inputs = {k: v.astype(dtype) for k, v in layer.items()}
    if recurrent_dropout:
        batch, hidden = layer["h0"].shape
        keep = np.random.default_rng(seed).random((batch, hidden)) >= recurrent_dropout
        inputs["recurrent_mask"] = (keep / (1 - recurrent_dropout)).astype(dtype)
    if not use_h0:
        inputs["h0"] = None
    upcast = {k: None if v is None else v.astype(np.float64) for k, v in inputs.items()}
    if not use_h0:
        upcast["h0"] = np.zeros((layer["x"].shape[0], layer["w_hh"].shape[1]))
    options = dict(lengths=lengths, reset_after=reset_after, reverse=reverse)
    out, h_n, cache = gru_forward(**inputs, **options)
    out_ref, h_ref, cache_ref = _reference.forward(**upcast, **options)
    assert_close(out, out_ref, dtype, "out")
    assert_close(h_n, h_ref, dtype, "h_n")
    rng = np.random.default_rng(seed)
    d_out = rng.standard_normal(out.shape).astype(dtype)
    d_h_n = rng.standard_normal(h_n.shape).astype(dtype)
    grads = gru_backward(d_out, d_h_n, cache)
    expected = _reference.backward(d_out.astype(np.float64), d_h_n.astype(np.float64), cache_ref)
    for name, actual, want in zip(
        ["dx", "dh0", "dw_ih", "dw_hh", "db_ih", "db_hh"], grads, expected
    ):
        assert_close(actual, want, dtype, name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_matches_reference_with_ragged_lengths_and_h0(
    dtype, reset_after, reverse, shape, kernel_path
):
    batch, steps = shape[:2]
    layer = make_layer(*shape, seed=sum(shape))
    compare_with_reference(
        layer, dtype, random_lengths(batch, steps, seed=batch), reset_after, reverse, use_h0=True
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reset_after", [True, False])
def test_matches_reference_full_length_without_h0(dtype, reset_after, kernel_path):
    compare_with_reference(
        make_layer(4, 6, 3, 5, seed=11), dtype, None, reset_after, reverse=False, use_h0=False
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("shape", [(5, 7, 3, 6), (1, 4, 2, 1), (3, 3, 4, 257)])
def test_matches_reference_with_recurrent_dropout(dtype, reset_after, reverse, shape, kernel_path):
    batch, steps = shape[:2]
    compare_with_reference(
        make_layer(*shape, seed=3),
        dtype,
        random_lengths(batch, steps, seed=1),
        reset_after,
        reverse,
        use_h0=True,
        recurrent_dropout=0.4,
    )


# Hidden sizes below one packed panel and across several with a remainder, with inputs
# narrower than a panel (dx computed as its transpose) and wider (dx as it is), on every path.
LAYER_SIZES = [(3, 8), (70, 131)]  # (I, H)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("inputs, hidden", LAYER_SIZES)
def test_results_are_bit_identical_for_any_thread_count(
    dtype, reset_after, inputs, hidden, kernel_path
):
    # 67 rows of 30 steps: full row tiles and remainders in every split over 1, 2 and 3
    # threads, and products large enough for a threaded BLAS to use its threads (the kernels
    # must not depend on either setting).
    batch, steps = 67, 30
    layer = {
        k: v.astype(dtype)
        for k, v in make_layer(batch, steps, inputs, hidden, seed=2, scale=0.3).items()
    }
    lengths = random_lengths(batch, steps, seed=4)
    d_out = np.random.default_rng(0).standard_normal((batch, steps, hidden)).astype(dtype)
    mask = (np.random.default_rng(1).random((batch, hidden)) >= 0.2).astype(dtype) / 0.8
    results = []
    for threads in (1, 2, 3):
        with (
            threadpool_limits(threads, user_api="openmp"),
            threadpool_limits(threads, user_api="blas"),
        ):
            out, h_n, cache = gru_forward(
                **layer,
                lengths=lengths,
                reset_after=reset_after,
                reverse=True,
                recurrent_mask=mask,
            )
            results.append((out, h_n) + gru_backward(d_out, h_n, cache))
    for other in results[1:]:
        for expected, actual in zip(results[0], other):
            np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("inputs, hidden", LAYER_SIZES)
def test_a_sequence_gives_the_same_result_alone_or_in_a_ragged_batch(
    dtype, reverse, reset_after, inputs, hidden, kernel_path
):
    batch, steps = 11, 8
    layer = {
        k: v.astype(dtype) for k, v in make_layer(batch, steps, inputs, hidden, seed=9).items()
    }
    lengths = np.array([8, 3, 5, 1, 8, 6, 2, 7, 8, 4, 5])
    options = dict(reset_after=reset_after, reverse=reverse)
    out, h_n, cache = gru_forward(**layer, lengths=lengths, **options)
    d_out = np.random.default_rng(0).standard_normal(out.shape).astype(dtype)
    dx, dh0, *_ = gru_backward(d_out, None, cache)
    for b, length in enumerate(lengths):
        alone = dict(layer, x=layer["x"][b : b + 1, :length], h0=layer["h0"][b : b + 1])
        out_alone, h_alone, cache_alone = gru_forward(**alone, **options)
        dx_alone, dh0_alone, *_ = gru_backward(d_out[b : b + 1, :length], None, cache_alone)
        # Bit-identical: every row's arithmetic is the same whatever else is in the batch.
        np.testing.assert_array_equal(out[b, :length], out_alone[0])
        np.testing.assert_array_equal(h_n[b], h_alone[0])
        np.testing.assert_array_equal(dx[b, :length], dx_alone[0])
        np.testing.assert_array_equal(dh0[b], dh0_alone[0])
        assert np.all(out[b, length:] == 0) and np.all(dx[b, length:] == 0)


def test_padding_values_do_not_matter():
    layer = make_layer(3, 6, 2, 4, seed=1)
    lengths = np.array([6, 2, 4])
    out, h_n, cache = gru_forward(**layer, lengths=lengths)
    grads = gru_backward(np.ones_like(out), np.ones_like(h_n), cache)
    noisy = layer["x"].copy()
    for b, length in enumerate(lengths):
        noisy[b, length:] = 1e3
    out2, h2, cache2 = gru_forward(**dict(layer, x=noisy), lengths=lengths)
    grads2 = gru_backward(np.ones_like(out), np.ones_like(h_n), cache2)
    np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(h_n, h2)
    for a, b in zip(grads, grads2):
        np.testing.assert_array_equal(a, b)


def test_workspaces_are_reused_safely_between_different_shapes():
    small, large = make_layer(2, 3, 2, 3, seed=1), make_layer(4, 6, 2, 3, seed=2)
    _, _, cache_small = gru_forward(**small, lengths=[3, 1])
    expected = gru_backward(None, np.ones((2, 3)), cache_small)
    out, _, cache_large = gru_forward(**large)
    gru_backward(np.ones_like(out), None, cache_large)
    again = gru_backward(None, np.ones((2, 3)), cache_small)
    for a, b in zip(expected, again):
        np.testing.assert_array_equal(a, b)


def kernel_arguments(batch=2, steps=3, inputs=2, hidden=4, dtype=np.float64):
    layer = make_layer(batch, steps, inputs, hidden, dtype=dtype)
    return [
        layer["x"],
        layer["w_ih"],
        layer["w_hh"],
        layer["b_ih"],
        layer["b_hh"],
        layer["h0"].copy(),
        np.full(batch, steps, np.int64),
        True,
        False,
        np.empty((0, 0), dtype),
        np.empty((batch, steps, hidden), dtype),
        np.empty((batch, steps, 3 * hidden), dtype),
        np.empty((batch, steps, hidden), dtype),
        2,
    ]


@pytest.mark.parametrize(
    "index, bad, match",
    [
        (1, np.zeros((12, 3)), "w_ih"),
        (2, np.zeros((9, 4)), "w_hh"),
        (4, np.zeros(11), "b_hh"),
        (5, np.zeros((3, 4)), "hidden"),
        (6, np.array([3, 4], np.int64), "lengths"),
        (6, np.array([0, 3], np.int64), "lengths"),
        (9, np.zeros((2, 3)), "recurrent_mask"),
        (10, np.zeros((2, 2, 4)), "out"),
        (11, np.zeros((2, 3, 4)), "gates"),
    ],
)
def test_kernel_refuses_inconsistent_shapes_before_running(index, bad, match):
    arguments = kernel_arguments()
    arguments[index] = bad
    with pytest.raises(ValueError, match=match):
        _gru.forward(*arguments)


def test_kernel_refuses_mixed_dtypes_and_non_contiguous_arrays():
    arguments = kernel_arguments()
    arguments[1] = arguments[1].astype(np.float32)
    with pytest.raises((TypeError, ValueError)):
        _gru.forward(*arguments)
    arguments = kernel_arguments()
    arguments[0] = np.asfortranarray(arguments[0])
    with pytest.raises(ValueError):
        _gru.forward(*arguments)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 1, 1), (37, 5, 3), (9, 300, 70), (50, 0, 40), (3, 4, 0)])
def test_matmul_matches_numpy_and_is_row_independent(dtype, shape, kernel_path):
    rows, inner, columns = shape
    rng = np.random.default_rng(rows)
    a = rng.standard_normal((rows, inner)).astype(dtype)
    b = rng.standard_normal((columns, inner)).astype(dtype).T  # a transposed view
    product = matmul(a, b)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(
        product,
        expected,
        rtol=0,
        atol=TOLERANCE[dtype] * max(1.0, np.abs(expected).max(initial=0)),
    )
    for first, last in [(0, 1), (rows // 2, rows)]:
        np.testing.assert_array_equal(matmul(a[first:last], b), product[first:last])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 9, 5), (40, 33, 130)])
def test_max_over_valid_steps_matches_numpy_alone_or_in_any_batch(dtype, shape, kernel_path):
    """The max pooling's kernel: NumPy's max and (first) argmax over each sequence's valid
    steps, with ties (steps of equal values, as tanh saturates) and large padding values;
    the same alone, in a batch, and for any thread count."""
    batch, steps, width = shape
    rng = np.random.default_rng(batch)
    values = rng.integers(-3, 4, shape).astype(dtype)  # many ties
    lengths = random_lengths(batch, steps, seed=batch)
    for b, length in enumerate(lengths):
        values[b, length:] = 100.0  # past the length: never counts
    best, where = _kernel_max_over_valid_steps(values, lengths)
    assert best.dtype == dtype and where.shape == (batch, width)
    for b, length in enumerate(lengths):
        np.testing.assert_array_equal(best[b], values[b, :length].max(axis=0))
        np.testing.assert_array_equal(where[b], values[b, :length].argmax(axis=0))
        alone = _kernel_max_over_valid_steps(values[b : b + 1, :length], lengths[b : b + 1])
        np.testing.assert_array_equal(alone[1][0], where[b])
    with threadpool_limits(1, user_api="openmp"):
        np.testing.assert_array_equal(_kernel_max_over_valid_steps(values, lengths)[1], where)


def test_max_over_valid_steps_refuses_inconsistent_arguments():
    values = np.ones((2, 3, 4))
    best, steps = np.empty((2, 4)), np.empty((2, 4), np.int64)
    with pytest.raises(ValueError, match=r"lengths\[1\] = 4 is outside 1..3"):
        _gru.max_over_valid_steps(values, np.array([3, 4]), best, steps, 1)
    with pytest.raises(ValueError, match="steps has shape"):
        _gru.max_over_valid_steps(values, np.array([3, 2]), best, steps[:, :3].copy(), 1)


def test_matmul_refuses_mismatched_arguments():
    with pytest.raises(ValueError, match="a's columns must match b's rows"):
        matmul(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(TypeError, match="a has dtype float64 and b float32"):
        matmul(np.ones((2, 3)), np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match="a must be 2-dimensional"):
        matmul(np.ones(3), np.ones((3, 2)))
    with pytest.raises(TypeError, match="a must be a NumPy or CuPy array .*, got list"):
        matmul([[1.0]], np.ones((1, 1)))

    class Tensor:
        # Another library's array, whose dtype is not NumPy's: torch's gave "AttributeError:
        # 'torch.dtype' object has no attribute 'byteorder'".
        dtype, ndim = "torch.float64", 2

    with pytest.raises(TypeError, match="b must be a NumPy or CuPy array .*, got Tensor"):
        matmul(np.ones((1, 1)), Tensor())
    with pytest.raises(TypeError, match="b must have dtype .* in native byte order, got >f8"):
        matmul(np.ones((1, 1)), np.ones((1, 1), ">f8"))
