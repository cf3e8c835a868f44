"""A CPU stand-in for CuPy, to test the estimators' GPU code path on machines without a GPU.

``install(monkeypatch)`` puts a module named ``cupy`` into ``sys.modules`` whose
``ndarray`` holds NumPy data but behaves like a CuPy array where it matters for pygru:

- it refuses implicit conversion to NumPy (``np.asarray(device_array)`` raises TypeError, as
  CuPy does), so host code that forgets a transfer fails here as it would on a GPU;
- ufuncs and NumPy functions dispatch to it (``__array_ufunc__``, ``__array_function__``,
  NEP 18, as CuPy implements them) and refuse to mix device and host arrays;
- reductions return 0-d device arrays, not host scalars;
- every host -> device and device -> host copy is counted in ``TRANSFERS``.

The GRU layer itself, and every 2-D matrix product (``@``), run through pygru's CPU kernels
on the unwrapped data, as the CPU path does (the real GPU
kernels are tested against the reference in tests/test_cuda.py on a GPU, and their source
under an emulation in tests/test_cuda_source.py); what this double checks is everything
around them: where parameters, optimizer state and batches live, what crosses the bus, and
that fitted models pickle without device arrays.

``install_runtime(monkeypatch, gpu)`` stands in one level lower, for the CUDA runtime only:
the same arrays (on numbered devices), ``RawModule``/``RawKernel`` and the device queries of an
``EmulatedGPU``. Nothing of pygru is replaced: ``pygru._cuda._backend`` checks the arguments,
``_layer`` and ``_launch`` plan the recurrence and ``_kernels`` compiles and looks up kernels
as on a GPU. "Compiling" builds gru.cu as C++ with tests/cuda_shim, and a launch runs the
kernel there (one CPU thread per CUDA thread, clusters of any size), after checking it as the
driver would: launch bounds, shared-memory opt-in, the non-portable opt-in of clusters above
8 blocks, the grid a multiple of the cluster, and every argument's type against the kernel's
signature. ``EmulatedGPU.largest_cluster`` refuses larger cluster launches, as a GPU does
whose GPCs have too few SMs free.
"""

import dataclasses
import functools
import itertools
import re
import sys
import types
from collections import Counter

import numpy as np
from cuda_shim.emulator import PARAMETER_TYPES, SHARED_MEMORY_VIOLATION, compile_kernels
from numpy.lib.mixins import NDArrayOperatorsMixin

TRANSFERS = Counter()  # "host_to_device", "device_to_host" (arrays), "scalars_read"


def _reduction(name):
    """A reduction method that, as CuPy's, returns a 0-d device array, not a host scalar."""

    def reduce(self, *args, **kwargs):
        return _wrap(np.asarray(getattr(self._data, name)(*args, **kwargs)))

    reduce.__name__ = name
    return reduce


class ndarray(NDArrayOperatorsMixin):  # noqa: N801 - the name CuPy uses
    """A "device" array: NumPy data that does not convert to NumPy implicitly."""

    __array_priority__ = 100

    def __init__(self, data, device_id=None):
        self._data = data
        self._device_id = _Device.current if device_id is None else device_id

    # ------------------------------------------------------------------ conversion
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use "
            "`.get()` to construct a NumPy array explicitly."
        )

    def get(self):
        TRANSFERS["device_to_host"] += 1
        return self._data.copy()

    def _scalar(self, kind):
        TRANSFERS["scalars_read"] += 1
        return kind(self._data)

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __bool__(self):
        return self._scalar(bool)

    def item(self):
        TRANSFERS["scalars_read"] += 1
        return self._data.item()

    def __reduce__(self):  # pickles as a device array, as CuPy's do
        return (_from_pickle, (self._data,))

    # ------------------------------------------------------------------ dispatch
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if (
            ufunc is np.matmul
            and method == "__call__"
            and not kwargs
            and all(getattr(value, "ndim", 0) == 2 for value in inputs)
        ):
            from pygru.functional import matmul

            return _wrap(matmul(*(_device_operand(value) for value in inputs)))
        outs = kwargs.get("out")
        if outs is not None:
            kwargs["out"] = tuple(_device_operand(out) for out in outs)
        result = getattr(ufunc, method)(*(_device_operand(value) for value in inputs), **kwargs)
        if outs is not None:  # the device arrays the caller passed, now updated
            return outs[0] if len(outs) == 1 else outs
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    # ------------------------------------------------------------------ array API
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    nbytes = property(lambda self: self._data.nbytes)
    strides = property(lambda self: self._data.strides)
    flags = property(lambda self: self._data.flags)
    T = property(lambda self: ndarray(self._data.T))
    device = property(lambda self: _Device(self._device_id))

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        return (ndarray(row) for row in self._data)

    def __repr__(self):
        return f"fake_cupy.ndarray({self._data!r})"

    def __getitem__(self, key):
        return _wrap(self._data[_index(key)])

    def __setitem__(self, key, value):
        if isinstance(value, np.ndarray):
            TRANSFERS["host_to_device"] += 1
        self._data[_index(key)] = value._data if isinstance(value, ndarray) else value

    def copy(self):
        return ndarray(self._data.copy())

    def astype(self, dtype, copy=True):
        return ndarray(self._data.astype(dtype, copy=copy))

    def reshape(self, *shape):
        return ndarray(self._data.reshape(*shape))

    def ravel(self):
        return ndarray(self._data.ravel())

    def clip(self, low, high, out=None):
        result = self._data.clip(low, high, out=None if out is None else out._data)
        return out if out is not None else ndarray(result)

    sum = _reduction("sum")
    max = _reduction("max")
    min = _reduction("min")
    mean = _reduction("mean")
    argmax = _reduction("argmax")
    any = _reduction("any")
    all = _reduction("all")


class _Device:
    """``cupy.cuda.Device``: ``Device()`` is the current device, ``with Device(1):`` makes
    device 1 current for arrays made inside."""

    current = 0
    gpu = None  # the EmulatedGPU of install_runtime

    def __init__(self, device_id=None):
        self.id = _Device.current if device_id is None else device_id

    def __enter__(self):
        self._previous, _Device.current = _Device.current, self.id
        return self

    def __exit__(self, *exc_info):
        _Device.current = self._previous

    @property
    def attributes(self):
        return {"MaxSharedMemoryPerBlockOptin": _Device.gpu.shared_memory_per_block}


def _from_pickle(data):
    return ndarray(data)


def _device_operand(value):
    """A ufunc/function operand: device data, or a scalar; host arrays are refused."""
    if isinstance(value, ndarray):
        return value._data
    if isinstance(value, np.ndarray) and value.ndim > 0:
        raise TypeError(
            "Unsupported type <class 'numpy.ndarray'>: a host array was mixed with device arrays"
        )
    return value


def _unwrap(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(item) for item in value)
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    return _device_operand(value)


def _index(key):
    """Indices may be device arrays, host arrays (CuPy copies them over) or slices."""
    if isinstance(key, tuple):
        return tuple(_index(item) for item in key)
    if isinstance(key, ndarray):
        return key._data
    if isinstance(key, np.ndarray) and key.ndim > 0:
        TRANSFERS["host_to_device"] += 1
    return key


def _wrap(value):
    if isinstance(value, np.ndarray):
        return ndarray(value)
    if isinstance(value, np.generic):
        return ndarray(np.asarray(value))
    if isinstance(value, (list, tuple)):
        return type(value)(_wrap(item) for item in value)
    return value


# ---------------------------------------------------------------------- module functions
def asarray(value, dtype=None):
    if isinstance(value, ndarray):
        return value if dtype is None else value.astype(dtype, copy=False)
    TRANSFERS["host_to_device"] += 1
    return ndarray(np.array(value, dtype=dtype))


def asnumpy(value):
    return value.get() if isinstance(value, ndarray) else np.asarray(value)


def get_array_module(*arrays):
    return sys.modules["cupy"] if any(isinstance(a, ndarray) for a in arrays) else np


class _Ufunc:
    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        return _wrap(self._ufunc(*_unwrap(args), **_unwrap(kwargs)))

    def at(self, target, index, values):
        """``cupy.add.at`` and the like: unbuffered, in place on the device array."""
        self._ufunc.at(target._data, _index(index), _device_operand(values))


def _function(name):
    if name.startswith("__"):
        raise AttributeError(name)
    numpy_function = getattr(np, name)
    if isinstance(numpy_function, np.ufunc):
        return _Ufunc(numpy_function)
    if not callable(numpy_function) or isinstance(numpy_function, type):
        return numpy_function  # dtypes such as cupy.float32

    def function(*args, **kwargs):
        return _wrap(numpy_function(*_unwrap(args), **_unwrap(kwargs)))

    function.__name__ = name
    return function


class _Generator:
    """``cupy.random.Generator``: random numbers made on the device."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return ndarray(np.asarray(self._rng.random(size, dtype=dtype)))


def _make_modules():
    cupy = types.ModuleType("cupy")
    cupy.__getattr__ = _function
    cupy.ndarray = ndarray
    cupy.asarray = cupy.array = asarray
    cupy.asnumpy = asnumpy
    cupy.get_array_module = get_array_module
    cupy.random = types.SimpleNamespace(default_rng=_Generator)
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 1)
    cupy.cuda = types.SimpleNamespace(runtime=runtime, Device=_Device)
    return cupy


ndarray.__module__ = "cupy"  # what pygru._cuda.is_cupy_array looks at, as for CuPy's type


def install(monkeypatch):
    """Make ``import cupy`` give the double and run the GPU backend's layer on the CPU."""
    from pygru._cuda import _backend

    cupy = _make_modules()
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(_backend, "gru_forward_gpu", _forward_on_cpu)
    monkeypatch.setattr(_backend, "gru_backward_gpu", _backward_on_cpu)
    TRANSFERS.clear()
    return cupy


def _to_host(value):
    return value._data if isinstance(value, ndarray) else value


def _require_device(**arrays):
    for name, value in arrays.items():
        if value is not None and not isinstance(value, ndarray):
            raise TypeError(f"{name} must be a CuPy array like x, got {type(value).__name__}")


def _forward_on_cpu(
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
    from pygru import functional
    from pygru.functional import GRUCache

    _require_device(
        x=x, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh, h0=h0, recurrent_mask=recurrent_mask
    )
    if isinstance(lengths, ndarray):
        raise TypeError("lengths stay on the host")
    out, h_n, cache = functional.gru_forward(
        *(_to_host(v) for v in (x, w_ih, w_hh, b_ih, b_hh)),
        h0=_to_host(h0),
        lengths=lengths,
        reset_after=reset_after,
        reverse=reverse,
        recurrent_mask=_to_host(recurrent_mask),
        keep_cache=keep_cache,
        check_finite=check_finite,
    )
    if cache is None:
        return ndarray(out), ndarray(h_n), None
    device_cache = GRUCache(
        **{
            name: ndarray(value) if isinstance(value, np.ndarray) and name != "lengths" else value
            for name, value in vars(cache).items()
        }
    )
    return ndarray(out), ndarray(h_n), device_cache


def _backward_on_cpu(d_out, d_h_n, cache, check_finite=True):
    from pygru import functional
    from pygru.functional import GRUCache

    _require_device(d_out=d_out, d_h_n=d_h_n)
    host_cache = GRUCache(**{name: _to_host(value) for name, value in vars(cache).items()})
    return tuple(
        ndarray(grad)
        for grad in functional.gru_backward(
            _to_host(d_out), _to_host(d_h_n), host_cache, check_finite
        )
    )


# ---------------------------------------------------------------------- the runtime stand-in
_DEFAULT_SHARED_BYTES = 48 * 1024  # dynamic shared memory a kernel may use without opting in
_PORTABLE_CLUSTER_SIZE = 8  # larger clusters need the non-portable opt-in
_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14  # CUfunction_attribute (cuda.h)


class CUDADriverError(RuntimeError):
    """``cupy.cuda.driver.CUDADriverError``."""


class CUDARuntimeError(RuntimeError):
    """``cupy.cuda.runtime.CUDARuntimeError``."""


@dataclasses.dataclass(frozen=True)
class Launch:
    """One kernel launch as the driver saw it; ``refused`` when it did not schedule it."""

    name: str
    grid: int
    block: int
    shared_bytes: int
    cluster_size: int
    device_id: int
    refused: bool = False


@dataclasses.dataclass
class EmulatedGPU:
    """What the runtime stand-in reports about its devices, and how it schedules clusters.

    The defaults are an H100 (compute capability 9.0, 132 SMs, 227 KiB of shared memory per
    block with opt-in). ``largest_cluster`` is the largest cluster the device schedules; larger
    cluster launches fail as on a GPU with fewer free SMs per GPC. ``launches`` records every
    launch, refused ones included.
    """

    major: int = 9
    multiprocessors: int = 132
    shared_memory_per_block: int = 232448
    largest_cluster: int = 16
    device_count: int = 1
    launches: list = dataclasses.field(default_factory=list)

    def properties(self, device_id):
        """``cupy.cuda.runtime.getDeviceProperties``."""
        if not 0 <= device_id < self.device_count:
            raise CUDARuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {device_id}")
        return {
            "name": b"Emulated GPU",
            "major": self.major,
            "minor": 0,
            "multiProcessorCount": self.multiprocessors,
            "sharedMemPerBlockOptin": self.shared_memory_per_block,
        }


def memoize(for_each_device=False):
    """``cupy.memoize``: one result per arguments (and per device)."""

    def decorate(function):
        results = {}

        def memoized(*args):
            key = (_Device.current if for_each_device else None, *args)
            if key not in results:
                results[key] = function(*args)
            return results[key]

        return memoized

    return decorate


class RawModule:
    """``cupy.RawModule`` of CUDA source with ``name_expressions``: compiled on first use, as
    C++ with the shim of tests/cuda_shim, for exactly these template instantiations."""

    def __init__(self, code, options=(), name_expressions=()):
        self.code = code
        self.options = tuple(options)
        self.name_expressions = tuple(name_expressions)
        self.device_id = _Device.current
        self._kernels = None

    def get_function(self, name):
        if name not in self.name_expressions:
            raise CUDADriverError("CUDA_ERROR_NOT_FOUND: named symbol not found")
        if self._kernels is None:
            self._kernels = compile_kernels(self.code, self.name_expressions)
        return RawKernel(self, name)


class RawKernel:
    """``cupy.RawKernel`` from ``RawModule.get_function``: launches check what the driver
    checks, then run the kernel in the emulation."""

    _handles = itertools.count(1)
    _by_handle = {}

    def __init__(self, module, name):
        self.module = module
        self.name = name
        self.kernel = types.SimpleNamespace(ptr=next(RawKernel._handles))
        RawKernel._by_handle[self.kernel.ptr] = self
        self._max_dynamic_shared_size_bytes = 0
        self.non_portable_cluster_size_allowed = False
        match = re.search(r"__launch_bounds__\((\d+)\)", module.code)
        self.max_threads = int(match.group(1)) if match else 1024
        match = re.fullmatch(r"\w+_cluster<[^,]+, \w+, (\d+), \d+>", name)
        self.cluster_size = int(match.group(1)) if match else 1

    @property
    def max_dynamic_shared_size_bytes(self):
        return self._max_dynamic_shared_size_bytes

    @max_dynamic_shared_size_bytes.setter
    def max_dynamic_shared_size_bytes(self, value):
        if not 0 <= value <= _Device.gpu.shared_memory_per_block:
            raise CUDADriverError("CUDA_ERROR_INVALID_VALUE: invalid argument")
        self._max_dynamic_shared_size_bytes = value

    def __call__(self, grid, block, args, *, shared_mem=0):
        gpu = _Device.gpu
        grid, block = _launch_size(grid), _launch_size(block)
        launch = Launch(self.name, grid, block, shared_mem, self.cluster_size, _Device.current)
        if self.module.device_id != _Device.current:
            raise CUDADriverError("CUDA_ERROR_INVALID_HANDLE: invalid resource handle")
        if block > self.max_threads or shared_mem > max(
            _DEFAULT_SHARED_BYTES, self._max_dynamic_shared_size_bytes
        ):
            raise CUDADriverError("CUDA_ERROR_INVALID_VALUE: invalid argument")
        if grid % self.cluster_size or (
            self.cluster_size > _PORTABLE_CLUSTER_SIZE
            and not self.non_portable_cluster_size_allowed
        ):
            raise CUDADriverError("CUDA_ERROR_INVALID_CLUSTER_SIZE: invalid cluster size")
        if self.cluster_size > gpu.largest_cluster:
            gpu.launches.append(dataclasses.replace(launch, refused=True))
            raise CUDADriverError("CUDA_ERROR_INVALID_CLUSTER_SIZE: invalid cluster size")
        arrays = self._check_arguments(tuple(args))
        gpu.launches.append(launch)
        status = self.module._kernels.launch(
            self.name, grid, block, shared_mem, self.cluster_size, arrays
        )
        if status == SHARED_MEMORY_VIOLATION:
            raise CUDARuntimeError(
                f"cudaErrorIllegalAddress: {self.name} used shared memory out of its bounds"
            )
        assert status == 0, (self.name, status)

    def _check_arguments(self, args):
        """The arguments as the kernel's parameters take them (NumPy data, np.int32); what a
        real launch would misread is a TypeError."""
        signature = self.module._kernels.signature(self.name)
        if len(args) != len(signature):
            raise TypeError(f"{self.name} takes {len(signature)} arguments, got {len(args)}")
        converted = []
        for position, (arg, code) in enumerate(zip(args, signature)):
            expected = PARAMETER_TYPES[code]
            if code == "i":
                ok, wanted = isinstance(arg, np.int32), "an np.int32"
            else:
                wanted = f"a C-contiguous {expected} device array on the current device"
                ok = (
                    isinstance(arg, ndarray)
                    and arg.dtype == expected
                    and arg.flags.c_contiguous
                    and arg._device_id == _Device.current
                )
            if not ok:
                raise TypeError(f"{self.name} argument {position} must be {wanted}, got {arg!r}")
            converted.append(arg._data if code != "i" else arg)
        return converted


def _launch_size(dims):
    """The blocks (threads) of a 1-D launch given as a tuple, as CuPy takes it."""
    if not isinstance(dims, tuple) or not 1 <= len(dims) <= 3:
        raise TypeError(f"grid and block are tuples of one to three ints, got {dims!r}")
    if any(int(size) != 1 for size in dims[1:]) or int(dims[0]) < 1:
        raise NotImplementedError(f"the emulation runs 1-D launches, got {dims!r}")
    return int(dims[0])


def _function_set_attribute(handle, attribute, value):
    """``cupy.cuda.driver.funcSetAttribute``, for the one attribute pygru sets."""
    if attribute != _NON_PORTABLE_CLUSTER_SIZE_ALLOWED or handle not in RawKernel._by_handle:
        raise CUDADriverError("CUDA_ERROR_INVALID_VALUE: invalid argument")
    RawKernel._by_handle[handle].non_portable_cluster_size_allowed = bool(value)


def _uninitialized(shape, dtype=float):
    """``cupy.empty``: NaN where floating point, so a position no kernel wrote shows."""
    return ndarray(np.full(shape, np.nan if np.dtype(dtype).kind == "f" else 0, dtype))


def install_runtime(monkeypatch, gpu=None):
    """Make ``import cupy`` give the runtime stand-in of ``gpu`` (an ``EmulatedGPU``, by default
    an H100); pygru's GPU backend runs unchanged on it. Returns the ``cupy`` module."""
    from pygru._cuda import _backend, _kernels

    gpu = EmulatedGPU() if gpu is None else gpu
    cupy = _make_modules()
    cupy.RawModule = RawModule
    cupy.memoize = memoize
    cupy.empty = _uninitialized
    cupy.empty_like = lambda array: _uninitialized(array.shape, array.dtype)
    cupy.cuda.runtime = types.SimpleNamespace(
        getDeviceCount=lambda: gpu.device_count,
        getDeviceProperties=gpu.properties,
        CUDARuntimeError=CUDARuntimeError,
    )
    cupy.cuda.driver = types.SimpleNamespace(
        CUDADriverError=CUDADriverError, funcSetAttribute=_function_set_attribute
    )
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(_Device, "gpu", gpu)
    monkeypatch.setattr(_Device, "current", 0)
    # Compiled modules and device limits are cached per process; start and end with none.
    monkeypatch.setattr(_kernels, "_memoized", _fresh_cache(_kernels._memoized))
    monkeypatch.setattr(_backend, "_limits", {})
    TRANSFERS.clear()
    return cupy


def _fresh_cache(cached_function):
    return functools.cache(cached_function.__wrapped__)
