# The kernels of _gru.pxi, compiled by setup.py for the baseline path (see pygru._cpu).
include "_gru.pxi"
