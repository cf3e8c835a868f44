"""The CUDA backend on a GPU, against the NumPy reference and the CPU backend.

Skipped without CuPy or without a CUDA device. On a GPU machine, run together with the
device-free checks of the same kernels:

    python -m pytest tests/test_cuda.py tests/test_cuda_source.py
"""

import pickle

import numpy as np
import pytest

cupy = pytest.importorskip("cupy")
try:
    _DEVICES = cupy.cuda.runtime.getDeviceCount()
except Exception:  # CUDARuntimeError, or no driver library
    _DEVICES = 0
if _DEVICES < 1:
    pytest.skip("no CUDA device", allow_module_level=True)

from conftest import make_layer, random_lengths  # noqa: E402

from pygru import GRUClassifier, GRURegressor, _reference  # noqa: E402
from pygru._cuda import _backend, _launch, _layer  # noqa: E402
from pygru._cuda._backend import gru_backward_gpu, gru_forward_gpu  # noqa: E402
from pygru._sequences import to_padded, to_padded_tokens  # noqa: E402
from pygru.functional import GRUCache, gru_backward, gru_forward  # noqa: E402

TOLERANCE = {np.float64: 1e-10, np.float32: 1e-4}
SHAPES = {  # (B, T, I, H), as tests/test_cpu_kernels.py
    "general": (5, 7, 3, 6),
    "B=1": (1, 6, 2, 3),
    "T=1": (4, 1, 3, 5),
    "H=1": (3, 5, 2, 1),
    "I=1": (3, 4, 1, 6),
    "H=257": (3, 3, 4, 257),
}
GRADIENTS = ["dx", "dh0", "dw_ih", "dw_hh", "db_ih", "db_hh"]


def to_device(layer, dtype):
    return {k: None if v is None else cupy.asarray(v.astype(dtype)) for k, v in layer.items()}


def assert_close(actual, expected, dtype, name):
    actual = cupy.asnumpy(actual)
    scale = max(np.max(np.abs(expected)), 1e-30)
    error = np.max(np.abs(actual.astype(np.float64) - expected)) / scale
    assert error < TOLERANCE[dtype], f"{name}: relative error {error:.2e}"
    assert actual.dtype == dtype, f"{name}: dtype {actual.dtype}"


def compare_with_reference(
    layer, dtype, lengths, reset_after, reverse, use_h0=True, mask=None, seed=5
):
    inputs = to_device(layer, dtype)
    upcast = {k: v.astype(dtype).astype(np.float64) for k, v in layer.items()}
    if not use_h0:
        inputs["h0"] = None
        upcast["h0"] = np.zeros((layer["x"].shape[0], layer["w_hh"].shape[1]))
    options = dict(lengths=lengths, reset_after=reset_after, reverse=reverse)
    out, h_n, cache = gru_forward_gpu(
        **inputs, **options, recurrent_mask=None if mask is None else cupy.asarray(mask)
    )
    out_ref, h_ref, cache_ref = _reference.forward(
        **upcast, **options, recurrent_mask=None if mask is None else mask.astype(np.float64)
    )
    assert_close(out, out_ref, dtype, "out")
    assert_close(h_n, h_ref, dtype, "h_n")
    rng = np.random.default_rng(seed)
    d_out = rng.standard_normal(out.shape).astype(dtype)
    d_h_n = rng.standard_normal(h_n.shape).astype(dtype)
    grads = gru_backward_gpu(cupy.asarray(d_out), cupy.asarray(d_h_n), cache)
    expected = _reference.backward(d_out.astype(np.float64), d_h_n.astype(np.float64), cache_ref)
    for name, actual, want in zip(GRADIENTS, grads, expected):
        assert_close(actual, want, dtype, name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_matches_reference_with_ragged_lengths_and_h0(dtype, reset_after, reverse, shape):
    batch, steps = shape[:2]
    compare_with_reference(
        make_layer(*shape, seed=sum(shape)),
        dtype,
        random_lengths(batch, steps, seed=batch),
        reset_after,
        reverse,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reset_after", [True, False])
def test_matches_reference_full_length_without_h0(dtype, reset_after):
    compare_with_reference(
        make_layer(4, 6, 3, 5, seed=11), dtype, None, reset_after, reverse=False, use_h0=False
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reset_after", [True, False])
def test_matches_reference_with_recurrent_dropout_mask(dtype, reset_after):
    rng = np.random.default_rng(0)
    mask = ((rng.random((5, 40)) > 0.25) / 0.75).astype(dtype)
    compare_with_reference(
        make_layer(5, 6, 3, 40, seed=2),
        dtype,
        [6, 2, 5, 1, 6],
        reset_after,
        reverse=True,
        mask=mask,
    )


def launch_plans(batch, hidden, itemsize, reset_after, limits):
    """name -> (forward plan, backward plan): every cluster size the device has, both row
    blockings, and the stepwise fallback."""
    stepwise = _launch.RecurrencePlan(strategy=_launch.STEPWISE)
    plans = {"steps": (stepwise, stepwise)}
    for cluster_size in (1,) + _launch.CLUSTER_SIZES:
        if cluster_size > limits.max_cluster_size:
            break
        for rows_per_item, tile_rows in ((1, 2), (4, 4)):
            pair = tuple(
                _launch.make_plan(
                    batch,
                    hidden,
                    itemsize,
                    reset_after,
                    backward,
                    cluster_size,
                    tile_rows,
                    rows_per_item,
                    4,
                    128,
                )
                for backward in (False, True)
            )
            if max(plan.shared_bytes for plan in pair) <= limits.shared_memory_per_block:
                plans[f"cluster={cluster_size} rows={rows_per_item}"] = pair
    return plans


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reset_after", [True, False])
def test_every_launch_strategy_on_the_device(dtype, reset_after):
    # H = 250 splits into clusters of up to 16 blocks (16 units each, the last one 10).
    batch, steps, inputs, hidden = 6, 5, 3, 250
    layer = make_layer(batch, steps, inputs, hidden, seed=3, scale=0.1)
    lengths = np.array([5, 1, 3, 5, 2, 4])
    upcast = {k: v.astype(dtype).astype(np.float64) for k, v in layer.items()}
    rng = np.random.default_rng(1)
    mask = ((rng.random((batch, hidden)) > 0.3) / 0.7).astype(dtype)
    options = dict(lengths=lengths, reset_after=reset_after, reverse=True)
    out_ref, h_ref, cache_ref = _reference.forward(
        **upcast, **options, recurrent_mask=mask.astype(np.float64)
    )
    d_out = rng.standard_normal(out_ref.shape).astype(dtype)
    expected = _reference.backward(d_out.astype(np.float64), None, cache_ref)
    runtime = _backend._runtime(cupy, dtype)
    device = to_device(layer, dtype)
    arrays = (device["x"], device["w_ih"], device["w_hh"])
    device_lengths, device_mask = cupy.asarray(lengths), cupy.asarray(mask)
    plans = launch_plans(batch, hidden, np.dtype(dtype).itemsize, reset_after, runtime.limits)
    assert len(plans) > 2
    for name, (forward_plan, backward_plan) in plans.items():
        out, h_n, gates, hn = _layer.forward(
            runtime,
            *arrays,
            device["b_ih"],
            device["b_hh"],
            device["h0"],
            device_lengths,
            reset_after,
            True,
            device_mask,
            plan=forward_plan,
        )
        grads = _layer.backward(
            runtime,
            cupy.asarray(d_out),
            cupy.zeros_like(h_n),
            *arrays,
            device["h0"],
            device_lengths,
            reset_after,
            True,
            out,
            gates,
            hn,
            device_mask,
            plan=backward_plan,
        )
        assert_close(out, out_ref, dtype, f"{name} out")
        assert_close(h_n, h_ref, dtype, f"{name} h_n")
        for grad_name, actual, want in zip(GRADIENTS, grads, expected):
            assert_close(actual, want, dtype, f"{name} {grad_name}")


BENCHMARK_SHAPES = [
    (32, 50, 8, 32),
    (64, 100, 16, 64),
    (128, 100, 32, 128),
    (64, 200, 1, 256),
    (256, 50, 64, 256),
    (512, 100, 128, 512),
    (1, 1000, 32, 128),
]


@pytest.mark.parametrize("shape", BENCHMARK_SHAPES, ids=[str(s) for s in BENCHMARK_SHAPES])
def test_benchmark_shapes_match_the_cpu_backend(shape):
    # The shapes benchmarks/bench_gpu.py times, with the plan the device picks for each,
    # in float32 against the CPU backend in float64 (fewer steps to keep it quick).
    batch, steps, inputs, hidden = shape
    steps = min(steps, 30)
    rng = np.random.default_rng(0)
    scale = 1 / np.sqrt(hidden)
    layer = dict(
        x=rng.standard_normal((batch, steps, inputs)),
        w_ih=rng.uniform(-scale, scale, (3 * hidden, inputs)),
        w_hh=rng.uniform(-scale, scale, (3 * hidden, hidden)),
        b_ih=rng.uniform(-scale, scale, 3 * hidden),
        b_hh=rng.uniform(-scale, scale, 3 * hidden),
    )
    lengths = random_lengths(batch, steps, seed=1)
    out, h_n, cache = gru_forward_gpu(**to_device(layer, np.float32), lengths=lengths)
    out_cpu, h_cpu, cache_cpu = gru_forward(**layer, lengths=lengths)
    d_out = rng.standard_normal(out_cpu.shape)
    grads = gru_backward_gpu(cupy.asarray(d_out.astype(np.float32)), None, cache)
    expected = gru_backward(d_out, None, cache_cpu)
    assert_close(out, out_cpu, np.float32, "out")
    assert_close(h_n, h_cpu, np.float32, "h_n")
    for name, actual, want in zip(GRADIENTS, grads, expected):
        assert_close(actual, want, np.float32, name)


@pytest.mark.parametrize("reset_after", [True, False])
def test_a_cache_moved_to_the_host_gives_the_same_gradients_on_the_cpu(reset_after):
    layer = make_layer(4, 6, 3, 9, seed=8)
    mask = np.random.default_rng(2).uniform(0.5, 1.5, (4, 9))
    out, h_n, cache = gru_forward_gpu(
        **to_device(layer, np.float64),
        lengths=[6, 2, 5, 3],
        reset_after=reset_after,
        reverse=True,
        recurrent_mask=cupy.asarray(mask),
    )
    d_out = np.random.default_rng(3).standard_normal(out.shape)
    on_gpu = gru_backward_gpu(cupy.asarray(d_out), h_n, cache)
    host_cache = GRUCache(
        **{
            name: cupy.asnumpy(value) if isinstance(value, cupy.ndarray) else value
            for name, value in vars(cache).items()
        }
    )
    on_cpu = gru_backward(d_out, cupy.asnumpy(h_n), host_cache)
    for name, gpu, cpu in zip(GRADIENTS, on_gpu, on_cpu):
        np.testing.assert_allclose(cupy.asnumpy(gpu), cpu, rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("reset_after", [True, False])
def test_a_sequence_gives_the_same_result_alone_or_in_a_ragged_batch(reset_after):
    # Launch shapes depend on the batch size, so sums may be ordered differently: equal to
    # rounding, not bit for bit.
    layer = to_device(make_layer(6, 8, 3, 5, seed=9), np.float64)
    lengths = np.array([8, 3, 5, 1, 8, 6])
    out, h_n, cache = gru_forward_gpu(
        **layer, lengths=lengths, reset_after=reset_after, reverse=True
    )
    d_out = cupy.asarray(np.random.default_rng(0).standard_normal(out.shape))
    dx, dh0, *_ = gru_backward_gpu(d_out, None, cache)
    for b, length in enumerate(lengths):
        alone = dict(layer, x=layer["x"][b : b + 1, :length], h0=layer["h0"][b : b + 1])
        out_alone, h_alone, cache_alone = gru_forward_gpu(
            **alone, reset_after=reset_after, reverse=True
        )
        dx_alone, dh0_alone, *_ = gru_backward_gpu(d_out[b : b + 1, :length], None, cache_alone)
        for whole, single in [
            (out[b, :length], out_alone[0]),
            (h_n[b], h_alone[0]),
            (dx[b, :length], dx_alone[0]),
            (dh0[b], dh0_alone[0]),
        ]:
            cupy.testing.assert_allclose(whole, single, rtol=1e-12, atol=1e-12)
        assert not out[b, length:].any() and not dx[b, length:].any()


def test_wrong_inputs_get_clear_errors():
    layer = to_device(make_layer(2, 3, 2, 4), np.float32)
    with pytest.raises(TypeError, match="CuPy array"):
        gru_forward_gpu(**dict(layer, w_hh=cupy.asnumpy(layer["w_hh"])))
    with pytest.raises(TypeError, match="share one dtype"):
        gru_forward_gpu(**dict(layer, b_ih=layer["b_ih"].astype(cupy.float64)))
    bad = layer["x"].copy()
    bad[0, 1, 0] = cupy.nan
    with pytest.raises(ValueError, match="x contains NaN"):
        gru_forward_gpu(**dict(layer, x=bad))
    with pytest.raises(ValueError, match="lengths"):
        gru_forward_gpu(**layer, lengths=[4, 1])
    _, _, cpu_cache = gru_forward(**{k: cupy.asnumpy(v) for k, v in layer.items()})
    with pytest.raises(TypeError, match="GRUCache"):
        gru_backward_gpu(None, None, cpu_cache)


def test_check_finite_false_gives_the_same_results_and_lets_nan_through():
    layer = to_device(make_layer(3, 5, 2, 6, seed=4), np.float32)
    d_out = cupy.ones((3, 5, 6), cupy.float32)
    checked = gru_forward_gpu(**layer, lengths=[5, 2, 4])
    unchecked = gru_forward_gpu(**layer, lengths=[5, 2, 4], check_finite=False)
    for a, b in zip(checked[:2], unchecked[:2]):
        cupy.testing.assert_array_equal(a, b)
    for a, b in zip(
        gru_backward_gpu(d_out, None, checked[2]),
        gru_backward_gpu(d_out, None, unchecked[2], check_finite=False),
    ):
        cupy.testing.assert_array_equal(a, b)
    bad = layer["x"].copy()
    bad[1, 0, 0] = cupy.nan
    _, h_n, _ = gru_forward_gpu(**dict(layer, x=bad), check_finite=False)
    h_n = cupy.asnumpy(h_n)
    assert np.isnan(h_n[1]).all() and np.isfinite(h_n[[0, 2]]).all()


# ------------------------------------------------------------------ estimators on the GPU

ESTIMATOR_CASES = {
    "classifier": (GRUClassifier, dict(bidirectional=True, hidden_layer_sizes=(6, 4))),
    "sequence regressor": (GRURegressor, dict(output="sequence")),
    "embedding": (GRUClassifier, dict(embedding_dim=3, recurrent_dropout=0.0)),
    "conv branch": (GRUClassifier, dict(conv_layers=((5, 4), (3, 3)), pooling="concat")),
}


def estimator_data(estimator_class, options, n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = [rng.standard_normal((length, 2)) for length in rng.integers(2, 12, n)]
    y = np.array([int(x[:, 0].sum() > 0) for x in X])
    if options.get("embedding_dim"):
        X = [np.clip(np.abs(x[:, 0] * 4).astype(int) + 1, 1, 9) for x in X]
    if estimator_class is GRURegressor:
        y = [x[:, 0].cumsum() for x in X]
    return X, y


@pytest.mark.parametrize("case", ESTIMATOR_CASES, ids=ESTIMATOR_CASES)
def test_an_estimator_trained_on_the_gpu_matches_the_cpu(case):
    estimator_class, options = ESTIMATOR_CASES[case]
    X, y = estimator_data(estimator_class, options)
    settings = {
        **dict(hidden_layer_sizes=(6,), max_iter=5, dtype="float64", random_state=0),
        **options,
    }
    on_cpu = estimator_class(device="cpu", **settings).fit(X, y)
    on_gpu = estimator_class(device="cuda", **settings).fit(X, y)
    assert isinstance(on_gpu.network_.params, cupy.ndarray)
    np.testing.assert_allclose(
        cupy.asnumpy(on_gpu.network_.params), on_cpu.network_.params, rtol=1e-7, atol=1e-9
    )
    predictions, expected = on_gpu.predict(X), on_cpu.predict(X)
    for actual, want in zip(predictions, expected):
        np.testing.assert_allclose(actual, want, rtol=1e-7, atol=1e-9)


# More configurations, as run on an H200 on 2026-12-04 (benchmarks/results/gpu.md): 3 epochs
# in float64 agreed with the CPU to 1e-6 in every parameter and loss.
CONFIGURATIONS = {
    "last state, one direction, two layers": (
        GRUClassifier,
        dict(pooling="last", bidirectional=False, hidden_layer_sizes=(6, 5)),
    ),
    "attention, reset before the product": (
        GRUClassifier,
        dict(pooling="attention", reset_after=False),
    ),
    "max pooling, patches, window warping": (
        GRUClassifier,
        dict(pooling="max", patch_size=3, window_warp=0.2),
    ),
    "sgd, adaptive rate, early stopping": (
        GRUClassifier,
        dict(solver="sgd", learning_rate="adaptive", early_stopping=True),
    ),
    "rmsprop, exponential rate, the last split": (
        GRUClassifier,
        dict(
            solver="rmsprop",
            learning_rate="exponential",
            early_stopping=True,
            validation_split="last",
        ),
    ),
    "class weights, clipping, L2": (
        GRUClassifier,
        dict(class_weight="balanced", clipnorm=1.0, clipvalue=0.5, alpha=1e-2),
    ),
    "per-step classifier": (GRUClassifier, dict(output="sequence")),
    "regressor, linear skip, raw-scale target": (GRURegressor, dict()),
    "regressor, the last split, no target scaling": (
        GRURegressor,
        dict(early_stopping=True, validation_split="last", standardize_target=False),
    ),
}


def configuration_data(estimator_class, options, n=40, seed=0):
    """Ragged 3-feature sequences; string labels (three classes), per-step labels, or a
    target around 300 (the regressor's target scaling has work to do)."""
    rng = np.random.default_rng(seed)
    X = [rng.standard_normal((length, 3)) for length in rng.integers(3, 14, n)]
    if estimator_class is GRURegressor:
        return X, np.array([300 + 50 * x[:, 1].mean() for x in X])
    if options.get("output") == "sequence":
        return X, [(x[:, 0] > 0).astype(int) for x in X]
    return X, np.array([["a", "b", "c"][int(abs(x[:, 0].sum())) % 3] for x in X])


@pytest.mark.parametrize("case", CONFIGURATIONS, ids=CONFIGURATIONS)
def test_more_configurations_trained_on_the_gpu_match_the_cpu(case):
    estimator_class, options = CONFIGURATIONS[case]
    X, y = configuration_data(estimator_class, options)
    settings = dict(
        hidden_layer_sizes=(6,), max_iter=3, batch_size=8, dtype="float64", random_state=0
    )
    settings.update(options)
    on_cpu = estimator_class(device="cpu", **settings).fit(X, y)
    on_gpu = estimator_class(device="cuda", **settings).fit(X, y)
    np.testing.assert_allclose(
        cupy.asnumpy(on_gpu.network_.params), on_cpu.network_.params, rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(on_gpu.loss_curve_, on_cpu.loss_curve_, rtol=1e-6)
    for actual, want in zip(on_gpu.predict(X), on_cpu.predict(X)):
        if estimator_class is GRURegressor:
            np.testing.assert_allclose(actual, want, rtol=1e-6)
        else:
            np.testing.assert_array_equal(actual, want)


@pytest.mark.parametrize("case", ["classifier", "conv branch", "embedding"])
def test_a_gpu_model_saves_loads_and_exports_as_it_predicts(case, tmp_path):
    from pygru import load, save, to_onnx, to_torch_module

    estimator_class, options = ESTIMATOR_CASES[case]
    X, y = estimator_data(estimator_class, options)
    model = estimator_class(device="cuda", max_iter=3, random_state=0, **options).fit(X, y)
    expected = model.predict_proba(X)
    save(model, tmp_path / "model.npz")
    restored = load(tmp_path / "model.npz")  # predicts on the CPU, where it is loaded
    np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-5, atol=1e-6)
    tokens = options.get("embedding_dim") is not None
    padded, lengths = to_padded_tokens(X) if tokens else to_padded(X)
    onnxruntime = pytest.importorskip("onnxruntime")
    session = onnxruntime.InferenceSession(to_onnx(model).SerializeToString())
    probabilities = session.run(None, {"X": padded, "lengths": lengths})[-1]
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-5)
    torch = pytest.importorskip("torch")
    module = to_torch_module(model)
    from_torch = module(torch.from_numpy(padded), torch.from_numpy(lengths)).detach().numpy()
    np.testing.assert_allclose(from_torch, expected, rtol=1e-5, atol=1e-5)
    assert isinstance(model.network_.params, cupy.ndarray)  # exported from a host copy


def test_a_gpu_model_learns_real_data_and_pickles_to_numpy():
    from pygru.datasets import load_italy_power_demand

    X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
    clf = GRUClassifier(device="cuda", random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.93
    data = pickle.dumps(clf)
    assert b"cupy" not in data
    restored = pickle.loads(data)
    assert restored._optimizer.params is restored.network_.params
    np.testing.assert_allclose(
        restored.predict_proba(X_test), clf.predict_proba(X_test), rtol=1e-5, atol=1e-6
    )
