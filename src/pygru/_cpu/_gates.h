/* Fused per-row GRU gate math, vectorised.
 *
 * The gate loops are the only non-BLAS work of a step, and written as plain Cython loops
 * they do not vectorise (the exp/tanh calls stay scalar): that made the kernel slower than
 * PyTorch. Here each loop carries `#pragma omp simd` and, on x86-64 glibc, expf/exp/tanhf/tanh
 * are declared `omp declare simd`, so GCC calls glibc's libmvec vector variants (<= 4 ulp),
 * where the glibc has them (below).
 *
 * _gates_impl.h is included twice, once per floating type, to define the float (`_f`) and
 * double (`_d`) versions of each function from one source.
 */
#ifndef PYGRU_GATES_H
#define PYGRU_GATES_H

#include <math.h>
#include <string.h>

/* libmvec has exp's vector variants since glibc 2.22 and tanh's since 2.35: a declaration the
 * build machine's glibc cannot back would leave an undefined symbol, and the module would
 * build but fail to import (as on Debian 11, Ubuntu 20.04 or RHEL 8 and 9). Without tanh's,
 * the loops that call it stay scalar (forward and backward ~1.7x slower at H = 64), the same
 * for every row.
 * PYGRU_LIBMVEC_TANH=0 builds as on such a glibc (for testing that build). */
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__GNUC__) && !defined(__clang__)
#ifndef PYGRU_LIBMVEC_TANH
#define PYGRU_LIBMVEC_TANH __GLIBC_PREREQ(2, 35)
#endif
#if __GLIBC_PREREQ(2, 22)
#pragma omp declare simd notinbranch
extern float expf(float);
#pragma omp declare simd notinbranch
extern double exp(double);
#endif
#if PYGRU_LIBMVEC_TANH
#pragma omp declare simd notinbranch
extern float tanhf(float);
#pragma omp declare simd notinbranch
extern double tanh(double);
#endif
#endif

#define PYGRU_CONCAT_(a, b) a##b
#define PYGRU_CONCAT(a, b) PYGRU_CONCAT_(a, b)

#define real float
#define PYGRU_FN(name) PYGRU_CONCAT(name, _f)
#define PYGRU_EXP expf
#define PYGRU_TANH tanhf
#include "_gates_impl.h"
#undef real
#undef PYGRU_FN
#undef PYGRU_EXP
#undef PYGRU_TANH

#define real double
#define PYGRU_FN(name) PYGRU_CONCAT(name, _d)
#define PYGRU_EXP exp
#define PYGRU_TANH tanh
#include "_gates_impl.h"
#undef real
#undef PYGRU_FN
#undef PYGRU_EXP
#undef PYGRU_TANH

#endif
