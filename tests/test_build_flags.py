"""setup.py's compiler and linker flags, computed for other machines than this one.

setup.py runs with stand-ins for setuptools and Cython, which an installed pygru's
environment need not have (they are build requirements only)."""

import os
import platform
import runpy
import sys
import types

import pytest

SETUP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "setup.py")


class _Extension:
    def __init__(self, name, sources, **options):
        self.name, self.sources = name, sources
        self.__dict__.update(options)


def _stand_ins():
    """Modules named as setup.py imports them, doing nothing but record the extensions."""
    setuptools = types.ModuleType("setuptools")
    setuptools.setup = lambda **kwargs: None
    setuptools.Extension = _Extension
    build_ext = types.ModuleType("setuptools.command.build_ext")
    build_ext.build_ext = type("build_ext", (), {})
    errors = types.ModuleType("setuptools.errors")
    errors.CompileError = errors.LinkError = type("BuildError", (Exception,), {})
    cython_build = types.ModuleType("Cython.Build")
    cython_build.cythonize = lambda extensions, **kwargs: extensions
    return {
        "setuptools": setuptools,
        "setuptools.command": types.ModuleType("setuptools.command"),
        "setuptools.command.build_ext": build_ext,
        "setuptools.errors": errors,
        "Cython": types.ModuleType("Cython"),
        "Cython.Build": cython_build,
    }


def flags_of_setup(monkeypatch, libc, machine="x86_64"):
    """setup.py's module namespace as it would be on a machine with ``libc`` (as
    ``platform.libc_ver`` gives it) and ``machine``, without building anything."""
    monkeypatch.setattr(platform, "libc_ver", lambda *args, **kwargs: libc)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    for name, module in _stand_ins().items():
        monkeypatch.setitem(sys.modules, name, module)
    return runpy.run_path(SETUP)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux link flags")
@pytest.mark.parametrize(
    "libc, machine, links_libmvec",
    [
        (("glibc", "2.36"), "x86_64", True),
        (("", ""), "x86_64", False),  # musl, as on Alpine: no libmvec to link
        (("glibc", "2.36"), "aarch64", False),  # libmvec's variants are used on x86-64 only
    ],
)
def test_libmvec_is_linked_only_with_glibc_on_x86_64(monkeypatch, libc, machine, links_libmvec):
    setup = flags_of_setup(monkeypatch, libc, machine)
    assert len(setup["extensions"]) == (3 if machine == "x86_64" else 1)
    for extension in setup["extensions"]:
        assert ("-lmvec" in extension.extra_link_args) == links_libmvec
        assert "-lm" in extension.extra_link_args
