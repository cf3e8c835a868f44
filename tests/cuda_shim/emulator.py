"""Builds gru.cu as C++ with the CUDA shim of this folder and launches its kernels on the CPU.

``compile_kernels(source, names)`` is what NVRTC is for the real backend: it compiles the
source with every template instantiation in ``names`` (the ``name_expressions`` of a CuPy
``RawModule``) into one shared library, once per process for each source and list of names.
``EmulatedKernels.launch`` runs one of them like ``cuLaunchKernel`` would (see emulator.cpp).
Both skip the calling test where there is no C++20 compiler.
"""

import atexit
import ctypes
import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

SHIM = Path(__file__).parent

# Return codes of pygru_emulate (emulator.cpp).
LAUNCHED, UNKNOWN_KERNEL, BAD_LAUNCH_SHAPE, SHARED_MEMORY_VIOLATION = range(4)

# One letter per kernel parameter (pygru_emulated_kernel_signature): what it must be given.
PARAMETER_TYPES = {
    "f": np.dtype(np.float32),
    "d": np.dtype(np.float64),
    "q": np.dtype(np.int64),
    "i": np.dtype(np.int32),
}


class EmulatedKernels:
    """The kernels of one compiled module, launched through ctypes."""

    def __init__(self, library):
        self._library = library
        library.pygru_emulate.argtypes = [
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_longlong,
            ctypes.c_int,
            ctypes.c_void_p,
        ]
        library.pygru_emulated_kernel_signature.argtypes = [ctypes.c_char_p]
        library.pygru_emulated_kernel_signature.restype = ctypes.c_char_p

    def __len__(self):
        return self._library.pygru_emulated_kernel_count()

    def signature(self, name):
        """The parameter types of kernel ``name`` (letters of PARAMETER_TYPES); None if the
        module does not have it."""
        found = self._library.pygru_emulated_kernel_signature(name.encode())
        return None if found is None else found.decode()

    def launch(self, name, grid, threads, shared_bytes, cluster_size, args):
        """Run kernel ``name``; ``args`` are C-contiguous NumPy arrays (passed as pointers to
        their data) and ``np.int32`` scalars. Returns a code of pygru_emulate."""
        values = []
        for arg in args:
            if isinstance(arg, np.ndarray):
                if not arg.flags.c_contiguous:
                    raise ValueError(f"{name}: a kernel reads arrays as C-contiguous memory")
                values.append(ctypes.c_void_p(arg.ctypes.data))
            elif isinstance(arg, np.int32):
                values.append(ctypes.c_int32(int(arg)))
            else:
                raise TypeError(f"{name}: kernel arguments are arrays or np.int32, got {arg!r}")
        pointers = (ctypes.c_void_p * len(values))(
            *[ctypes.cast(ctypes.pointer(value), ctypes.c_void_p) for value in values]
        )
        return self._library.pygru_emulate(
            name.encode(), grid, threads, shared_bytes, cluster_size, pointers
        )


def compile_kernels(source, names):
    """The kernels ``names`` of CUDA ``source``, compiled as C++ with the shim."""
    return _compile(source, tuple(names))


@functools.cache
def _compile(source, names):
    compiler = _compiler()
    folder = Path(tempfile.mkdtemp(prefix="pygru-cuda-emulation-", dir=_build_root()))
    (folder / "gru.cu").write_text(source, encoding="utf-8")  # not ASCII (see source())
    listing = ['#include "gru.cu"\n'] + [
        f'PYGRU_EMULATED_KERNEL("{name}", {name})\n' for name in names
    ]
    (folder / "kernels.inc").write_text("".join(listing))
    library = folder / "emulator.so"
    command = [
        compiler,
        "-std=c++20",
        "-O1",
        "-fPIC",
        "-shared",
        "-pthread",
        "-Wall",
        "-Werror",
        "-Wno-unknown-pragmas",
        f"-I{SHIM}",
        f"-I{folder}",
        '-DPYGRU_KERNEL_LIST="kernels.inc"',
        str(SHIM / "emulator.cpp"),
        "-o",
        str(library),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    kernels = EmulatedKernels(ctypes.CDLL(str(library)))
    assert len(kernels) == len(set(names))
    return kernels


@functools.cache
def _build_root():
    root = tempfile.mkdtemp(prefix="pygru-cuda-emulation-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@functools.cache
def _compiler_or_reason():
    compiler = shutil.which(os.environ.get("CXX", "g++")) or shutil.which("c++")
    if compiler is None:
        return None, "no C++ compiler for the kernel emulation"
    folder = Path(_build_root())
    probe = folder / "probe.cpp"
    probe.write_text("#include <barrier>\nint main() { std::barrier<> b(1); }\n")
    command = [compiler, "-std=c++20", "-pthread", str(probe), "-o", str(folder / "probe")]
    if subprocess.run(command, capture_output=True).returncode != 0:
        return None, f"{compiler} lacks C++20 std::barrier"
    return compiler, None


def _compiler():
    compiler, reason = _compiler_or_reason()
    if compiler is None:
        pytest.skip(reason)
    return compiler
