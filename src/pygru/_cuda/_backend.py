"""``gru_forward``/``gru_backward`` on CuPy arrays: argument checks, then ``_layer`` with a
runtime that launches the kernels of ``gru.cu`` through CuPy.

Same signatures and semantics as ``pygru.functional.gru_forward``/``gru_backward``; arrays
in and out are CuPy arrays on the current device (``lengths`` may also be a list or a NumPy
array). The returned cache is a ``GRUCache`` (``pygru._layer_args``) whose arrays live on
the device and hold exactly what the CPU backend stores (activations, ``W_hn h + b_hn``,
zeros past each sequence's length), so a cache copied to the host works with the CPU
backward and vice versa.

Matrix products go through cuBLAS in the input dtype; CuPy uses TF32 tensor cores for float32
only when the user sets ``CUPY_TF32=1``, and pygru never sets it (its error compounds over
time steps).
"""

import threading

import numpy as np

from pygru._cuda import _kernels, _layer
from pygru._cuda._launch import PORTABLE_CLUSTER_SIZE, DeviceLimits
from pygru._layer_args import (
    GRUCache,
    check_dtype_and_shape,
    check_layer_arguments,
    within_lengths,
)

__all__ = ["gru_forward_gpu", "gru_backward_gpu", "require_gpu"]

_INSTALL_HINT = (
    "The GPU backend needs CuPy and an NVIDIA GPU: pip install cupy-cuda12x (or "
    "cupy-cuda11x, to match your CUDA driver; from pygru's source folder, pip install "
    "'.[gpu]')."
)
_TYPE_NAMES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}


def require_gpu():
    """The ``cupy`` module, once CuPy imports and sees a CUDA device; else a clear error.

    Raises
    ------
    ImportError
        CuPy is not installed (or does not load).
    RuntimeError
        CuPy is installed but no CUDA device is usable.
    """
    try:
        import cupy
    except ImportError as error:
        raise ImportError(f"{_INSTALL_HINT} Importing cupy failed: {error}") from error
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDARuntimeError, or a missing driver library
        raise RuntimeError(
            f"CuPy is installed but found no usable CUDA device ({error}). {_INSTALL_HINT}"
        ) from error
    if count < 1:
        raise RuntimeError(f"CuPy is installed but found no CUDA device. {_INSTALL_HINT}")
    return cupy


def gru_forward_gpu(
    x,
    w_ih,
    w_hh,
    b_ih,
    b_hh,
    h0=None,
    lengths=None,
    reset_after=True,
    reverse=False,
    recurrent_mask=None,
    keep_cache=True,
    check_finite=True,
):
    """``pygru.functional.gru_forward`` on the GPU; see there. Takes and returns CuPy arrays.
    Without ``keep_cache`` the gate activations go back to CuPy's memory pool, which the next
    call reuses (the CPU's scratch arrays do the same). ``check_finite`` costs a device
    synchronisation per call."""
    cupy = require_gpu()

    def as_device_array(name, value, **expected):
        return _as_device_array(cupy, name, value, **expected)

    args = check_layer_arguments(
        as_device_array,
        x,
        w_ih,
        w_hh,
        b_ih,
        b_hh,
        h0,
        lengths,
        reset_after,
        reverse,
        recurrent_mask,
    )
    batch, _, _, hidden = args.sizes
    dtype = args.x.dtype
    arrays = dict(x=args.x, w_ih=args.w_ih, w_hh=args.w_hh, b_ih=args.b_ih, b_hh=args.b_hh)
    arrays.update(
        {
            name: value
            for name, value in [("h0", args.h0), ("recurrent_mask", args.recurrent_mask)]
            if value is not None
        }
    )
    if check_finite:
        _require_finite(cupy, **arrays)
    # A copy for the cache, which a caller carrying its state in h0 cannot overwrite.
    h0 = cupy.zeros((batch, hidden), dtype) if args.h0 is None else args.h0.copy()
    lengths = cupy.asarray(args.lengths)
    out, h_n, gates, hn_proj = _layer.forward(
        _runtime(cupy, dtype),
        args.x,
        args.w_ih,
        args.w_hh,
        args.b_ih,
        args.b_hh,
        h0,
        lengths,
        args.reset_after,
        args.reverse,
        args.recurrent_mask,
    )
    if not keep_cache:
        return out, h_n, None
    # As on the CPU, "no mask" is stored as an empty (0, 0) array.
    stored_mask = cupy.empty((0, 0), dtype) if args.recurrent_mask is None else args.recurrent_mask
    cache = GRUCache(
        args.x,
        args.w_ih,
        args.w_hh,
        args.b_ih,
        args.b_hh,
        h0,
        lengths,
        args.reset_after,
        args.reverse,
        stored_mask,
        out,
        gates,
        hn_proj,
    )
    return out, h_n, cache


def gru_backward_gpu(d_out, d_h_n, cache, check_finite=True):
    """``pygru.functional.gru_backward`` on the GPU, for a cache from ``gru_forward_gpu``."""
    cupy = require_gpu()
    if not isinstance(cache, GRUCache) or not isinstance(cache.x, cupy.ndarray):
        raise TypeError(
            f"cache must be the GRUCache returned by gru_forward on CuPy arrays, "
            f"got {type(cache).__name__}"
        )
    dtype = cache.dtype
    batch, steps, _ = cache.x.shape
    hidden = cache.w_hh.shape[1]
    gradients = {}
    if d_out is not None:
        d_out = _as_device_array(cupy, "d_out", d_out, shape=(batch, steps, hidden), dtype=dtype)
        if check_finite:
            gradients["d_out"] = within_lengths(d_out, cache.lengths)
    if d_h_n is None:
        d_h_n = cupy.zeros((batch, hidden), dtype)
    else:
        d_h_n = gradients["d_h_n"] = _as_device_array(
            cupy, "d_h_n", d_h_n, shape=(batch, hidden), dtype=dtype
        )
    if check_finite:
        _require_finite(cupy, **gradients)
    recurrent_mask = cache.recurrent_mask if cache.recurrent_mask.size else None
    return _layer.backward(
        _runtime(cupy, dtype),
        d_out,
        d_h_n,
        cache.x,
        cache.w_ih,
        cache.w_hh,
        cache.h0,
        cache.lengths,
        cache.reset_after,
        cache.reverse,
        cache.out,
        cache.gates,
        cache.hn_proj,
        recurrent_mask,
    )


def _as_device_array(cupy, name, value, ndim=None, shape=None, dtype=None):
    """``value`` as a C-contiguous float32/float64 CuPy array on the current device."""
    if not isinstance(value, cupy.ndarray):
        raise TypeError(
            f"{name} must be a CuPy array like x (the GPU backend does not copy "
            f"host arrays implicitly), got {type(value).__name__}"
        )
    check_dtype_and_shape(name, value, ndim, shape, dtype)
    if value.device.id != cupy.cuda.Device().id:
        raise ValueError(
            f"{name} is on GPU {value.device.id}, but the current device is "
            f"GPU {cupy.cuda.Device().id}"
        )
    return cupy.ascontiguousarray(value)


def _require_finite(cupy, **arrays):
    """One reduction and one device synchronisation for all arrays."""
    if not arrays:
        return
    flags = cupy.stack([cupy.isfinite(array).all() for array in arrays.values()])
    finite = cupy.asnumpy(flags)
    for name, ok in zip(arrays, finite):
        if not ok:
            raise ValueError(f"{name} contains NaN or infinity")


class _CupyRuntime:
    """What ``_layer`` needs: the array module, the device's limits and kernel launches."""

    def __init__(self, cupy, dtype):
        self.xp = cupy
        self.type_name = _TYPE_NAMES[np.dtype(dtype)]
        self.device_id = cupy.cuda.Device().id
        self.compiled_cluster_size, self.limits = _device_limits(cupy, self.device_id)

    def launch(self, name, grid, block, shared_bytes, args, cluster_size=1):
        kernel = _kernels.get_kernel(
            name,
            self.type_name,
            self.compiled_cluster_size,
            self.limits.shared_memory_per_block,
            cluster_size,
        )
        try:
            kernel((grid,), (block,), args, shared_mem=shared_bytes)
        except self.xp.cuda.driver.CUDADriverError as error:
            if cluster_size == 1:
                raise
            # The device cannot schedule clusters this large with this much shared memory
            # (fewer SMs per GPC than the cluster needs): plan again with smaller clusters.
            self.limits = _lower_cluster_limit(self.device_id, cluster_size)
            raise _layer.ClusterLaunchRefused(str(error)) from error


def _runtime(cupy, dtype):
    return _CupyRuntime(cupy, dtype)


_limits_lock = threading.Lock()
_limits = {}


def _device_limits(cupy, device_id):
    """(largest cluster compiled for, DeviceLimits) of a device, looked up once."""
    with _limits_lock:
        if device_id not in _limits:
            props = cupy.cuda.runtime.getDeviceProperties(device_id)
            shared = (
                props.get("sharedMemPerBlockOptin")
                or cupy.cuda.Device(device_id).attributes["MaxSharedMemoryPerBlockOptin"]
            )
            clusters = 16 if props["major"] >= 9 else 1
            _limits[device_id] = (
                clusters,
                DeviceLimits(
                    shared_memory_per_block=int(shared),
                    multiprocessors=int(props["multiProcessorCount"]),
                    max_cluster_size=clusters,
                ),
            )
        return _limits[device_id]


def _lower_cluster_limit(device_id, refused_size):
    with _limits_lock:
        compiled, limits = _limits[device_id]
        largest = PORTABLE_CLUSTER_SIZE if refused_size > PORTABLE_CLUSTER_SIZE else 1
        limits = DeviceLimits(
            limits.shared_memory_per_block,
            limits.multiprocessors,
            min(largest, limits.max_cluster_size),
            limits.max_threads,
        )
        _limits[device_id] = (compiled, limits)
        return limits
