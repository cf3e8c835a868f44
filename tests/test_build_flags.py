"""setup.py's compiler and linker flags, computed for other machines than this one."""

import os
import platform
import runpy
import sys

import Cython.Build
import pytest
import setuptools

SETUP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "setup.py")


def flags_of_setup(monkeypatch, libc, machine="x86_64"):
    """setup.py's module namespace as it would be on a machine with ``libc`` (as
    ``platform.libc_ver`` gives it) and ``machine``, without building anything."""
    monkeypatch.setattr(platform, "libc_ver", lambda *args, **kwargs: libc)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    monkeypatch.setattr(setuptools, "setup", lambda **kwargs: None)
    monkeypatch.setattr(Cython.Build, "cythonize", lambda extensions, **kwargs: extensions)
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
    for extension in setup["extensions"]:
        assert ("-lmvec" in extension.extra_link_args) == links_libmvec
        assert "-lm" in extension.extra_link_args
