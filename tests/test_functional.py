"""pygru.functional: argument checking, copying, and its documented examples."""

import doctest
import threading
import warnings

import numpy as np
import pytest
from conftest import make_layer

import pygru._cpu
import pygru.functional
from pygru.functional import GRUCache, gru_backward, gru_forward

ARGUMENTS = ["x", "w_ih", "w_hh", "b_ih", "b_hh", "h0"]


def layer(dtype=np.float64):
    return make_layer(2, 4, 3, 5, dtype=dtype)


def test_docstring_examples_run():
    failures, tried = doctest.testmod(pygru.functional)
    assert tried > 0 and failures == 0


def test_non_contiguous_inputs_are_copied_and_give_the_same_result():
    values = layer()
    expected, h_expected, _ = gru_forward(**values)
    strided = {k: np.repeat(v, 2, axis=-1)[..., ::2] for k, v in values.items()}
    fortran = {k: np.asfortranarray(v) for k, v in values.items()}
    for variant in (strided, fortran):
        assert not variant["x"].flags.c_contiguous
        out, h_n, _ = gru_forward(**variant)
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(h_n, h_expected)


def misaligned(array):
    """A copy of ``array`` that starts one byte off its elements' alignment."""
    buffer = np.zeros(array.nbytes + 1, np.uint8)
    view = np.ndarray(array.shape, array.dtype, buffer=buffer, offset=1)
    view[...] = array
    assert view.flags.c_contiguous and not view.flags.aligned
    return view


class AlignmentRecorder:
    """Stands in for the compiled kernels and records whether each array they get is aligned."""

    def __init__(self, kernels):
        self.kernels, self.aligned = kernels, []

    def __getattr__(self, name):
        function = getattr(self.kernels, name)

        def recorded(*args, **kwargs):
            arrays = [a for a in (*args, *kwargs.values()) if isinstance(a, np.ndarray)]
            self.aligned.extend(array.flags.aligned for array in arrays)
            return function(*args, **kwargs)

        return recorded


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_misaligned_inputs_reach_the_kernels_aligned(dtype, monkeypatch):
    # The kernels read C floats; a C-contiguous array off its alignment (a view into a byte
    # buffer) was passed through, undefined behaviour that x86 happens to tolerate.
    values = layer(dtype)
    out, h_n, cache = gru_forward(**values)
    grads = gru_backward(np.ones_like(out), None, cache)
    a, b = values["w_ih"], values["x"][0].T.copy()
    product = pygru.functional.matmul(a, b)
    recorder = AlignmentRecorder(pygru._cpu.kernels)
    monkeypatch.setattr(pygru._cpu, "kernels", recorder)
    off = {name: misaligned(value) for name, value in values.items()}
    off_out, off_h_n, off_cache = gru_forward(**off)
    off_grads = gru_backward(misaligned(np.ones_like(out)), None, off_cache)
    off_product = pygru.functional.matmul(misaligned(a), misaligned(b))
    assert len(recorder.aligned) >= 10 and all(recorder.aligned)
    for got, expected in zip(
        (off_out, off_h_n, *off_grads, off_product), (out, h_n, *grads, product)
    ):
        np.testing.assert_array_equal(got, expected)


def test_sizes_the_kernels_cannot_index_are_refused():
    # The kernels count a step's features and the gate rows in C ints: I = 2**31 wrapped to
    # a negative count and left the input projection unwritten. (Views of one value: no
    # memory is allocated.)
    from pygru._layer_args import check_layer_arguments

    def as_given(name, value, **checks):
        return value

    def zeros(*shape):
        return np.broadcast_to(np.float32(0), shape)

    wide = 2**31
    with pytest.raises(
        ValueError, match=r"I = 2147483648 features per step .* at most 2\*\*31 - 1"
    ):
        check_layer_arguments(
            as_given, zeros(1, 1, wide), zeros(3, wide), zeros(3, 1), zeros(3), zeros(3),
            None, None, True, False, None,
        )  # fmt: skip


def test_inputs_are_not_modified():
    values = layer()
    copies = {k: v.copy() for k, v in values.items()}
    out, h_n, cache = gru_forward(**values, lengths=[4, 2])
    d_out, d_h_n = np.ones_like(out), np.ones_like(h_n)
    gru_backward(d_out, d_h_n, cache)
    for name in values:
        np.testing.assert_array_equal(values[name], copies[name])
    assert np.all(d_out == 1) and np.all(d_h_n == 1)


def test_lists_and_python_lengths_are_accepted():
    values = layer()
    out, _, _ = gru_forward(**values, lengths=np.array([4, 2]))
    out_list, _, _ = gru_forward(**{k: v.tolist() for k, v in values.items()}, lengths=[4, 2])
    np.testing.assert_array_equal(out, out_list)


@pytest.mark.parametrize("scratch_bytes", [64 << 20, 0])  # (0: the gates too large for it)
@pytest.mark.parametrize("reset_after", [True, False])
def test_without_a_cache_the_results_are_the_same_and_stay_unchanged(
    reset_after, scratch_bytes, monkeypatch
):
    """keep_cache=False writes the gates to reused scratch memory: the outputs and final
    states must be what a cached call returns, and neither they nor an earlier call's cache
    may change when the next uncached call reuses that memory."""
    monkeypatch.setattr(pygru.functional, "_INFERENCE_SCRATCH_BYTES", scratch_bytes)
    values = layer()
    lengths = [4, 2]
    out, h_n, cache = gru_forward(**values, lengths=lengths, reset_after=reset_after)
    rng = np.random.default_rng(0)
    d_out, d_h_n = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)
    gradients = gru_backward(d_out, d_h_n, cache)
    uncached_out, uncached_h_n, no_cache = gru_forward(
        **values, lengths=lengths, reset_after=reset_after, keep_cache=False
    )
    assert no_cache is None
    np.testing.assert_array_equal(uncached_out, out)
    np.testing.assert_array_equal(uncached_h_n, h_n)
    other = {**values, "x": -values["x"], "h0": None}
    gru_forward(**other, lengths=lengths, reset_after=reset_after, keep_cache=False)
    np.testing.assert_array_equal(uncached_out, out)
    np.testing.assert_array_equal(uncached_h_n, h_n)
    for kept, again in zip(gradients, gru_backward(d_out, d_h_n, cache)):
        np.testing.assert_array_equal(again, kept)


def fresh_workspace(monkeypatch):
    """An empty workspace in place of the module's for the rest of the test."""
    workspace = pygru.functional._Workspace()
    monkeypatch.setattr(pygru.functional, "_workspace", workspace)
    return workspace


def test_without_a_cache_gates_go_to_scratch_up_to_its_size(monkeypatch):
    """Small gates reuse the thread's scratch (no fresh pages per prediction); gates larger
    than _INFERENCE_SCRATCH_BYTES are new arrays, so that the memory is not held after."""

    def scratch_names(workspace):
        return {name for name, _ in workspace.buffers if name.startswith("inference.")}

    workspace = fresh_workspace(monkeypatch)
    gru_forward(**layer(), keep_cache=False)
    assert scratch_names(workspace) == {"inference.gates", "inference.hn_proj"}
    workspace = fresh_workspace(monkeypatch)
    monkeypatch.setattr(pygru.functional, "_INFERENCE_SCRATCH_BYTES", 0)
    gru_forward(**layer(), keep_cache=False)
    assert scratch_names(workspace) == set()


def retained_bytes(workspace):
    """The bytes the workspace holds, which its running count must equal."""
    held = sum(buffer.nbytes for buffer in workspace.buffers.values())
    assert workspace.retained_bytes == held
    return held


def backward_and_the_buffers_it_keeps(monkeypatch):
    """A layer's cache, its gradients, and the sizes of the buffers a backward pass keeps
    in this thread's workspace (emptied before and after)."""
    _, _, cache = gru_forward(**layer())
    expected = gru_backward(np.ones((2, 4, 5)), None, cache)
    workspace = fresh_workspace(monkeypatch)
    gru_backward(np.ones((2, 4, 5)), None, cache)
    sizes = sorted(buffer.nbytes for buffer in workspace.buffers.values())
    fresh_workspace(monkeypatch)
    return cache, expected, sizes


def assert_backward_within(monkeypatch, cache, expected, budget, calls=1):
    """Backward passes with a workspace budget of ``budget`` bytes keep at most that much
    and give the same gradients."""
    monkeypatch.setattr(pygru.functional, "_RETAINED_WORKSPACE_BYTES", budget)
    for _ in range(calls):
        got = gru_backward(np.ones((2, 4, 5)), None, cache)
        assert retained_bytes(pygru.functional._workspace) <= budget
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)


def test_the_workspace_keeps_no_buffer_above_its_size_between_calls(monkeypatch):
    # The backward pass's scratch grows with batch x steps x hidden (508 MiB for 32
    # sequences of 10,000 steps) and was kept for the life of the process.
    cache, expected, sizes = backward_and_the_buffers_it_keeps(monkeypatch)
    assert sizes and sizes[-1] > 64
    assert_backward_within(monkeypatch, cache, expected, 64)


def test_the_workspace_budget_is_for_all_of_a_threads_buffers_together(monkeypatch):
    # It was a limit per buffer: a thread kept 160-320 MiB after a fit (eight buffers of up
    # to 64 MiB, per dtype), and each thread of a server's pool as much.
    cache, expected, sizes = backward_and_the_buffers_it_keeps(monkeypatch)
    budget = sum(sizes) - 1  # room for all but the smallest
    assert len(sizes) > 2 and budget >= sizes[-1]
    # the second call reuses what the first kept
    assert_backward_within(monkeypatch, cache, expected, budget, calls=2)
    assert retained_bytes(pygru.functional._workspace) > 0


def test_release_workspace_frees_the_calling_threads_scratch_only(monkeypatch):
    from pygru.functional import release_workspace

    workspace = fresh_workspace(monkeypatch)
    gru_forward(**layer(), keep_cache=False)
    held = retained_bytes(workspace)
    other_thread = []
    thread = threading.Thread(target=lambda: other_thread.append(release_workspace()))
    thread.start()
    thread.join()
    assert other_thread == [0] and retained_bytes(workspace) == held > 0
    assert release_workspace() == held and workspace.buffers == {}
    np.testing.assert_array_equal(
        gru_forward(**layer(), keep_cache=False)[0], gru_forward(**layer())[0]
    )


def test_backward_without_any_gradient_is_zero():
    _, _, cache = gru_forward(**layer())
    for grad in gru_backward(None, None, cache):
        assert not np.any(grad)


def test_backward_splits_over_the_two_gradients():
    out, h_n, cache = gru_forward(**layer())
    rng = np.random.default_rng(0)
    d_out, d_h_n = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)
    both = gru_backward(d_out, d_h_n, cache)
    parts = zip(gru_backward(d_out, None, cache), gru_backward(None, d_h_n, cache))
    for total, (a, b) in zip(both, parts):
        np.testing.assert_allclose(a + b, total, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ARGUMENTS)
@pytest.mark.parametrize("dtype", [np.int64, np.float16, np.complex128, bool, object])
def test_unsupported_dtypes_are_refused(name, dtype):
    values = layer()
    values[name] = values[name].astype(dtype)
    with pytest.raises(TypeError, match=name):
        gru_forward(**values)


@pytest.mark.parametrize("name", ARGUMENTS)
def test_tensors_that_require_grad_are_refused_by_name(name):
    # torch.nn.GRU's own parameters: torch's RuntimeError named no argument
    torch = pytest.importorskip("torch")
    values = layer()
    values[name] = torch.tensor(values[name], requires_grad=True)
    with pytest.raises(TypeError, match=f"{name} must be an array of floats, got Tensor"):
        gru_forward(**values)


@pytest.mark.parametrize("name", ARGUMENTS[1:])
def test_mixed_dtypes_are_refused(name):
    values = layer()
    values[name] = values[name].astype(np.float32)
    with pytest.raises(TypeError, match=f"{name} has dtype float32 but x has dtype float64"):
        gru_forward(**values)


def test_a_list_or_a_scalar_is_refused_for_what_it_lacks():
    # A scalar d_out was refused for its dtype ("d_out has dtype float64 but x has dtype
    # float32"), not for its missing axes; a list x read as float64 blamed the weights
    # without saying where float64 came from (audit32).
    values = {name: value.astype(np.float32) for name, value in layer().items()}
    _, _, cache = gru_forward(**values)
    with pytest.raises(ValueError, match=r"d_out must be 3-dimensional with shape \(2, 4, 5\)"):
        gru_backward(1.0, None, cache)
    values["x"] = values["x"].tolist()
    with pytest.raises(TypeError, match=r"x has dtype float64: .*\(NumPy reads a list"):
        gru_forward(**values)


@pytest.mark.parametrize(
    "name, shape",
    [
        ("x", (2, 4)),
        ("x", (2, 4, 3, 1)),
        ("w_ih", (15, 2)),
        ("w_ih", (14, 3)),
        ("w_hh", (15, 4)),
        ("w_hh", (15,)),
        ("b_ih", (14,)),
        ("b_hh", (15, 1)),
        ("h0", (3, 5)),
        ("h0", (2, 4)),
    ],
)
def test_wrong_shapes_are_refused(name, shape):
    values = layer()
    values[name] = np.zeros(shape)
    with pytest.raises(ValueError, match=name):
        gru_forward(**values)


@pytest.mark.parametrize("shape", [(0, 4, 3), (2, 0, 3), (2, 4, 0)])
def test_empty_dimensions_are_refused(shape):
    values = layer()
    values["x"] = np.zeros(shape)
    values["w_ih"] = np.zeros((15, shape[2]))
    values["h0"] = np.zeros((shape[0], 5))
    with pytest.raises(ValueError, match="must be at least 1"):
        gru_forward(**values)


def test_zero_hidden_size_is_refused():
    values = dict(
        layer(),
        w_ih=np.zeros((0, 3)),
        w_hh=np.zeros((0, 0)),
        b_ih=np.zeros(0),
        b_hh=np.zeros(0),
        h0=None,
    )
    with pytest.raises(ValueError, match="H must be at least 1"):
        gru_forward(**values)


@pytest.mark.parametrize("name", ARGUMENTS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused(name, bad):
    values = layer()
    values[name].flat[0] = bad
    with pytest.raises(ValueError, match=f"{name} contains NaN or infinity"):
        gru_forward(**values)


@pytest.mark.parametrize("name", ARGUMENTS)
def test_non_finite_values_under_a_mask_are_refused(name):
    # The kernels read a masked array's data, mask or not: NumPy's isfinite on the masked
    # array skipped the masked NaN, and the NaN reached the results.
    values = layer()
    values[name].flat[0] = np.nan
    values[name] = np.ma.masked_invalid(values[name])
    with pytest.raises(ValueError, match=f"{name} contains NaN or infinity"):
        gru_forward(**values)


def test_non_finite_gradients_under_a_mask_are_refused():
    out, h_n, cache = gru_forward(**layer())
    d_h_n = np.ma.masked_invalid(np.where(np.eye(*h_n.shape, dtype=bool), np.nan, 1.0))
    with pytest.raises(ValueError, match="d_h_n contains NaN or infinity"):
        gru_backward(None, d_h_n, cache)


@pytest.mark.parametrize("name", ARGUMENTS)
def test_check_finite_false_skips_the_check_and_propagates_nan(name):
    values = layer()
    values[name].flat[0] = np.nan
    out, h_n, cache = gru_forward(**values, check_finite=False)
    assert np.isnan(h_n).any()
    gradients = gru_backward(np.full_like(out, np.nan), None, cache, check_finite=False)
    assert all(np.isnan(gradient).any() for gradient in gradients)
    with pytest.raises(ValueError, match="d_out contains NaN"):
        gru_backward(np.full_like(out, np.nan), None, cache)


def test_check_finite_false_gives_the_same_result_on_finite_input():
    checked, unchecked = gru_forward(**layer()), gru_forward(**layer(), check_finite=False)
    for a, b in zip(checked[:2], unchecked[:2]):
        np.testing.assert_array_equal(a, b)
    d_out = np.ones_like(checked[0])
    for a, b in zip(
        gru_backward(d_out, None, checked[2]),
        gru_backward(d_out, None, unchecked[2], check_finite=False),
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "lengths, error, match",
    [
        ([0, 4], ValueError, r"lengths must be in 1\.\.4 \(T\), got lengths\[0\] = 0"),
        ([4, 5], ValueError, r"lengths\[1\] = 5"),
        ([4, -1], ValueError, r"lengths\[1\] = -1"),
        ([4], ValueError, r"shape \(2,\)"),
        ([[4, 4]], ValueError, r"shape \(2,\)"),
        ([4.0, 1e20], ValueError, r"lengths\[1\] = 1e\+20"),
        ([4.5, 2], ValueError, "lengths must be whole numbers, got 4.5"),
        ([4.0, np.nan], ValueError, "lengths must be whole numbers, got nan"),
        (["4", "2"], TypeError, "integers"),
        ([True, True], TypeError, "ints, not bools"),
        (np.array([4, True], dtype=object), TypeError, "integers"),
        ([4, True], TypeError, "lengths must hold ints, not bools"),  # read as [4, 1] (audit40c)
        ((np.bool_(True), 4), TypeError, "lengths must hold ints, not bools"),
        ([4, 2**70], ValueError, r"lengths\[1\] = 1180591620717411303424"),
        # np.array read the value behind the mask (audit34a)
        (np.ma.masked_array([4, 2], mask=[False, True]), ValueError, "masked entries"),
    ],
)
def test_bad_lengths_are_refused(lengths, error, match):
    # Refused by the check itself, not after a NumPy warning (a huge whole float once
    # warned "invalid value encountered in cast" on its way to int64).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=match):
            gru_forward(**layer(), lengths=lengths)


def test_whole_float_lengths_are_accepted():
    out, _, _ = gru_forward(**layer(), lengths=np.array([4.0, 2.0]))
    np.testing.assert_array_equal(out, gru_forward(**layer(), lengths=[4, 2])[0])


def test_integer_lengths_of_dtype_object_are_accepted():
    # As a pandas object column gives them.
    out, _, _ = gru_forward(**layer(), lengths=np.array([4, 2], dtype=object))
    np.testing.assert_array_equal(out, gru_forward(**layer(), lengths=[4, 2])[0])


def test_backward_reads_the_lengths_of_its_forward_pass_not_the_callers_buffer():
    # An int64 lengths array was kept in the cache as it was: refilled for the next batch
    # before backward, it changed the gradients (by 0.8 here) without an error.
    lengths = np.array([4, 2], dtype=np.int64)
    _, _, cache = gru_forward(**layer(), lengths=lengths)
    d_out = np.ones((2, 4, 5))
    before = gru_backward(d_out, None, cache)
    lengths[:] = [1, 1]
    after = gru_backward(d_out, None, cache)
    for expected, got in zip(before, after):
        np.testing.assert_array_equal(got, expected)


def test_the_output_a_cache_refers_to_cannot_be_changed_in_place():
    out, _, cache = gru_forward(**layer())
    with pytest.raises(ValueError, match="read-only"):
        out *= 0.5
    inference_out, _, _ = gru_forward(**layer(), keep_cache=False)
    inference_out *= 0.5  # no cache refers to it
    # nor through the cache's own views of it and of the gates backward reads
    for values in cache.activations().values():
        with pytest.raises(ValueError, match="read-only"):
            values[...] = 0.0


def test_backward_of_a_long_sequence_with_few_units_needs_memory_like_its_cache():
    # The weight gradients' B operand was packed for all B*T rows at once, each row padded to
    # a panel of 8-32 columns however few units there were, six times over: a backward pass
    # of one 1e6-step sequence of 1 unit took 763 MB on AVX-512 (33x its 23 MB cache).
    import tracemalloc

    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1_000_000, 1)).astype(np.float32)
    w_ih, w_hh = (0.5 * rng.standard_normal((2, 3, 1))).astype(np.float32)
    bias = np.zeros(3, np.float32)
    out, _, cache = gru_forward(x, w_ih, w_hh, bias, bias)
    cached = x.nbytes + out.nbytes + cache.gates.nbytes + cache.hn_proj.nbytes
    tracemalloc.start()
    try:
        gru_backward(np.ones_like(out), None, cache)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * cached


def test_carrying_the_state_in_h0_leaves_the_gradients_unchanged():
    # Truncated backpropagation through time writes h_n into the h0 buffer it passed.
    values = layer()
    d_out = np.random.default_rng(1).standard_normal((2, 4, 5))
    expected = gru_backward(d_out, None, gru_forward(**values)[2])
    state = values.pop("h0").copy()
    _, h_n, cache = gru_forward(**values, h0=state)
    state[...] = h_n
    for a, b in zip(gru_backward(d_out, None, cache), expected):
        np.testing.assert_array_equal(a, b)


def test_backward_ignores_non_finite_gradients_past_the_lengths():
    # The gradient of a loss against NaN-padded targets is NaN there.
    out, _, cache = gru_forward(**layer(), lengths=[4, 2])
    d_out = np.random.default_rng(1).standard_normal(out.shape)
    expected = gru_backward(d_out, None, cache)
    d_out[1, 2:] = np.nan
    for a, b in zip(gru_backward(d_out, None, cache), expected):
        np.testing.assert_array_equal(a, b)
    d_out[1, 1] = np.inf
    with pytest.raises(ValueError, match="d_out contains NaN or infinity"):
        gru_backward(d_out, None, cache)


@pytest.mark.parametrize("flag", ["reset_after", "reverse", "keep_cache", "check_finite"])
def test_flags_must_be_booleans(flag):
    with pytest.raises(TypeError, match=flag):
        gru_forward(**layer(), **{flag: "yes"})


def test_backward_check_finite_must_be_a_boolean():
    out, _, cache = gru_forward(**layer())
    with pytest.raises(TypeError, match="check_finite"):
        gru_backward(out, None, cache, check_finite="no")


def test_recurrent_mask_is_checked():
    values = layer()
    with pytest.raises(ValueError, match=r"recurrent_mask has shape \(2, 4\)"):
        gru_forward(**values, recurrent_mask=np.ones((2, 4)))
    with pytest.raises(TypeError, match="recurrent_mask has dtype float32"):
        gru_forward(**values, recurrent_mask=np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match="recurrent_mask contains NaN"):
        gru_forward(**values, recurrent_mask=np.full((2, 5), np.nan))
    ones, _, _ = gru_forward(**values, recurrent_mask=np.ones((2, 5)))
    np.testing.assert_array_equal(ones, gru_forward(**values)[0])


def test_unconvertible_input_gives_a_type_error():
    values = layer()
    values["x"] = [[[1.0, 2.0], [3.0]]]
    with pytest.raises(TypeError, match="x"):
        gru_forward(**values)


def test_backward_checks_its_arguments():
    out, h_n, cache = gru_forward(**layer())
    with pytest.raises(TypeError, match="cache must be the GRUCache"):
        gru_backward(out, h_n, {"x": 1})
    with pytest.raises(ValueError, match="d_out has shape"):
        gru_backward(out[:, :2], None, cache)
    with pytest.raises(ValueError, match="d_h_n has shape"):
        gru_backward(None, h_n[:1], cache)
    with pytest.raises(TypeError, match="d_out has dtype float32"):
        gru_backward(out.astype(np.float32), None, cache)
    with pytest.raises(ValueError, match="d_h_n contains NaN"):
        gru_backward(None, np.full_like(h_n, np.nan), cache)
    assert isinstance(cache, GRUCache)


def test_float32_in_float32_out():
    out, h_n, cache = gru_forward(**layer(np.float32))
    assert out.dtype == h_n.dtype == np.float32
    assert all(g.dtype == np.float32 for g in gru_backward(out, h_n, cache))
