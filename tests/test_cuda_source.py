"""The CUDA backend, checked without a GPU.

- gru.cu compiles for sm_90 (and the cluster-free part for sm_80) through NVRTC called directly
  with ctypes, for every template instantiation the backend can launch, float and double
  (skipped where libnvrtc is not installed: ``pip install nvidia-cuda-nvrtc-cu12``).
- The kernels' logic: gru.cu compiled as C++ with tests/cuda_shim (one std::thread per CUDA
  thread, std::barrier for __syncthreads and the cluster barrier, emulated distributed shared
  memory and warp shuffles), driven by the backend's own algorithm (pygru/_cuda/_layer.py) over
  NumPy, and compared with pygru._reference (skipped without a C++20 compiler). It catches
  indexing, tiling and barrier-placement errors, not hardware memory-ordering ones.
- The launch configuration logic, and that CuPy is imported lazily with clear errors.
"""

import ctypes
import ctypes.util
import functools
import glob
import os
import sys
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import make_layer, random_lengths, run_in_a_fresh_python
from cuda_shim.emulator import compile_kernels

from pygru import _reference
from pygru._cuda import _kernels, _launch, _layer, is_cupy_array
from pygru._cuda._launch import (
    PERSISTENT,
    STEPWISE,
    DeviceLimits,
    kernel_names,
    make_plan,
    plan_recurrence,
)

TYPE_NAMES = {np.float32: "float", np.float64: "double"}
TOLERANCE = {np.float32: 5e-5, np.float64: 1e-10}
HOPPER = DeviceLimits(shared_memory_per_block=232448, multiprocessors=132, max_cluster_size=16)


# --- NVRTC -------------------------------------------------------------------------------------


def _nvrtc_candidates():
    """libnvrtc from the nvidia-cuda-nvrtc wheels, a CUDA toolkit, or the loader's path."""
    try:
        import nvidia

        for folder in nvidia.__path__:
            yield from sorted(
                glob.glob(os.path.join(folder, "**", "libnvrtc.so*"), recursive=True)
            )
    except ImportError:
        pass
    for root in (os.environ.get("CUDA_PATH"), os.environ.get("CUDA_HOME"), "/usr/local/cuda"):
        if root:
            yield from sorted(glob.glob(os.path.join(root, "lib*", "libnvrtc.so*")))
    found = ctypes.util.find_library("nvrtc")
    if found:
        yield found


def _load_nvrtc():
    for candidate in _nvrtc_candidates():
        if "builtins" in candidate or ".alt." in candidate:
            continue
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    return None


def nvrtc_compile(nvrtc, source, names, arch):
    """Compile ``source`` with every name expression; returns (status, log, lowered names)."""
    program = ctypes.c_void_p()
    assert (
        nvrtc.nvrtcCreateProgram(ctypes.byref(program), source.encode(), b"gru.cu", 0, None, None)
        == 0
    )
    try:
        for name in names:
            assert nvrtc.nvrtcAddNameExpression(program, name.encode()) == 0
        options = [
            f"--gpu-architecture={arch}".encode(),
            *(option.encode() for option in _kernels.COMPILE_OPTIONS),
        ]
        status = nvrtc.nvrtcCompileProgram(
            program, len(options), (ctypes.c_char_p * len(options))(*options)
        )
        size = ctypes.c_size_t()
        nvrtc.nvrtcGetProgramLogSize(program, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        nvrtc.nvrtcGetProgramLog(program, log)
        lowered = {}
        if status == 0:
            for name in names:
                symbol = ctypes.c_char_p()
                if nvrtc.nvrtcGetLoweredName(program, name.encode(), ctypes.byref(symbol)) == 0:
                    lowered[name] = symbol.value.decode()
        return status, log.value.decode(errors="replace"), lowered
    finally:
        nvrtc.nvrtcDestroyProgram(ctypes.byref(program))


@pytest.fixture(scope="module")
def nvrtc():
    library = _load_nvrtc()
    if library is None:
        pytest.skip("libnvrtc not found (pip install nvidia-cuda-nvrtc-cu12)")
    return library


def test_the_source_reads_in_an_ascii_locale(tmp_path):
    # read_text() decoded it in the locale's encoding: "'ascii' codec can't decode byte
    # 0xc2" (its comments hold a section sign) where Python's UTF-8 mode is off.
    assert not _kernels.source().isascii()  # else this test checks nothing
    code = "from pygru._cuda import _kernels; assert '__global__' in _kernels.source()"
    run_in_a_fresh_python(code, tmp_path, LC_ALL="C", LANG="C", PYTHONUTF8="0")


def test_every_instantiation_compiles_for_sm90_and_the_block_kernels_for_sm80(nvrtc):
    # Every instantiation through the C++ front end and NVVM to PTX for sm_90; machine code
    # (ptxas, which checks the inline PTX) for all of float and for double kernels that hold
    # the 8-byte variants of that PTX; the cluster-free part for sm_80 (pre-Hopper GPUs).
    source = _kernels.source()
    jobs = [
        ("sm_90", kernel_names("float", 16)),
        ("compute_90", kernel_names("double", 16)),
        (
            "sm_90",
            [
                "gru_forward_cluster<double, true, 16, 4>",
                "gru_backward_cluster<double, false, 2, 1>",
                "gru_backward_block<double, true, 1>",
                "gru_step_backward_after<double>",
            ],
        ),
        ("compute_80", kernel_names("float", 1) + kernel_names("double", 1)),
    ]
    # ctypes releases the GIL: the programs compile in parallel.
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda job: nvrtc_compile(nvrtc, source, job[1], job[0]), jobs))
    for (arch, names), (status, log, lowered) in zip(jobs, results):
        assert status == 0, f"{arch}:\n{log}"
        assert "warning" not in log.lower(), f"{arch}:\n{log}"
        assert sorted(lowered) == sorted(names)
    assert len(jobs[0][1]) == 2 * 2 * 2 * 5 + 6  # directions x variants x rows x clusters + steps


# --- CPU emulation of the kernels ---------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator():
    names = [name for type_name in TYPE_NAMES.values() for name in kernel_names(type_name, 4)]
    return compile_kernels(_kernels.source(), names)


class _NanFilledNumpy:
    """NumPy whose ``empty`` is filled with NaN: a position the kernels fail to write shows."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def empty(shape, dtype=float):
        return np.full(shape, np.nan, dtype)

    @staticmethod
    def empty_like(array):
        return np.full_like(array, np.nan)


class EmulatedRuntime:
    """The runtime of pygru/_cuda/_layer.py with NumPy arrays and emulated kernel launches."""

    def __init__(self, library, dtype, limits):
        self.library = library
        self.xp = _NanFilledNumpy()
        self.type_name = TYPE_NAMES[dtype]
        self.limits = limits
        self.launches = []

    def launch(self, name, grid, block, shared_bytes, args, cluster_size=1):
        self.launches.append((name, cluster_size))
        assert self.run(name, grid, block, shared_bytes, args, cluster_size) == 0, name

    def run(self, name, grid, block, shared_bytes, args, cluster_size):
        return self.library.launch(name, grid, block, shared_bytes, cluster_size, args)


def dropout_mask(batch, hidden, dtype, seed=0, rate=0.3):
    rng = np.random.default_rng(seed)
    return ((rng.random((batch, hidden)) >= rate) / (1 - rate)).astype(dtype)


def run_layer(
    runtime,
    layer,
    lengths,
    reset_after,
    reverse,
    mask=None,
    forward_plan=None,
    backward_plan=None,
    seed=3,
):
    """Forward and backward through _layer; returns the forward arrays and the gradients."""
    lengths = np.asarray(lengths, np.int64)
    out, h_n, gates, hn = _layer.forward(
        runtime,
        layer["x"],
        layer["w_ih"],
        layer["w_hh"],
        layer["b_ih"],
        layer["b_hh"],
        layer["h0"],
        lengths,
        reset_after,
        reverse,
        mask,
        plan=forward_plan,
    )
    rng = np.random.default_rng(seed)
    d_out = rng.standard_normal(out.shape).astype(out.dtype)
    d_h_n = rng.standard_normal(h_n.shape).astype(out.dtype)
    grads = _layer.backward(
        runtime,
        d_out,
        d_h_n,
        layer["x"],
        layer["w_ih"],
        layer["w_hh"],
        layer["h0"],
        lengths,
        reset_after,
        reverse,
        out,
        gates,
        hn,
        mask,
        plan=backward_plan,
    )
    return (out, h_n, gates, hn), (d_out, d_h_n), grads


def assert_matches_reference(
    runtime,
    shape,
    dtype,
    reset_after,
    reverse,
    lengths=None,
    mask=False,
    forward_plan=None,
    backward_plan=None,
):
    batch, steps, _, hidden = shape
    layer = {k: v.astype(dtype) for k, v in make_layer(*shape, seed=sum(shape)).items()}
    if lengths is None:
        lengths = random_lengths(batch, steps, seed=batch + steps)
    mask = dropout_mask(batch, hidden, dtype) if mask else None
    (out, h_n, _, _), (d_out, d_h_n), grads = run_layer(
        runtime, layer, lengths, reset_after, reverse, mask, forward_plan, backward_plan
    )
    upcast = {k: v.astype(np.float64) for k, v in layer.items()}
    options = dict(
        lengths=lengths,
        reset_after=reset_after,
        reverse=reverse,
        recurrent_mask=None if mask is None else mask.astype(np.float64),
    )
    out_ref, h_ref, cache_ref = _reference.forward(**upcast, **options)
    expected = _reference.backward(d_out.astype(np.float64), d_h_n.astype(np.float64), cache_ref)
    names = ["out", "h_n", "dx", "dh0", "dw_ih", "dw_hh", "db_ih", "db_hh"]
    for name, actual, want in zip(names, (out, h_n, *grads), (out_ref, h_ref, *expected)):
        assert actual.dtype == dtype, name
        scale = max(np.max(np.abs(want)), 1e-30)
        error = np.max(np.abs(actual.astype(np.float64) - want)) / scale
        assert error < TOLERANCE[dtype], f"{name}: relative error {error:.2e}"


# Shared memory as on Hopper, but 2 SMs, so a batch of 3 is cut into tiles of 2 rows (the second
# tile half empty), and 64 threads per block to keep the number of OS threads small.
SMALL_DEVICE = DeviceLimits(
    shared_memory_per_block=232448, multiprocessors=2, max_cluster_size=4, max_threads=64
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("steps, reverse", [(1, False), (4, False), (4, True)])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("hidden", [1, 5, 32, 33, 130])
def test_emulated_kernels_match_reference(
    emulator, hidden, batch, steps, reverse, reset_after, dtype
):
    runtime = EmulatedRuntime(emulator, dtype, SMALL_DEVICE)
    assert_matches_reference(runtime, (batch, steps, 2, hidden), dtype, reset_after, reverse)
    assert all(name.startswith(("gru_forward", "gru_backward")) for name, _ in runtime.launches), (
        "expected the persistent kernels"
    )


@functools.cache
def limits_forcing_clusters(cluster_size, batch, hidden, itemsize):
    """A device with just too little shared memory per block for smaller clusters: the plans
    of both variants, forward and backward, use clusters of ``cluster_size``."""
    for shared_bytes in range(64, 400_000, 16):
        limits = DeviceLimits(shared_bytes, multiprocessors=8, max_cluster_size=4, max_threads=64)
        plans = [
            plan_recurrence(batch, hidden, itemsize, reset_after, backward, limits)
            for reset_after in (True, False)
            for backward in (False, True)
        ]
        if all(
            plan.strategy == PERSISTENT and plan.cluster_size == cluster_size for plan in plans
        ):
            return limits
    raise AssertionError(f"no shared-memory size gives clusters of {cluster_size} for H={hidden}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("hidden, cluster_size", [(5, 2), (33, 2), (10, 4), (33, 4), (130, 4)])
def test_emulated_clusters_exchange_state_through_peer_shared_memory(
    emulator, hidden, cluster_size, reset_after, dtype
):
    # H=10 in 4 blocks: 3 + 3 + 3 + 1 units.
    limits = limits_forcing_clusters(cluster_size, 3, hidden, np.dtype(dtype).itemsize)
    runtime = EmulatedRuntime(emulator, dtype, limits)
    assert_matches_reference(runtime, (3, 4, 2, hidden), dtype, reset_after, reverse=True)
    used = {size for name, size in runtime.launches}
    assert used == {cluster_size}, runtime.launches


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize(
    "hidden, cluster_size, tile_rows, rows_per_item, k_split, threads",
    [
        (33, 1, 4, 4, 8, 128),  # 4 rows per item, 8 lanes per item
        (33, 2, 8, 4, 4, 32),  # fewer threads than items x lanes: each group loops over items
        (5, 2, 1, 1, 32, 64),  # one item per warp, 32-lane reduction; an idle warp joins in
        (33, 4, 4, 4, 1, 32),  # no shuffles; the last block owns fewer units (33 = 3 x 9 + 6)
        (33, 2, 2, 1, 2, 96),  # more threads than work: idle groups still join the shuffles
    ],
)
def test_emulated_kernels_with_explicit_launch_shapes(
    emulator, hidden, cluster_size, tile_rows, rows_per_item, k_split, threads, reset_after
):
    batch, steps = 5, 4
    runtime = EmulatedRuntime(emulator, np.float64, SMALL_DEVICE)
    plans = [
        make_plan(
            batch,
            hidden,
            8,
            reset_after,
            backward,
            cluster_size,
            tile_rows,
            rows_per_item,
            k_split,
            threads,
            pad=backward,
        )
        for backward in (False, True)
    ]
    assert_matches_reference(
        runtime,
        (batch, steps, 3, hidden),
        np.float64,
        reset_after,
        reverse=True,
        lengths=[4, 1, 3, 4, 2],
        mask=True,
        forward_plan=plans[0],
        backward_plan=plans[1],
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("hidden", [5, 33])
def test_emulated_stepwise_fallback_matches_reference(
    emulator, hidden, reverse, reset_after, dtype
):
    limits = DeviceLimits(shared_memory_per_block=256, multiprocessors=2, max_cluster_size=1)
    runtime = EmulatedRuntime(emulator, dtype, limits)
    assert_matches_reference(runtime, (3, 4, 2, hidden), dtype, reset_after, reverse)
    assert {name.split("<")[0] for name, _ in runtime.launches} <= {
        f"gru_step_{kernel}"
        for kernel in (
            "forward_after",
            "forward_reset",
            "forward_candidate",
            "backward_after",
            "backward_candidate",
            "backward_reset",
        )
    }


STRATEGIES = {
    "block": SMALL_DEVICE,
    "cluster": limits_forcing_clusters(4, 3, 33, 8),
    "steps": DeviceLimits(256, 2, 1),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_emulated_recurrent_dropout_mask_matches_reference(
    emulator, strategy, reverse, reset_after, dtype
):
    runtime = EmulatedRuntime(emulator, dtype, STRATEGIES[strategy])
    assert_matches_reference(runtime, (3, 4, 2, 33), dtype, reset_after, reverse, mask=True)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("reset_after", [True, False])
def test_emulated_cache_equals_the_cpu_backend_cache(emulator, strategy, reset_after):
    # Same activations, W_hn h + b_hn and zeros past each length as pygru._cpu stores: a cache
    # moved between devices works with either backward.
    from pygru.functional import gru_forward

    layer = make_layer(3, 5, 2, 33, seed=4)
    lengths = [5, 2, 4]
    mask = dropout_mask(3, 33, np.float64)
    (out, h_n, gates, hn), _, _ = run_layer(
        EmulatedRuntime(emulator, np.float64, STRATEGIES[strategy]),
        layer,
        lengths,
        reset_after,
        reverse=True,
        mask=mask,
    )
    out_cpu, h_n_cpu, cache = gru_forward(
        **layer, lengths=lengths, reset_after=reset_after, reverse=True, recurrent_mask=mask
    )
    for name, actual, expected in [
        ("out", out, out_cpu),
        ("h_n", h_n, h_n_cpu),
        ("gates", gates, cache.gates),
        ("hn_proj", hn, cache.hn_proj),
    ]:
        assert actual.shape == expected.shape, name
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("backward", [False, True])
@pytest.mark.parametrize("reset_after", [True, False])
def test_shared_memory_size_of_the_plan_is_exactly_what_the_kernel_uses(
    emulator, backward, reset_after
):
    batch, steps, hidden = 3, 2, 33
    runtime = EmulatedRuntime(emulator, np.float32, SMALL_DEVICE)
    recorded = []
    runtime.launch = lambda *launch: recorded.append(launch)
    plan = make_plan(batch, hidden, 4, reset_after, backward, 2, 4, 4, 2, 64, pad=False)
    layer = {k: v.astype(np.float32) for k, v in make_layer(batch, steps, 2, hidden).items()}
    run_layer(
        runtime,
        layer,
        [2, 1, 2],
        reset_after,
        False,
        forward_plan=None if backward else plan,
        backward_plan=plan if backward else None,
    )
    launch = next(launch for launch in recorded if launch[0] == plan.kernel_name("float"))
    name, grid, block, shared_bytes, args, cluster_size = launch
    assert shared_bytes == plan.shared_bytes
    # One byte less and the kernel writes outside the block's shared memory.
    assert runtime.run(*launch) == 0
    assert runtime.run(name, grid, block, shared_bytes - 1, args, cluster_size) == 3


def test_emulator_refuses_unknown_kernels_and_bad_launch_shapes(emulator):
    runtime = EmulatedRuntime(emulator, np.float32, SMALL_DEVICE)
    assert runtime.run("no_such_kernel<float>", 1, 32, 0, (), 1) == 1
    assert runtime.run("gru_forward_cluster<float, true, 2, 1>", 3, 32, 0, (), 2) == 2


# --- launch configuration -----------------------------------------------------------------------

BENCHMARK_SHAPES = [
    (32, 8, 32),
    (64, 16, 64),
    (128, 32, 128),
    (64, 1, 256),
    (256, 64, 256),
    (512, 128, 512),
    (1, 32, 128),
]  # (B, I, H)


def all_plans():
    for batch in (1, 2, 3, 7, 32, 64, 128, 256, 512, 4096):
        for hidden in (1, 2, 5, 31, 32, 33, 64, 100, 128, 129, 200, 256, 384, 512, 1024):
            for itemsize in (4, 8):
                for reset_after in (True, False):
                    for backward in (False, True):
                        yield (
                            (batch, hidden, itemsize, reset_after, backward),
                            plan_recurrence(
                                batch, hidden, itemsize, reset_after, backward, HOPPER
                            ),
                        )


def test_every_plan_is_launchable_and_names_a_compiled_kernel():
    names = {type_name: set(kernel_names(type_name, 16)) for type_name in ("float", "double")}
    persistent = 0
    for (batch, hidden, itemsize, reset_after, backward), plan in all_plans():
        if plan.strategy == STEPWISE:
            assert plan.reason
            continue
        persistent += 1
        units = -(-hidden // plan.cluster_size)
        assert plan.shared_bytes <= HOPPER.shared_memory_per_block
        assert plan.threads % 32 == 0 and 32 <= plan.threads <= _launch.MAX_THREADS
        assert plan.k_split in (1, 2, 4, 8, 16, 32)
        assert plan.tile_rows % plan.rows_per_item == 0
        assert plan.tiles * plan.tile_rows >= batch > (plan.tiles - 1) * plan.tile_rows
        assert units * (plan.cluster_size - 1) < hidden, "a block without units"
        assert plan.w_stride >= (3 * hidden if backward else hidden)
        assert plan.shared_bytes == _launch.shared_bytes(
            backward, reset_after, units, plan.tile_rows, plan.w_stride, plan.x_stride, itemsize
        )
        assert (
            plan.kernel_name("float" if itemsize == 4 else "double")
            in names["float" if itemsize == 4 else "double"]
        )
    assert persistent > 300


def test_small_layers_keep_all_of_w_hh_in_one_block():
    for batch, _, hidden in BENCHMARK_SHAPES:
        if hidden <= 128:
            for backward in (False, True):
                plan = plan_recurrence(batch, hidden, 4, True, backward, HOPPER)
                assert (plan.strategy, plan.cluster_size) == (PERSISTENT, 1), plan


def test_larger_layers_use_clusters_and_the_largest_fall_back_to_steps():
    forward = plan_recurrence(64, 256, 4, True, False, HOPPER)
    assert forward.strategy == PERSISTENT and 2 <= forward.cluster_size <= 8
    assert forward.grid <= HOPPER.multiprocessors
    double = plan_recurrence(8, 128, 8, True, False, HOPPER)
    assert double.strategy == PERSISTENT and double.cluster_size == 2
    assert plan_recurrence(512, 512, 4, True, False, HOPPER).strategy == STEPWISE
    assert plan_recurrence(4, 4096, 4, True, False, HOPPER).strategy == STEPWISE
    no_clusters = DeviceLimits(232448 - 65536, 108, max_cluster_size=1)  # an A100
    assert plan_recurrence(64, 256, 4, True, False, no_clusters).strategy == STEPWISE
    assert plan_recurrence(64, 64, 4, True, False, no_clusters).cluster_size == 1


def test_many_waves_of_tiles_fall_back_to_steps():
    tiny = DeviceLimits(shared_memory_per_block=232448, multiprocessors=4, max_cluster_size=1)
    assert plan_recurrence(8, 128, 4, True, False, tiny).strategy == PERSISTENT
    assert plan_recurrence(128, 128, 4, True, False, tiny).strategy == STEPWISE
    assert plan_recurrence(128, 128, 4, True, False, tiny, max_waves=100).strategy == PERSISTENT


def test_tiles_spread_the_batch_over_the_device():
    plan = plan_recurrence(512, 64, 4, True, False, HOPPER)
    assert plan.tiles <= HOPPER.multiprocessors and plan.rows_per_item == 4
    assert plan_recurrence(1, 64, 4, True, False, HOPPER).tile_rows == 1


def test_padded_strides_put_the_rows_of_a_warp_in_different_banks():
    for itemsize, banks in ((4, 32), (8, 16)):
        for length in range(1, 80):
            for k_split in (1, 2, 4, 8, 16, 32):
                stride = _launch.padded_stride(length, k_split, itemsize)
                assert length <= stride < length + banks
                assert stride % banks == k_split % banks


@pytest.mark.parametrize(
    "arguments, match",
    [
        ((3, 8, 4, True, False, 1, 3, 4, 1, 32), "multiple of rows_per_item"),
        ((3, 8, 4, True, False, 3, 1, 1, 1, 32), "cluster_size"),
        ((3, 8, 4, True, False, 1, 1, 1, 3, 32), "k_split"),
        ((3, 8, 4, True, False, 1, 1, 1, 1, 48), "threads"),
        ((3, 8, 4, True, False, 1, 1, 1, 1, 1024), "threads"),
        ((3, 5, 4, True, False, 4, 1, 1, 1, 32), "without hidden units"),
    ],
)
def test_make_plan_refuses_configurations_the_kernels_cannot_run(arguments, match):
    with pytest.raises(ValueError, match=match):
        make_plan(*arguments)


def test_kernel_names_match_the_plans():
    plan = make_plan(3, 40, 4, False, True, 4, 4, 4, 2, 64)
    assert plan.kernel_name("float") == "gru_backward_cluster<float, false, 4, 4>"
    plan = make_plan(3, 40, 8, True, False, 1, 1, 1, 2, 64)
    assert plan.kernel_name("double") == "gru_forward_block<double, true, 1>"
    with pytest.raises(ValueError):
        plan_recurrence(512, 512, 4, True, False, HOPPER).kernel_name("float")
    assert not any("cluster" in name for name in kernel_names("float", 1))
    assert len(kernel_names("double", 8)) == len(kernel_names("double", 16)) - 8


def test_kernel_source_ships_with_the_package():
    source = _kernels.source()
    for name in (
        "gru_forward_block",
        "gru_forward_cluster",
        "gru_backward_block",
        "gru_backward_cluster",
        *_launch.step_kernels(),
    ):
        assert name in source


# --- lazy import, clear errors ------------------------------------------------------------------


def test_importing_pygru_and_the_cuda_backend_does_not_import_cupy(tmp_path):
    code = (
        "import sys, pygru, pygru.functional, pygru._cuda, pygru._cuda._backend, "
        "pygru._cuda._kernels, pygru._cuda._launch, pygru._cuda._layer; "
        "assert 'cupy' not in sys.modules, 'cupy was imported'"
    )
    run_in_a_fresh_python(code, tmp_path)


def test_gpu_functions_without_cupy_raise_import_error_with_instructions(monkeypatch):
    from pygru._cuda import _backend

    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(ImportError, match=r"pip install cupy-cuda12x .* pip install '\.\[gpu\]'"):
        _backend.require_gpu()
    layer = make_layer(2, 3, 2, 4)
    with pytest.raises(ImportError, match="CuPy"):
        _backend.gru_forward_gpu(**layer)
    with pytest.raises(ImportError, match="CuPy"):
        _backend.gru_backward_gpu(None, None, object())


def test_gpu_functions_without_a_device_raise_runtime_error(monkeypatch):
    from pygru._cuda import _backend

    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_device))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(RuntimeError, match="no usable CUDA device"):
        _backend.require_gpu()
    fake.cuda.runtime.getDeviceCount = lambda: 0
    with pytest.raises(RuntimeError, match="found no CUDA device"):
        _backend.gru_forward_gpu(**make_layer(2, 3, 2, 4))


def test_is_cupy_array_needs_no_cupy():
    assert not is_cupy_array(np.zeros(3))
    assert not is_cupy_array([1.0])
    fake = type("ndarray", (), {"__module__": "cupy._core.core"})()
    assert is_cupy_array(fake)
