/* The entry point of a wider kernel path's module (_gru_avx2, _gru_avx512): it checks that
 * this CPU runs the path's instruction set before any of the module's own code runs.
 *
 * Everything Cython generates for the module, its setup code included, is compiled for the
 * path's instruction set, so importing it on a CPU without those instructions would die
 * with an illegal instruction, as any tool that imports every module it finds (a doctest
 * sweep) does. The module's .pyx renames Cython's PyInit function to pygru_cython_init;
 * this file, built into the same extension by setup.py with PYGRU_PATH_NAME and
 * PYGRU_PATH_LEVEL defined, provides the PyInit Python calls, compiled for plain x86-64
 * (PYGRU_BASELINE_CODE), and raises ImportError on a CPU that lacks the path.
 */
#include <Python.h>

#include "_cpu_features.h"

#define PYGRU_PASTE(a, b) a##b
#define PYGRU_MODULE_INIT(name) PYGRU_PASTE(PyInit__gru_, name)
#define PYGRU_STRING(a) #a
#define PYGRU_NAME(name) PYGRU_STRING(name)

PyMODINIT_FUNC pygru_cython_init(void);

static PYGRU_BASELINE_CODE int cpu_runs_this_path(void)
{
    return PYGRU_PATH_LEVEL >= 2 ? cpu_supports_avx512() : cpu_supports_avx2_fma();
}

PyMODINIT_FUNC PYGRU_BASELINE_CODE PYGRU_MODULE_INIT(PYGRU_PATH_NAME)(void)
{
    if (!cpu_runs_this_path()) {
        PyErr_SetString(PyExc_ImportError,
                        "pygru._cpu._gru_" PYGRU_NAME(PYGRU_PATH_NAME)
                        " is compiled for instructions this CPU lacks; import pygru._cpu, "
                        "which picks the widest kernel path this CPU runs");
        return NULL;
    }
    return pygru_cython_init();
}
