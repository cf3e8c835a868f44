"""Build the Cython CPU kernels, once per instruction set (see pygru._cpu).

Compiler flags are set explicitly because the defaults Python passes along hurt the kernels:
``-fwrapv`` (in Python's own CFLAGS) stops GCC from vectorizing the gate loops, and the
vectorized ``expf``/``tanhf`` calls need OpenMP SIMD pragmas and glibc's libmvec. Each path
names its instruction-set extensions over plain ``-march=x86-64``, so nothing depends on the
CPU of the build machine: a wheel built anywhere runs on every x86-64 CPU, which picks the
widest path it supports at import time.

Environment variables:
    PYGRU_DEBUG=1      bounds checking on, no optimisation (for debugging the kernels)
"""

import os
import platform
import sys
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CompileError, LinkError

DEBUG = os.environ.get("PYGRU_DEBUG", "") not in ("", "0")
X86_64 = platform.machine().lower() in ("x86_64", "amd64")
GLIBC = platform.libc_ver()[0] == "glibc"  # musl (Alpine) has no libmvec

# The x86-64 psABI levels as the instruction-set extensions each adds, spelled as -m flags:
# the level names (-march=x86-64-v3, -march=x86-64-v4) need GCC 11 or Clang 12, and older
# compilers, still the default on some systems, would fail the build. With GCC 12 the
# objects are byte-identical to those of the level names.
_X86_64_V2 = ["-mcx16", "-msahf", "-mpopcnt", "-msse3", "-msse4.1", "-msse4.2", "-mssse3"]
_X86_64_V3 = _X86_64_V2 + ["-mavx", "-mavx2", "-mbmi", "-mbmi2", "-mf16c", "-mfma", "-mlzcnt"]
_X86_64_V3 += ["-mmovbe", "-mxsave"]
_X86_64_V4 = _X86_64_V3 + ["-mavx512f", "-mavx512bw", "-mavx512cd", "-mavx512dq", "-mavx512vl"]

# Kernel path -> the extensions it is compiled for beyond plain x86-64 (v3 = AVX2 + FMA,
# v4 = AVX-512), None off x86-64. With AVX-512 the gate loops take 16 floats per vector
# math call instead of 8, which made inference 15-25 % faster at H <= 64.
PATHS = (
    {"baseline": [], "avx2": _X86_64_V3, "avx512": _X86_64_V4} if X86_64 else {"baseline": None}
)


def _compile_args(extensions):
    if sys.platform == "win32":
        return ["/O2", "/openmp"]
    # -g0 after the -g of Python's own CFLAGS: debug info doubled the wheel (3.2 MB per
    # path against 0.65 MB), and it never changes the code GCC or Clang emits.
    optimisation = ["-O0", "-g"] if DEBUG else ["-O3", "-g0"]
    target = [] if extensions is None else ["-march=x86-64", "-mtune=generic", *extensions]
    # No peeling of the gate loops for alignment: where a row starts would then decide which
    # of its elements take the scalar exp/tanh, and results would depend on the batch.
    return (
        optimisation
        + target
        + ["-fno-wrapv", "-fopenmp", "-fno-math-errno", "--param=vect-max-peeling-for-alignment=0"]
    )


def _link_args():
    if sys.platform == "win32":
        return []
    args = ["-fopenmp"]
    if sys.platform.startswith("linux") and X86_64 and GLIBC:
        # glibc's vector expf/tanhf behind `omp declare simd`; _gates.h declares them only
        # under glibc, so elsewhere the loops call scalar math and need no libmvec.
        args.append("-lmvec")
    return args + ["-lm"]


def _path_guard(level, name):
    """For the wider paths, the entry point that checks the CPU before the module runs (see
    _path_guard.c), and the macros it needs."""
    if level == 0:
        return [], []
    macros = [("PYGRU_PATH_NAME", name), ("PYGRU_PATH_LEVEL", str(level))]
    if sys.platform != "win32":
        macros.append(("PYGRU_BASELINE_CODE", '__attribute__((target("arch=x86-64")))'))
    return ["src/pygru/_cpu/_path_guard.c"], macros


def _extension(level, name, extensions):
    guard_sources, guard_macros = _path_guard(level, name)
    return Extension(
        f"pygru._cpu._gru_{name}",
        sources=[f"src/pygru/_cpu/_gru_{name}.pyx", *guard_sources],
        include_dirs=["src/pygru/_cpu"],
        depends=[
            f"src/pygru/_cpu/{header}"
            for header in (
                "_gru.pxi",
                "_gates.h",
                "_gates_impl.h",
                "_gemm.h",
                "_gemm_impl.h",
                "_cpu_features.h",
            )
        ],
        define_macros=guard_macros,
        extra_compile_args=_compile_args(extensions),
        extra_link_args=_link_args(),
    )


# Flags that not every compiler takes: Apple's clang has no OpenMP, and only GCC knows
# --param. Each is kept only if the compiler builds and links a small program with it.
_OPTIONAL_FLAGS = ("-fopenmp", "--param=vect-max-peeling-for-alignment=0")
_PROBE = "#ifdef _OPENMP\n#include <omp.h>\n#endif\nint main(void) { return 0; }\n"


class BuildExtWithWhatTheCompilerTakes(build_ext):
    """build_ext that drops the optional flags the compiler refuses. Without OpenMP the
    kernels run on one thread (``-fopenmp-simd`` still vectorises the gate loops)."""

    def build_extensions(self):
        refused = {flag for flag in _OPTIONAL_FLAGS if not self._builds_with(flag)}
        replacement = []
        if "-fopenmp" in refused:
            self.warn("the compiler has no OpenMP: pygru's kernels will use one thread")
            replacement = ["-fopenmp-simd"] if self._builds_with("-fopenmp-simd") else []
        for extension in self.extensions:
            compile_args = [arg for arg in extension.extra_compile_args if arg not in refused]
            extension.extra_compile_args = compile_args + (
                replacement if "-fopenmp" in extension.extra_compile_args else []
            )
            extension.extra_link_args = [
                arg for arg in extension.extra_link_args if arg not in refused
            ]
        super().build_extensions()

    def _builds_with(self, flag):
        with tempfile.TemporaryDirectory() as directory:
            source = os.path.join(directory, "probe.c")
            with open(source, "w") as file:
                file.write(_PROBE)
            try:
                objects = self.compiler.compile(
                    [source], output_dir=directory, extra_postargs=[flag]
                )
                self.compiler.link_executable(
                    objects, "probe", output_dir=directory, extra_postargs=[flag]
                )
            except (CompileError, LinkError):
                return False
        return True


extensions = [_extension(level, *path) for level, path in enumerate(PATHS.items())]

setup(
    cmdclass={"build_ext": BuildExtWithWhatTheCompilerTakes},
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": DEBUG,
            "wraparound": DEBUG,
            "initializedcheck": DEBUG,
            "cdivision": True,
        },
    ),
)
