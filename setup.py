"""Build the Cython CPU kernels.

Compiler flags are set explicitly because the defaults Python passes along hurt the kernels:
``-fwrapv`` (in Python's own CFLAGS) stops GCC from vectorizing the gate loops, and the
vectorized ``expf``/``tanhf`` calls need OpenMP SIMD pragmas and glibc's libmvec.

Environment variables:
    PYGRU_DEBUG=1      bounds checking on, no optimisation (for debugging the kernels)
    PYGRU_MARCH=...    target passed to ``-march=`` (default: x86-64-v4 where the build
                       machine has AVX-512, x86-64-v3 where it has AVX2 and FMA, else the
                       compiler's default target; set e.g. x86-64-v2 for a portable build)
"""
import os
import platform
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("PYGRU_DEBUG", "") not in ("", "0")


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _march_flags():
    """The x86-64 micro-architecture level of the build machine, as the kernels' target.

    The gate loops run glibc's vector exp/tanh; with AVX-512 (x86-64-v4) they take 16 floats
    per call instead of 8, which made inference 15-25 % faster at H <= 64 here.
    """
    march = os.environ.get("PYGRU_MARCH")
    if march:
        return [f"-march={march}"]
    if platform.machine() not in ("x86_64", "AMD64"):
        return []
    flags = _cpu_flags()
    if {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", "avx2", "fma"} <= flags:
        return ["-march=x86-64-v4"]
    if {"avx2", "fma", "bmi2"} <= flags:
        return ["-march=x86-64-v3"]
    return []


def _compile_args():
    if sys.platform == "win32":
        return ["/O2", "/openmp"]
    optimisation = ["-O0", "-g"] if DEBUG else ["-O3"]
    return optimisation + _march_flags() + ["-fno-wrapv", "-fopenmp", "-fno-math-errno"]


def _link_args():
    if sys.platform == "win32":
        return []
    args = ["-fopenmp"]
    if sys.platform.startswith("linux") and platform.machine() == "x86_64":
        args.append("-lmvec")  # glibc's vector expf/tanhf behind `omp declare simd`
    return args + ["-lm"]


extensions = [
    Extension(
        "pygru._cpu._gru",
        sources=["pygru/_cpu/_gru.pyx"],
        include_dirs=["pygru/_cpu"],
        extra_compile_args=_compile_args(),
        extra_link_args=_link_args(),
    )
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": DEBUG,
            "wraparound": DEBUG,
            "initializedcheck": DEBUG,
            "cdivision": True,
        },
    )
)
