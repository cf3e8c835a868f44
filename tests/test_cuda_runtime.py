"""The whole GPU backend on an emulated CUDA runtime, on any machine.

``fake_cupy.install_runtime`` replaces CuPy's runtime only (arrays, device queries, RawModule,
kernel launches, the driver's launch checks); the kernels of gru.cu run as C++ on the CPU
(tests/cuda_shim). So everything pygru does on a GPU runs here: ``_backend``'s argument and
device checks, the device limits, ``_launch``'s planning, ``_kernels``' compilation and
lookup with its opt-ins, ``_layer``'s launches, and the retry with smaller clusters when a
device refuses a cluster launch. Results are compared with ``pygru._reference``. On a GPU
machine these tests still use the emulation; tests/test_cuda.py runs the real device.
"""

import functools

import fake_cupy
import numpy as np
import pytest
from conftest import make_layer, random_lengths

from pygru import GRUClassifier, _reference
from pygru._cuda import _backend, _kernels, _launch
from pygru._cuda._launch import PERSISTENT, DeviceLimits, plan_recurrence
from pygru.functional import gru_backward, gru_forward

TOLERANCE = {np.float32: 5e-5, np.float64: 1e-10}
GRADIENTS = ["dx", "dh0", "dw_ih", "dw_hh", "db_ih", "db_hh"]
BATCH, STEPS, INPUTS = 5, 4, 3

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@functools.cache
def gpu_forcing_clusters(cluster_size, hidden, itemsize):
    """An emulated Hopper GPU with just too little shared memory per block for clusters smaller
    than ``cluster_size``: the plans of both variants, forward and backward, use that size.
    Four clusters fit on it at once, so tiles have one or two rows."""
    multiprocessors = 4 * cluster_size
    for shared_bytes in range(64, 400_000, 16):
        limits = DeviceLimits(shared_bytes, multiprocessors, max_cluster_size=16)
        plans = [
            plan_recurrence(BATCH, hidden, itemsize, reset_after, backward, limits)
            for reset_after in (True, False)
            for backward in (False, True)
        ]
        if all(p.strategy == PERSISTENT and p.cluster_size == cluster_size for p in plans):
            return dict(multiprocessors=multiprocessors, shared_memory_per_block=shared_bytes)
    raise AssertionError(f"no shared-memory size gives clusters of {cluster_size} for H={hidden}")


DEVICES = {  # name -> (EmulatedGPU settings or the cluster size to force, H, clusters launched)
    "H100, one block per tile": (dict(), 33, {1}),
    "clusters of 8": (8, 32, {8}),
    "clusters of 16": (16, 32, {16}),
    "A100, steps": (dict(major=8, shared_memory_per_block=1024), 33, set()),
}


def run_backend(cupy, layer, dtype, lengths, reset_after, reverse, mask, seed=3):
    """gru_forward and gru_backward on the device: (out, h_n) and the gradients, on the host,
    with the upstream gradients used."""
    device = {name: cupy.asarray(value.astype(dtype)) for name, value in layer.items()}
    out, h_n, cache = gru_forward(
        **device,
        lengths=lengths,
        reset_after=reset_after,
        reverse=reverse,
        recurrent_mask=None if mask is None else cupy.asarray(mask),
    )
    rng = np.random.default_rng(seed)
    d_out = rng.standard_normal(out.shape).astype(dtype)
    d_h_n = rng.standard_normal(h_n.shape).astype(dtype)
    grads = gru_backward(cupy.asarray(d_out), cupy.asarray(d_h_n), cache)
    return [cupy.asnumpy(a) for a in (out, h_n)], (d_out, d_h_n), [cupy.asnumpy(g) for g in grads]


def assert_backend_matches_reference(cupy, hidden, dtype, reset_after, reverse, mask=False):
    layer = make_layer(BATCH, STEPS, INPUTS, hidden, seed=hidden)
    lengths = random_lengths(BATCH, STEPS, seed=1)
    rng = np.random.default_rng(0)
    mask = ((rng.random((BATCH, hidden)) > 0.3) / 0.7).astype(dtype) if mask else None
    (out, h_n), (d_out, d_h_n), grads = run_backend(
        cupy, layer, dtype, lengths, reset_after, reverse, mask
    )
    upcast = {name: value.astype(dtype).astype(np.float64) for name, value in layer.items()}
    options = dict(lengths=lengths, reset_after=reset_after, reverse=reverse)
    out_ref, h_ref, cache_ref = _reference.forward(
        **upcast, **options, recurrent_mask=None if mask is None else mask.astype(np.float64)
    )
    expected = _reference.backward(d_out.astype(np.float64), d_h_n.astype(np.float64), cache_ref)
    names = ["out", "h_n", *GRADIENTS]
    for name, actual, want in zip(names, (out, h_n, *grads), (out_ref, h_ref, *expected)):
        assert actual.dtype == dtype, name
        error = np.max(np.abs(actual - want)) / max(np.max(np.abs(want)), 1e-30)
        assert error < TOLERANCE[dtype], f"{name}: relative error {error:.2e}"


def persistent_cluster_sizes(gpu):
    return {
        launch.cluster_size
        for launch in gpu.launches
        if launch.name.startswith(("gru_forward", "gru_backward"))
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("device", DEVICES)
def test_the_backend_matches_the_reference_on_each_kind_of_device(
    monkeypatch, device, reset_after, dtype
):
    settings, hidden, cluster_sizes = DEVICES[device]
    if isinstance(settings, int):
        settings = gpu_forcing_clusters(settings, hidden, np.dtype(dtype).itemsize)
    gpu = fake_cupy.EmulatedGPU(**settings)
    cupy = fake_cupy.install_runtime(monkeypatch, gpu)
    assert_backend_matches_reference(cupy, hidden, dtype, reset_after, reverse=True, mask=True)
    assert persistent_cluster_sizes(gpu) == cluster_sizes, gpu.launches
    assert not any(launch.refused for launch in gpu.launches)
    if not cluster_sizes:
        assert {launch.name.split("<")[0] for launch in gpu.launches} <= set(
            _launch.step_kernels()
        )


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("cluster_size", [8, 16])
def test_a_refused_cluster_launch_is_planned_again_without_it(
    monkeypatch, cluster_size, reset_after
):
    # A device that schedules clusters of at most 2 blocks (as one whose GPCs have few SMs
    # free), with shared memory for nothing smaller than clusters of `cluster_size`: the
    # refused launch is planned again under the lowered limit, here step by step.
    settings = gpu_forcing_clusters(cluster_size, 32, 8)
    gpu = fake_cupy.EmulatedGPU(**settings, largest_cluster=2)
    cupy = fake_cupy.install_runtime(monkeypatch, gpu)
    assert_backend_matches_reference(cupy, 32, np.float64, reset_after, reverse=False)
    refused = [launch.cluster_size for launch in gpu.launches if launch.refused]
    assert refused == [cluster_size], gpu.launches
    ran = {launch.name.split("<")[0] for launch in gpu.launches if not launch.refused}
    assert ran <= set(_launch.step_kernels()), gpu.launches
    # The device keeps its lowered limit: the next call does not try the refused size again.
    gpu.launches.clear()
    assert_backend_matches_reference(cupy, 32, np.float64, reset_after, reverse=True)
    assert gpu.launches and not any(launch.refused for launch in gpu.launches)


def test_every_launch_names_a_kernel_of_the_compiled_module(monkeypatch):
    gpu = fake_cupy.EmulatedGPU(**gpu_forcing_clusters(16, 32, 4))
    cupy = fake_cupy.install_runtime(monkeypatch, gpu)
    assert_backend_matches_reference(cupy, 32, np.float32, True, reverse=False)
    compiled = set(_launch.kernel_names("float", 16))
    assert gpu.launches and {launch.name for launch in gpu.launches} <= compiled
    with pytest.raises(cupy.cuda.driver.CUDADriverError, match="not found"):
        _kernels.get_kernel("gru_forward_cluster<float, true, 3, 1>", "float", 16, 4096, 1)


def test_a_pre_hopper_device_compiles_no_cluster_kernels(monkeypatch):
    gpu = fake_cupy.EmulatedGPU(major=8, shared_memory_per_block=166912, multiprocessors=108)
    cupy = fake_cupy.install_runtime(monkeypatch, gpu)
    assert_backend_matches_reference(cupy, 33, np.float64, False, reverse=False)
    assert persistent_cluster_sizes(gpu) == {1}
    with pytest.raises(cupy.cuda.driver.CUDADriverError, match="not found"):
        _kernels.get_kernel("gru_forward_cluster<double, true, 2, 1>", "double", 1, 4096, 2)


def test_launches_without_the_opt_ins_are_refused_by_the_emulated_driver(monkeypatch):
    # What makes the tests above meaningful: a backend that forgot an opt-in would fail.
    cupy = fake_cupy.install_runtime(monkeypatch)
    module = cupy.RawModule(
        code=_kernels.source(), name_expressions=_launch.kernel_names("float", 16)
    )
    kernel = module.get_function("gru_forward_cluster<float, true, 16, 1>")
    args = ()
    with pytest.raises(cupy.cuda.driver.CUDADriverError, match="cluster size"):
        kernel((16,), (32,), args)
    with pytest.raises(cupy.cuda.driver.CUDADriverError, match="invalid argument"):
        kernel((16,), (32,), args, shared_mem=64 * 1024)
    cupy.cuda.driver.funcSetAttribute(kernel.kernel.ptr, 14, 1)
    with pytest.raises(cupy.cuda.driver.CUDADriverError, match="cluster size"):
        kernel((24,), (32,), args)  # not a whole number of clusters
    with pytest.raises(TypeError, match="takes 19 arguments"):
        kernel((16,), (32,), args)


def test_kernel_arguments_are_checked_against_the_kernel_signature(monkeypatch):
    cupy = fake_cupy.install_runtime(monkeypatch)
    kernel = _kernels.get_kernel("gru_step_forward_after<double>", "double", 16, 232448, 1)
    batch, hidden = 2, 3
    arrays = [
        cupy.zeros(shape, np.float64)
        for shape in [(batch, 1, 3 * hidden), (batch, 3 * hidden), (hidden,)]
    ]
    lengths = cupy.asarray(np.ones(batch, np.int64))
    state = [cupy.zeros(shape, np.float64) for shape in [(batch, hidden)] * 2]
    outputs = [cupy.zeros((batch, 1, n * hidden), np.float64) for n in (1, 3, 1)]
    sizes = [np.int32(value) for value in (batch, 1, hidden, 0, 0)]
    kernel((1,), (32,), (*arrays, lengths, *state, *outputs, *sizes))
    # Zero inputs and state: r = z = sigmoid(0), n = tanh(0), for every row.
    gates = np.concatenate([np.full(2 * hidden, 0.5), np.zeros(hidden)])
    np.testing.assert_array_equal(cupy.asnumpy(outputs[1])[:, 0], [gates] * batch)
    with pytest.raises(TypeError, match="argument 3 must be a C-contiguous int64"):
        kernel((1,), (32,), (*arrays, lengths.astype(np.int32), *state, *outputs, *sizes))
    with pytest.raises(TypeError, match="argument 13 must be an np.int32"):
        kernel((1,), (32,), (*arrays, lengths, *state, *outputs, *sizes[:-1], 0))


def test_wrong_inputs_get_clear_errors_from_the_backend(monkeypatch):
    gpu = fake_cupy.EmulatedGPU(device_count=2)
    cupy = fake_cupy.install_runtime(monkeypatch, gpu)
    layer = {name: cupy.asarray(value) for name, value in make_layer(2, 3, 2, 4).items()}
    with pytest.raises(TypeError, match="w_hh must be a CuPy array like x.*got ndarray"):
        gru_forward(**dict(layer, w_hh=cupy.asnumpy(layer["w_hh"])))
    with pytest.raises(TypeError, match="b_ih has dtype float32 but x has dtype float64"):
        gru_forward(**dict(layer, b_ih=layer["b_ih"].astype(np.float32)))
    with pytest.raises(ValueError, match="h0 has shape \\(3, 4\\), expected \\(2, 4\\)"):
        gru_forward(**dict(layer, h0=cupy.zeros((3, 4))))
    bad = layer["x"].copy()
    bad[0, 1, 0] = np.inf
    with pytest.raises(ValueError, match="x contains NaN or infinity"):
        gru_forward(**dict(layer, x=bad))
    with cupy.cuda.Device(1):
        elsewhere = cupy.asarray(make_layer(2, 3, 2, 4)["w_ih"])
    with pytest.raises(ValueError, match="w_ih is on GPU 1, but the current device is GPU 0"):
        gru_forward(**dict(layer, w_ih=elsewhere))
    out, h_n, cache = gru_forward(**layer)
    with pytest.raises(ValueError, match="d_out has shape \\(2, 3, 5\\), expected \\(2, 3, 4\\)"):
        gru_backward(cupy.zeros((2, 3, 5)), None, cache)
    with pytest.raises(ValueError, match="d_h_n contains NaN or infinity"):
        gru_backward(None, cupy.full((2, 4), np.nan), cache)
    _, _, host_cache = gru_forward(**make_layer(2, 3, 2, 4))
    with pytest.raises(TypeError, match="cache must be the GRUCache returned by gru_forward"):
        _backend.gru_backward_gpu(None, None, host_cache)
    assert not any(launch.refused for launch in gpu.launches)


def test_check_finite_false_reads_nothing_back_from_the_device(monkeypatch):
    # The check costs a reduction and a synchronising copy per call; without it a forward
    # and backward pass only send the lengths to the device.
    cupy = fake_cupy.install_runtime(monkeypatch)
    layer = {name: cupy.asarray(value) for name, value in make_layer(2, 3, 2, 4).items()}
    d_out = cupy.ones((2, 3, 4))
    for check_finite, read_back in [(True, 2), (False, 0)]:
        fake_cupy.TRANSFERS.clear()
        out, _, cache = gru_forward(**layer, lengths=[3, 2], check_finite=check_finite)
        gru_backward(d_out, None, cache, check_finite=check_finite)
        assert fake_cupy.TRANSFERS["device_to_host"] == read_back, fake_cupy.TRANSFERS
        assert fake_cupy.TRANSFERS["host_to_device"] == 1, fake_cupy.TRANSFERS
    bad = layer["x"].copy()
    bad[0, 1, 0] = np.nan
    out, h_n, _ = gru_forward(**dict(layer, x=bad), check_finite=False)
    h_n = cupy.asnumpy(h_n)
    assert np.isnan(h_n[0]).all() and np.isfinite(h_n[1]).all()


def test_a_second_device_compiles_its_own_module_and_launches_there(monkeypatch):
    gpu = fake_cupy.EmulatedGPU(device_count=2)
    cupy = fake_cupy.install_runtime(monkeypatch, gpu)
    with cupy.cuda.Device(1):
        assert_backend_matches_reference(cupy, 9, np.float64, True, reverse=True)
    assert gpu.launches and {launch.device_id for launch in gpu.launches} == {1}


@pytest.mark.parametrize("window_warp", [None, 0.3])
def test_an_estimator_trained_on_the_emulated_gpu_matches_the_cpu(monkeypatch, window_warp):
    cupy = fake_cupy.install_runtime(monkeypatch)
    rng = np.random.default_rng(0)
    X = [rng.standard_normal((length, 2)) for length in rng.integers(2, 8, 24)]
    y = np.array([int(x[:, 0].sum() > 0) for x in X])
    settings = dict(
        hidden_layer_sizes=(5,), max_iter=3, batch_size=8, dtype="float64", window_warp=window_warp
    )
    on_cpu = GRUClassifier(device="cpu", random_state=0, **settings).fit(X, y)
    on_gpu = GRUClassifier(device="cuda", random_state=0, **settings).fit(X, y)
    assert isinstance(on_gpu.network_.params, cupy.ndarray)
    np.testing.assert_allclose(
        cupy.asnumpy(on_gpu.network_.params), on_cpu.network_.params, rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(on_gpu.predict_proba(X), on_cpu.predict_proba(X), rtol=1e-9)


def test_a_model_stays_on_its_gpu_and_a_pickle_round_trip_moves_it(monkeypatch):
    # As the device parameter documents: with another GPU current the backend's ValueError
    # names both; a pickled copy goes to the device current when it is next used.
    import pickle

    cupy = fake_cupy.install_runtime(monkeypatch, fake_cupy.EmulatedGPU(device_count=2))
    rng = np.random.default_rng(0)
    X = [rng.standard_normal((length, 2)) for length in rng.integers(3, 8, 24)]
    y = np.array([int(x[:, 0].sum() > 0) for x in X])
    with cupy.cuda.Device(1):
        model = GRUClassifier((3,), max_iter=1, random_state=0, device="cuda", dtype="float64")
        expected = model.fit(X, y).predict_proba(X)
    with pytest.raises(ValueError, match="is on GPU 1, but the current device is GPU 0"):
        model.predict_proba(X)
    moved = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(moved.predict_proba(X), expected)
    assert moved.network_.params.device.id == 0
    moved.partial_fit(X, y)
