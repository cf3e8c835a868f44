/* Every matrix product of the kernels, in an arithmetic order that is ours.
 *
 * Through BLAS, a row of a product is not always computed the same way: OpenBLAS's Haswell
 * kernels round a row differently depending on how many rows the call has, and a threaded
 * BLAS call splits work by its thread count. A sequence's result then depends on what else
 * is in its batch and on the thread settings. Here every element of C is one fixed sequence
 * of multiply-adds: k = 0..K-1 in blocks of PYGRU_KC, each block summed in registers and
 * added to C in block order. How C is tiled (row blocks, column panels, threads) never
 * changes that sequence, so results are bit-identical for any batch composition, thread
 * count and BLAS, on one build path (baseline, AVX2, AVX-512: _cpu/__init__.py picks one).
 *
 * B is packed first into panels of NR columns stored K-major (zero past column N): the
 * recurrent weights once per call for all time steps, the large operands of the weight
 * gradients once per backward pass. A register-blocked micro-kernel computes MR x NR tiles
 * with GCC vector extensions, whose width follows the compile target.
 *
 * Operands are given by pointer and strides, so that transposed operands need no copy:
 * A[i, k] = a[i * a_row_stride + k * a_k_stride], B[k, n] = b[k * b_k_stride + n * b_n_stride],
 * C[i, n] = c[i * c_row_stride + n * c_col_stride].
 *
 * _gemm_impl.h is included once per floating type (`_f`, `_d`), like _gates_impl.h.
 */
#ifndef PYGRU_GEMM_H
#define PYGRU_GEMM_H

#include <string.h>

#if defined(__AVX512F__)
#define PYGRU_VECTOR_BYTES 64
#define PYGRU_MR 12
#elif defined(__AVX2__)
#define PYGRU_VECTOR_BYTES 32
#define PYGRU_MR 6
#else
#define PYGRU_VECTOR_BYTES 16
#define PYGRU_MR 4
#endif

/* The k-block length: part of the arithmetic order, so one constant for every path. */
#define PYGRU_KC 256
/* Rows of C per pass over the panels: keeps that block of A in cache (a multiple of MR). */
#define PYGRU_MC 96

#define PYGRU_CONCAT_(a, b) a##b
#define PYGRU_CONCAT(a, b) PYGRU_CONCAT_(a, b)

#define real float
#define PYGRU_FN(name) PYGRU_CONCAT(name, _f)
#include "_gemm_impl.h"
#undef real
#undef PYGRU_FN

#define real double
#define PYGRU_FN(name) PYGRU_CONCAT(name, _d)
#include "_gemm_impl.h"
#undef real
#undef PYGRU_FN

#endif
