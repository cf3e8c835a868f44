/* The per-step GEMM of the recurrence, with W_hh packed once per call.
 *
 * Every time step multiplies the state (rows x K) by the same recurrent weight matrix
 * (K x N). Through BLAS that matrix is re-packed at every step (OpenBLAS spent ~25 % of an
 * H = 128 train step in its copy routines); here it is packed once, before the time loop,
 * into panels of NR columns stored K-major, and a register-blocked micro-kernel computes
 * MR x NR tiles of the product with GCC vector extensions (AVX-512 or AVX2, as compiled).
 *
 * Every row of C is computed by the same sequence of fused multiply-adds over k = 0..K-1,
 * whatever tile, chunk or thread it falls in: results do not depend on the batch split.
 *
 * _packed_impl.h is included once per floating type (`_f`, `_d`), like _gates_impl.h.
 */
#ifndef PYGRU_PACKED_H
#define PYGRU_PACKED_H

#include <string.h>

#if defined(__AVX512F__)
#define PYGRU_VECTOR_BYTES 64
#define PYGRU_MR 8
#else
#define PYGRU_VECTOR_BYTES 32
#define PYGRU_MR 6
#endif

#define PYGRU_CONCAT_(a, b) a##b
#define PYGRU_CONCAT(a, b) PYGRU_CONCAT_(a, b)

#define real float
#define PYGRU_FN(name) PYGRU_CONCAT(name, _f)
#include "_packed_impl.h"
#undef real
#undef PYGRU_FN

#define real double
#define PYGRU_FN(name) PYGRU_CONCAT(name, _d)
#include "_packed_impl.h"
#undef real
#undef PYGRU_FN

#endif
