"""One build for every CPU: the kernel path chosen at import, forcing one, and the AVX2 path
on an emulated AVX2-only CPU (qemu) giving the same bits as here."""

import os
import platform
import shutil
import subprocess
import sys

import numpy as np
import pytest

import pygru
from pygru import _cpu

X86_64 = platform.machine().lower() in ("x86_64", "amd64")

# A forward and backward pass whose every output is saved, to compare runs bit for bit.
_FORWARD_BACKWARD = """
import sys
import numpy as np
from pygru import _cpu
from pygru.functional import gru_backward, gru_forward

results = {"path": np.array(_cpu.path)}
rng = np.random.default_rng(0)
for dtype in (np.float32, np.float64):
    for reset_after in (True, False):
        x = rng.standard_normal((6, 9, 5)).astype(dtype)
        weights = [(0.5 * rng.standard_normal(shape)).astype(dtype)
                   for shape in [(3 * 20, 5), (3 * 20, 20), (3 * 20,), (3 * 20,)]]
        out, h_n, cache = gru_forward(x, *weights, lengths=[9, 3, 5, 1, 8, 9],
                                      reset_after=reset_after)
        grads = gru_backward(np.ones_like(out), h_n, cache)
        for name, value in zip(["out", "h_n", "dx", "dh0", "dw_ih", "dw_hh", "db_ih", "db_hh"],
                               (out, h_n) + grads):
            results[f"{np.dtype(dtype).name}-{reset_after}-{name}"] = value
np.savez(sys.argv[1], **results)
"""


def run_python(arguments, environment=None, cwd=None, prefix=()):
    """Run this Python (optionally under an emulator ``prefix``) outside the source tree, in
    this environment changed by ``environment`` (a value of None unsets the variable)."""
    env = {**os.environ, **(environment or {})}
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run(
        [*prefix, sys.executable, *arguments],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def qemu():
    """The path of qemu-x86_64, which runs this Python on an emulated older x86-64 CPU."""
    if not X86_64:
        pytest.skip("the older CPUs are emulated for x86-64 only")
    path = shutil.which("qemu-x86_64")
    if path is None:
        pytest.skip("qemu-x86_64 (Debian package qemu-user) is not installed")
    return path


def run_emulated(qemu, cpu, tmp_path, script, arguments):
    """The output of ``script`` (Python source) run on the emulated ``cpu``, the kernel path
    left to pygru._cpu's choice there, and OpenBLAS's too: the OPENBLAS_CORETYPE=Haswell that
    some machines set would be illegal instructions on the emulated Nehalem."""
    path = tmp_path / "emulated.py"
    path.write_text(script)
    result = run_python(
        [str(path), *arguments],
        {_cpu.ENVIRONMENT_VARIABLE: "", "OPENBLAS_CORETYPE": None},
        tmp_path,
        prefix=(qemu, "-cpu", cpu),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def forward_backward(tmp_path, name, environment=None, prefix=()):
    script = tmp_path / "forward_backward.py"
    script.write_text(_FORWARD_BACKWARD)
    target = tmp_path / f"{name}.npz"
    result = run_python([str(script), str(target)], environment, tmp_path, prefix)
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(target) as saved:
        return {key: saved[key] for key in saved.files}


def test_the_widest_runnable_path_is_used_unless_one_is_forced():
    runnable = _cpu.runnable_paths()
    assert runnable[0] == "baseline"
    assert list(runnable) == [path for path in _cpu.PATHS if path in runnable]
    expected = os.environ.get(_cpu.ENVIRONMENT_VARIABLE) or runnable[-1]
    assert _cpu.path == expected
    assert _cpu.kernels is _cpu.kernel_module(expected)


@pytest.mark.parametrize("path", _cpu.runnable_paths())
def test_a_forced_path_is_used(tmp_path, path):
    results = forward_backward(tmp_path, path, {_cpu.ENVIRONMENT_VARIABLE: path})
    assert str(results["path"]) == path


@pytest.mark.parametrize(
    "value, error",
    [
        ("sse9", "PYGRU_CPU_KERNELS must be one of baseline, avx2, avx512"),
        ("AVX2", "PYGRU_CPU_KERNELS must be one of baseline, avx2, avx512"),
    ],
)
def test_a_misspelled_path_is_refused_clearly(tmp_path, value, error):
    result = run_python(
        ["-c", "import pygru.functional"], {_cpu.ENVIRONMENT_VARIABLE: value}, tmp_path
    )
    assert result.returncode != 0
    assert error in result.stderr and repr(value) in result.stderr
    # and, as the README says, which of them run here
    assert f"this CPU and build run {', '.join(_cpu.runnable_paths())}" in result.stderr


def test_a_source_tree_without_its_compiled_kernels_says_how_to_install(tmp_path):
    # The package's Python files alone (a git archive of src/ put on sys.path).
    unbuilt = tmp_path / "unbuilt"
    shutil.copytree(
        os.path.dirname(pygru.__file__),
        unbuilt / "pygru",
        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"),
    )
    result = run_python(
        ["-c", "from pygru import GRUClassifier"], {"PYTHONPATH": str(unbuilt)}, tmp_path
    )
    assert result.returncode != 0
    assert "ImportError: pygru's compiled kernels are missing" in result.stderr
    assert "pip install ." in result.stderr


def test_a_path_the_cpu_cannot_run_is_refused_clearly():
    unavailable = [path for path in _cpu.PATHS if path not in _cpu.runnable_paths()]
    if not unavailable:
        pytest.skip("this CPU runs every kernel path")
    with pytest.raises(RuntimeError, match=f"the {unavailable[-1]} kernels cannot run here"):
        _cpu.kernel_module(unavailable[-1])


def test_show_config_names_the_kernel_path(capsys):
    pygru.show_config()
    printed = capsys.readouterr().out
    assert (
        f"CPU kernels: {_cpu.path} (runnable here: {', '.join(_cpu.runnable_paths())}" in printed
    )
    assert "OpenMP threads:" in printed


def test_show_config_lists_scipys_blas_after_a_bare_import():
    # threadpool_info lists loaded libraries only: after `import pygru` alone, the line
    # "BLAS for NumPy/SciPy" named NumPy's and left out SciPy's (audit40j).
    def printed(imports):
        code = f"import {imports}; pygru.show_config()"
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        lines = [line for line in run.stdout.splitlines() if line.startswith("BLAS")]
        assert lines
        return lines

    assert sorted(printed("pygru")) == sorted(printed("pygru, scipy.linalg"))


def test_an_avx2_only_cpu_runs_the_avx2_path_with_the_same_bits(tmp_path, qemu):
    if "avx2" not in _cpu.runnable_paths():
        pytest.skip("this CPU does not run the AVX2 path natively, to compare with")
    native = forward_backward(tmp_path, "native", {_cpu.ENVIRONMENT_VARIABLE: "avx2"})
    # Haswell-v4: AVX2 and FMA, no AVX-512. The environment must not force a path there.
    environment = {_cpu.ENVIRONMENT_VARIABLE: ""}
    emulated = forward_backward(
        tmp_path, "emulated", environment, prefix=(qemu, "-cpu", "Haswell-v4")
    )
    assert str(emulated["path"]) == "avx2"
    assert emulated.keys() == native.keys()
    for key in native:
        np.testing.assert_array_equal(emulated[key], native[key], err_msg=key)


# Imports every module that test_docstrings' sweep imports (its MODULE_NAMES). A module whose
# optional package is missing (torch, onnx, CuPy, ipywidgets: the wheel check installs none
# of them) raises ModuleNotFoundError and is passed over: those hold no compiled kernels. A
# kernel path the CPU lacks raises a plain ImportError, which fails the run.
_IMPORT_THE_SWEEP = """
import importlib
import sys

sys.path.insert(0, sys.argv[1])
from test_docstrings import MODULE_NAMES

for name in MODULE_NAMES:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name.split(".")[0] == "pygru":
            raise
        print(f"{name}: needs {error.name}", file=sys.stderr)
print(" ".join(MODULE_NAMES))
"""


def test_the_doctest_sweep_imports_only_what_an_avx2_only_cpu_runs(tmp_path, qemu):
    """On a CPU without AVX-512 the avx512 kernels cannot be imported: the sweep that imports
    every module must leave them out. (Before their entry point checked the CPU, importing
    them was an illegal instruction, and the sweep killed the whole test run on such a
    machine while passing on every AVX-512 one.)"""
    tests = os.path.dirname(os.path.abspath(__file__))
    imported = run_emulated(qemu, "Haswell-v4", tmp_path, _IMPORT_THE_SWEEP, [tests]).split()
    assert "pygru._cpu._gru_avx2" in imported
    assert "pygru._cpu._gru_avx512" not in imported


# Imports kernel modules directly, past pygru._cpu's check of the CPU; prints what each did.
_IMPORT_PATHS = """
import importlib
import sys

for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as error:
        print(f"{name}: ImportError: {error}")
    else:
        print(f"{name}: imported")
"""


@pytest.mark.parametrize(
    "cpu, runs, lacks",
    [
        ("Haswell-v4", "avx2", "avx512"),  # AVX2 and FMA, no AVX-512
        ("Nehalem", "baseline", "avx2"),  # SSE4.2, no AVX
    ],
)
def test_importing_a_path_the_cpu_lacks_is_an_import_error(tmp_path, qemu, cpu, runs, lacks):
    """A wider path's module is compiled for its instruction set, its setup code included;
    its entry point (_path_guard.c, compiled for plain x86-64) checks the CPU first, so a
    direct import where the path cannot run raises ImportError instead of killing the
    process with an illegal instruction."""
    lacking, running = (f"pygru._cpu._gru_{path}" for path in (lacks, runs))
    printed = run_emulated(qemu, cpu, tmp_path, _IMPORT_PATHS, [lacking, running])
    assert printed.splitlines() == [
        f"{lacking}: ImportError: {lacking} is compiled for instructions this CPU lacks; "
        "import pygru._cpu, which picks the widest kernel path this CPU runs",
        f"{running}: imported",
    ]


# Two gate loops of _gates.h, one with exp alone, one with exp and tanh, built alone into a
# shared library.
_GATE_LOOP = """
#include "_gates.h"

void gate_loops(int H, float *gates, const float *projection, const float *b_hn, float *hidden,
                float *hn, float *out)
{
    gates_forward_before_rz_f(H, gates, projection, hidden, out);
    gates_forward_after_f(H, gates, projection, b_hn, hidden, hn, out);
}
"""


def _glibc_at_least(major, minor):
    name, version = platform.libc_ver()
    return name == "glibc" and tuple(map(int, version.split(".")[:2])) >= (major, minor)


@pytest.mark.skipif(
    not (X86_64 and _glibc_at_least(2, 22)), reason="libmvec is glibc's, on x86-64"
)
@pytest.mark.parametrize("as_on_older_glibc", [False, True])
def test_the_gate_loops_call_only_the_vector_math_this_glibc_has(tmp_path, as_on_older_glibc):
    """_gates.h declares libmvec's vector variants only where the build machine's glibc has
    them (exp's since 2.22, tanh's since 2.35): a variant it lacks would leave an undefined
    symbol, and the kernels would build but fail to import. PYGRU_LIBMVEC_TANH=0 builds as
    on a glibc older than 2.35."""
    compiler, nm = shutil.which("gcc"), shutil.which("nm")
    if compiler is None or nm is None:
        pytest.skip("needs gcc and nm")
    source, library = tmp_path / "gate_loop.c", tmp_path / "gate_loop.so"
    source.write_text(_GATE_LOOP)
    headers = os.path.dirname(os.path.abspath(_cpu.__file__))
    older = ["-DPYGRU_LIBMVEC_TANH=0"] if as_on_older_glibc else []
    subprocess.run(
        [compiler, "-O3", "-march=x86-64", "-mavx2", "-mfma", "-fopenmp-simd", "-fno-math-errno"]
        + ["-fPIC", "-shared", *older, "-I", headers, str(source), "-o", str(library)]
        + ["-lmvec", "-lm"],
        check=True,
    )
    undefined = subprocess.run(
        [nm, "-D", "--undefined-only", str(library)], capture_output=True, text=True, check=True
    ).stdout
    vector_math = {
        line.split()[-1].split("@")[0] for line in undefined.splitlines() if "_ZGV" in line
    }
    assert "_ZGVdN8v_expf" in vector_math
    assert ("_ZGVdN8v_tanhf" in vector_math) == (_glibc_at_least(2, 35) and not as_on_older_glibc)
