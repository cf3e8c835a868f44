# The kernels of _gru.pxi, compiled by setup.py for the avx2 path (see pygru._cpu).
# Python enters the module through _path_guard.c, which checks the CPU first; Cython's own
# entry point is renamed for it.
cdef extern from *:
    """
    #define PyInit__gru_avx2 pygru_cython_init
    """
include "_gru.pxi"
