"""A CPU stand-in for CuPy, to test the estimators' GPU code path on machines without a GPU.

``install(monkeypatch)`` puts modules named ``cupy`` and ``cupyx`` into ``sys.modules`` whose
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
"""

import sys
import types
from collections import Counter

import numpy as np
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

    def __init__(self, data):
        self._data = data

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
    device = property(lambda self: _Device())

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
    id = 0


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
        raise AttributeError("use cupyx.scatter_add: ufunc.at is not in every CuPy version")


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


def scatter_add(target, slices, values):
    """``cupyx.scatter_add``: unbuffered ``target[slices] += values``."""
    np.add.at(target._data, _index(slices), _device_operand(values))


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
    cupyx = types.ModuleType("cupyx")
    cupyx.scatter_add = scatter_add
    return cupy, cupyx


ndarray.__module__ = "cupy"  # what pygru._cuda.is_cupy_array looks at, as for CuPy's type


def install(monkeypatch):
    """Make ``import cupy`` give the double and run the GPU backend's layer on the CPU."""
    from pygru._cuda import _backend

    cupy, cupyx = _make_modules()
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupyx", cupyx)
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
    )
    device_cache = GRUCache(
        **{
            name: ndarray(value) if isinstance(value, np.ndarray) and name != "lengths" else value
            for name, value in vars(cache).items()
        }
    )
    return ndarray(out), ndarray(h_n), device_cache


def _backward_on_cpu(d_out, d_h_n, cache):
    from pygru import functional
    from pygru.functional import GRUCache

    _require_device(d_out=d_out, d_h_n=d_h_n)
    host_cache = GRUCache(**{name: _to_host(value) for name, value in vars(cache).items()})
    return tuple(
        ndarray(grad)
        for grad in functional.gru_backward(_to_host(d_out), _to_host(d_h_n), host_cache)
    )
