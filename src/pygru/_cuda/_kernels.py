"""Compiles ``gru.cu`` with CuPy and hands out its kernels.

The source ships as package data and is read with ``importlib.resources``. One ``RawModule``
per device and dtype holds every template instantiation the backend may launch (the
``name_expressions`` of ``_launch.kernel_names``); it is compiled on first use and memoized
with ``cupy.memoize(for_each_device=True)``. CuPy is imported only when a kernel is needed.
"""

import functools
import importlib.resources

from pygru._cuda import _launch

SOURCE = "gru.cu"
COMPILE_OPTIONS = ("--std=c++17",)
_NON_PORTABLE_CLUSTER_SIZE_ALLOWED = 14  # CUfunction_attribute (cuda.h)
_DEFAULT_SHARED_BYTES = 48 * 1024  # dynamic shared memory allowed without opt-in


def source():
    """The CUDA source of the kernels, UTF-8 whatever the locale (its comments are not
    ASCII: an ASCII locale without Python's UTF-8 mode could not read it)."""
    return importlib.resources.files("pygru._cuda").joinpath(SOURCE).read_text(encoding="utf-8")


def get_kernel(name, type_name, max_cluster_size, shared_limit, cluster_size):
    """The ``RawKernel`` for template expression ``name`` on the current device, opted in to
    ``shared_limit`` bytes of dynamic shared memory (the device maximum) and, for clusters
    larger than 8 blocks, to non-portable cluster sizes."""
    return _memoized()[1](name, type_name, max_cluster_size, shared_limit, cluster_size)


@functools.cache
def _memoized():
    import cupy

    @cupy.memoize(for_each_device=True)
    def module(type_name, max_cluster_size):
        return cupy.RawModule(
            code=source(),
            options=COMPILE_OPTIONS,
            name_expressions=_launch.kernel_names(type_name, max_cluster_size),
        )

    @cupy.memoize(for_each_device=True)
    def kernel(name, type_name, max_cluster_size, shared_limit, cluster_size):
        raw = module(type_name, max_cluster_size).get_function(name)
        if shared_limit > _DEFAULT_SHARED_BYTES:
            raw.max_dynamic_shared_size_bytes = shared_limit
        if cluster_size > _launch.PORTABLE_CLUSTER_SIZE:
            cupy.cuda.driver.funcSetAttribute(
                raw.kernel.ptr, _NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1
            )
        return raw

    return module, kernel
