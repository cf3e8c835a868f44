# GRU layer forward and backward on the CPU, and the max pooling over time of their outputs.
#
# Included by _gru_baseline.pyx, _gru_avx2.pyx and _gru_avx512.pyx, which setup.py compiles
# for those instruction sets; pygru._cpu picks one at import time.
#
# How the time goes: one GEMM projects the inputs of all steps at once; each step is one
# GEMM (two for reset_after=False) plus one fused, vectorised gate loop (_gates.h); the
# weight gradients are a few large GEMMs after the step loop. Every product goes through
# _gemm.h, never BLAS, so that its arithmetic order is ours (see there). The batch is cut
# into one chunk of rows per thread and every thread runs the whole time loop on its chunk:
# per-step GEMMs are too small to split well, rows are not.
#
# Arrays are batch-first and C-contiguous, so a chunk of rows is one contiguous slab of every
# (B, T, ...) array. Caches are stored by time index; with `reverse` step s of sequence b
# reads time lengths[b] - 1 - s. Positions past a sequence's length hold zeros.
#
# Every row's arithmetic is the same however the batch is split, and the sums over rows
# (weight and bias gradients) are done in a fixed order: the results are bit-identical for
# any batch composition and thread count.
#
# The callers (pygru.functional) validate everything; the shape checks below only make sure a
# direct call can never read or write out of bounds.
from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int64_t
from libc.string cimport memcpy, memset

import numpy as np

cdef extern from "_gates.h" nogil:
    void gates_forward_after_f(int, float *, const float *, const float *, float *, float *,
                               float *)
    void gates_forward_after_d(int, double *, const double *, const double *, double *,
                               double *, double *)
    void gates_forward_before_rz_f(int, float *, const float *, const float *, float *)
    void gates_forward_before_rz_d(int, double *, const double *, const double *, double *)
    void gates_forward_before_n_f(int, float *, const float *, float *, float *)
    void gates_forward_before_n_d(int, double *, const double *, double *, double *)
    void gates_backward_after_f(int, const float *, const float *, const float *, float *,
                                float *, float *)
    void gates_backward_after_d(int, const double *, const double *, const double *,
                                double *, double *, double *)
    void gates_backward_before_zn_f(int, const float *, const float *, float *, float *)
    void gates_backward_before_zn_d(int, const double *, const double *, double *, double *)
    void gates_backward_before_r_f(int, const float *, const float *, const float *,
                                   float *, float *)
    void gates_backward_before_r_d(int, const double *, const double *, const double *,
                                   double *, double *)
    void add_column_sums_f(long, int, const float *, float *)
    void add_column_sums_d(long, int, const double *, double *)
    void multiply_f(long, float *, const float *, const float *)
    void multiply_d(long, double *, const double *, const double *)
    void add_product_f(long, float *, const float *, const float *)
    void add_product_d(long, double *, const double *, const double *)


cdef extern from "_gemm.h" nogil:
    enum: PYGRU_KC
    int panel_width_f()
    int panel_width_d()
    long packed_size_f(long, long)
    long packed_size_d(long, long)
    void pack_matrix_f(long, long, const float *, long, long, float *)
    void pack_matrix_d(long, long, const double *, long, long, double *)
    void gemm_packed_f(long, long, long, const float *, long, long, const float *,
                       const float *, float *, long, long, int)
    void gemm_packed_d(long, long, long, const double *, long, long, const double *,
                       const double *, double *, long, long, int)
    void gemm_dot_f(long, long, long, const float *, long, const float *, long, float *, long,
                    long)
    void gemm_dot_d(long, long, long, const double *, long, const double *, long, double *,
                    long, long)


cdef extern from "_cpu_features.h" nogil:
    int cpu_supports_avx2_fma()
    int cpu_supports_avx512()


# A compiler without OpenMP (Apple's clang) builds the kernels too (setup.py): prange then
# runs serially, and the kernels use one thread.
cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define pygru_with_openmp 1
    #define pygru_max_threads() omp_get_max_threads()
    #else
    #define pygru_with_openmp 0
    #define pygru_max_threads() 1
    #endif
    """
    const int pygru_with_openmp
    int pygru_max_threads() nogil


def built_with_openmp():
    """Whether the compiler that built the kernels had OpenMP (else they use one thread)."""
    return bool(pygru_with_openmp)


def max_threads():
    """Threads the kernels use: OpenMP's setting (OMP_NUM_THREADS, threadpoolctl); 1 in a
    build without OpenMP."""
    return pygru_max_threads()


cdef inline void gates_forward_after(int H, floating *gates, const floating *hidden_proj,
                                     const floating *b_hn, floating *hidden, floating *hn_proj,
                                     floating *out) noexcept nogil:
    if floating is float:
        gates_forward_after_f(H, gates, hidden_proj, b_hn, hidden, hn_proj, out)
    else:
        gates_forward_after_d(H, gates, hidden_proj, b_hn, hidden, hn_proj, out)


cdef inline void gates_forward_before_rz(int H, floating *gates, const floating *hidden_proj,
                                         const floating *hidden,
                                         floating *reset_hidden) noexcept nogil:
    if floating is float:
        gates_forward_before_rz_f(H, gates, hidden_proj, hidden, reset_hidden)
    else:
        gates_forward_before_rz_d(H, gates, hidden_proj, hidden, reset_hidden)


cdef inline void gates_forward_before_n(int H, floating *gates, const floating *candidate_proj,
                                        floating *hidden, floating *out) noexcept nogil:
    if floating is float:
        gates_forward_before_n_f(H, gates, candidate_proj, hidden, out)
    else:
        gates_forward_before_n_d(H, gates, candidate_proj, hidden, out)


cdef inline void gates_backward_after(int H, const floating *gates, const floating *hn_proj,
                                      const floating *h_prev, floating *d_hidden,
                                      floating *d_input_proj,
                                      floating *d_hidden_proj) noexcept nogil:
    if floating is float:
        gates_backward_after_f(H, gates, hn_proj, h_prev, d_hidden, d_input_proj, d_hidden_proj)
    else:
        gates_backward_after_d(H, gates, hn_proj, h_prev, d_hidden, d_input_proj, d_hidden_proj)


cdef inline void gates_backward_before_zn(int H, const floating *gates, const floating *h_prev,
                                          floating *d_hidden, floating *d_proj) noexcept nogil:
    if floating is float:
        gates_backward_before_zn_f(H, gates, h_prev, d_hidden, d_proj)
    else:
        gates_backward_before_zn_d(H, gates, h_prev, d_hidden, d_proj)


cdef inline void gates_backward_before_r(int H, const floating *gates, const floating *h_prev,
                                         const floating *d_reset_hidden, floating *d_hidden,
                                         floating *d_proj) noexcept nogil:
    if floating is float:
        gates_backward_before_r_f(H, gates, h_prev, d_reset_hidden, d_hidden, d_proj)
    else:
        gates_backward_before_r_d(H, gates, h_prev, d_reset_hidden, d_hidden, d_proj)


def cpu_level():
    """The widest kernel path this CPU (and its OS) can run: 0 baseline, 1 AVX2 + FMA (and
    the rest of x86-64-v3), 2 AVX-512 (x86-64-v4); always 0 off x86-64."""
    if cpu_supports_avx512():
        return 2
    return 1 if cpu_supports_avx2_fma() else 0


def panel_width(dtype):
    """Columns per packed panel for ``dtype`` on this build path (see ``_gemm.h``)."""
    return panel_width_f() if np.dtype(dtype) == np.float32 else panel_width_d()


cdef inline void pack(long K, long N, const floating *b, long b_k_stride, long b_n_stride,
                      floating *packed) noexcept nogil:
    """B (K x N, given by strides) packed into ``packed`` for ``product``."""
    if floating is float:
        pack_matrix_f(K, N, b, b_k_stride, b_n_stride, packed)
    else:
        pack_matrix_d(K, N, b, b_k_stride, b_n_stride, packed)


cdef inline void product(long M, long N, long K, const floating *a, long a_row_stride,
                         long a_k_stride, const floating *packed, floating *c,
                         long c_row_stride, long c_col_stride, bint accumulate,
                         const floating *packed_bias=NULL) noexcept nogil:
    """C (M x N) = A (M x K) @ B (+ C if accumulate, else + the bias row if ``packed_bias``),
    B and the bias as ``pack`` left them (_gemm.h)."""
    if floating is float:
        gemm_packed_f(M, N, K, a, a_row_stride, a_k_stride, packed, packed_bias, c,
                      c_row_stride, c_col_stride, accumulate)
    else:
        gemm_packed_d(M, N, K, a, a_row_stride, a_k_stride, packed, packed_bias, c,
                      c_row_stride, c_col_stride, accumulate)


cdef inline void dot_product(long M, long N, long K, const floating *a, long lda,
                             const floating *bt, long ldbt, floating *c) noexcept nogil:
    """C (M x N, contiguous) = A (M x K) @ B, B given transposed (N x K): one dot product per
    element, for products with fewer columns than a panel (_gemm.h)."""
    if floating is float:
        gemm_dot_f(M, N, K, a, lda, bt, ldbt, c, N, 1)
    else:
        gemm_dot_d(M, N, K, a, lda, bt, ldbt, c, N, 1)


cdef inline long packed_size(floating dummy, long K, long N) noexcept nogil:
    if floating is float:
        return packed_size_f(K, N)
    else:
        return packed_size_d(K, N)


# Blocks of the GEMM's k (PYGRU_KC rows) whose weight gradients are packed at a time.
cdef enum:
    GRADIENT_BLOCKS = 64


def scratch(workspace, name, shape, dtype):
    """A scratch array for one call: from ``workspace`` (pygru.functional's per-thread pool,
    so that repeated calls do not pay page faults for fresh buffers) or, without one, new."""
    if workspace is None:
        return np.empty(shape, dtype)
    return workspace.array(name, shape, dtype)


def packed_matrix(const floating[:, ::1] matrix, bint transpose, workspace, name):
    """``matrix`` (or its transpose) as the B operand of ``product``, packed once per call
    and shared by the threads; empty when ``matrix`` has no rows."""
    dtype = np.float32 if floating is float else np.float64
    cdef long rows = matrix.shape[0], columns = matrix.shape[1]
    if rows == 0:
        return np.empty(0, dtype)
    cdef long K = columns if transpose else rows
    cdef long N = rows if transpose else columns
    cdef floating[::1] packed = scratch(workspace, name, (packed_size(<floating> 0, K, N),),
                                        dtype)
    pack(K, N, &matrix[0, 0], 1 if transpose else columns, columns if transpose else 1,
         &packed[0])
    return packed


cdef inline void add_column_sums(long rows, int width, const floating *matrix,
                                 floating *sums) noexcept nogil:
    if floating is float:
        add_column_sums_f(rows, width, matrix, sums)
    else:
        add_column_sums_d(rows, width, matrix, sums)


cdef inline void multiply(long size, floating *out, const floating *a,
                          const floating *b) noexcept nogil:
    if floating is float:
        multiply_f(size, out, a, b)
    else:
        multiply_d(size, out, a, b)


cdef inline void add_product(long size, floating *acc, const floating *a,
                             const floating *b) noexcept nogil:
    if floating is float:
        add_product_f(size, acc, a, b)
    else:
        add_product_d(size, acc, a, b)


cdef inline void multiply_rows(long rows, int H, floating *out, const floating *a,
                               long a_stride, const floating *b,
                               long b_stride) noexcept nogil:
    """out = a * b, row by row (rows of H; a's and b's rows ``a_stride``/``b_stride`` apart):
    a vectorised loop treats an element alike in every row, not by its place in a flat
    array, whose length would depend on the batch."""
    cdef long i
    for i in range(rows):
        multiply(H, out + i * H, a + i * a_stride, b + i * b_stride)


cdef inline void add_product_rows(long rows, int H, floating *acc, const floating *a,
                                  const floating *b) noexcept nogil:
    """acc += a * b, row by row (rows of H, as ``multiply_rows``)."""
    cdef long i
    for i in range(rows):
        add_product(H, acc + i * H, a + i * H, b + i * H)


cdef inline Py_ssize_t time_of_step(Py_ssize_t step, Py_ssize_t length,
                                    bint reverse) noexcept nogil:
    return length - 1 - step if reverse else step


cdef inline Py_ssize_t chunk_start(Py_ssize_t chunk, Py_ssize_t n_chunks,
                                   Py_ssize_t batch) noexcept nogil:
    return chunk * batch // n_chunks


def _check_shape(name, array, expected):
    if tuple(array.shape[:len(expected)]) != expected:
        raise ValueError(f"{name} has shape {tuple(array.shape)}, expected {expected}")


def _check_lengths(const int64_t[::1] lengths, Py_ssize_t steps):
    for b in range(lengths.shape[0]):
        if not 1 <= lengths[b] <= steps:
            raise ValueError(f"lengths[{b}] = {lengths[b]} is outside 1..{steps}")


def _check_mask(recurrent_mask, batch, hidden):
    """Whether a recurrent mask is given; (0, 0) stands for none."""
    if recurrent_mask.shape[0] == 0:
        return False
    _check_shape("recurrent_mask", recurrent_mask, (batch, hidden))
    return True


def _check_layer(x, w_ih, w_hh, b_ih, b_hh, lengths):
    batch, steps, inputs = x.shape[0], x.shape[1], x.shape[2]
    hidden = w_hh.shape[1]
    _check_shape("w_ih", w_ih, (3 * hidden, inputs))
    _check_shape("w_hh", w_hh, (3 * hidden, hidden))
    _check_shape("b_ih", b_ih, (3 * hidden,))
    _check_shape("b_hh", b_hh, (3 * hidden,))
    _check_shape("lengths", lengths, (batch,))
    if min(batch, steps, inputs, hidden) < 1:
        raise ValueError(f"every dimension must be >= 1, got x {tuple(x.shape)}, H={hidden}")
    _check_lengths(lengths, steps)
    return batch, steps, inputs, hidden


def forward(const floating[:, :, ::1] x, const floating[:, ::1] w_ih,
            const floating[:, ::1] w_hh, const floating[::1] b_ih, const floating[::1] b_hh,
            floating[:, ::1] hidden, const int64_t[::1] lengths, bint reset_after,
            bint reverse, const floating[:, ::1] recurrent_mask, floating[:, :, ::1] out,
            floating[:, :, ::1] gates, floating[:, :, ::1] hn_proj, int n_threads,
            workspace=None):
    """Run one GRU layer over x (B, T, I).

    ``hidden`` (B, H) holds h0 on entry and h_n on return. Writes ``out`` (B, T, H), the
    activations r, z, n into ``gates`` (B, T, 3H) and, for reset_after, W_hn h + b_hn into
    ``hn_proj`` (B, T, H) (with reset_after=False ``hn_proj`` is not touched and may be any
    shape).
    A non-empty ``recurrent_mask`` (B, H) multiplies h_{t-1} where it enters a product with
    W_hh (recurrent dropout); an empty one (shape (0, 0)) means no mask. Scratch arrays come
    from ``workspace`` when given (see ``scratch``).
    """
    cdef Py_ssize_t batch, steps, inputs, hidden_size
    batch, steps, inputs, hidden_size = _check_layer(x, w_ih, w_hh, b_ih, b_hh, lengths)
    _check_shape("hidden", hidden, (batch, hidden_size))
    _check_shape("out", out, (batch, steps, hidden_size))
    _check_shape("gates", gates, (batch, steps, 3 * hidden_size))
    if reset_after:
        _check_shape("hn_proj", hn_proj, (batch, steps, hidden_size))
    cdef bint has_mask = _check_mask(recurrent_mask, batch, hidden_size)
    cdef int H = hidden_size, I = inputs
    cdef Py_ssize_t n_chunks = max(1, min(batch, n_threads))
    dtype = np.float32 if floating is float else np.float64
    # The biases that sit outside r * (...) are folded into the input projection.
    input_bias_np = np.asarray(b_ih).copy()
    if reset_after:
        input_bias_np[:2 * H] += np.asarray(b_hh)[:2 * H]
    else:
        input_bias_np += np.asarray(b_hh)
    cdef const floating[::1] packed_input_bias = packed_matrix(input_bias_np.reshape(1, -1),
                                                               False, workspace,
                                                               "forward.packed_input_bias")
    # The B operands, packed once per call: W_ih^T for the input projection, and W_hh^T for
    # the per-step products h @ W_hh^T: all three gates' columns for reset_after, else those
    # of r and z and, separately, the candidate's.
    w_hh_np = np.asarray(w_hh)
    cdef const floating[::1] packed_input = packed_matrix(w_ih, True, workspace,
                                                          "forward.packed_input")
    cdef const floating[::1] packed_hidden = packed_matrix(
        w_hh_np if reset_after else w_hh_np[:2 * H], True, workspace, "forward.packed_hidden")
    cdef const floating[::1] packed_candidate = packed_matrix(
        w_hh_np[:0] if reset_after else w_hh_np[2 * H:], True, workspace,
        "forward.packed_candidate")
    cdef const floating *b_hn = &b_hh[2 * H]
    cdef Py_ssize_t max_rows = (batch + n_chunks - 1) // n_chunks
    cdef floating[:, :, ::1] hidden_proj = scratch(
        workspace, "forward.hidden_proj", (n_chunks, max_rows, 3 * H), dtype)
    cdef floating[:, :, ::1] reset_hidden = scratch(
        workspace, "forward.reset_hidden", (n_chunks, max_rows, H if not reset_after else 1),
        dtype)
    cdef floating[:, :, ::1] masked_hidden = scratch(
        workspace, "forward.masked_hidden", (n_chunks, max_rows, H if has_mask else 1), dtype)
    cdef Py_ssize_t chunk, first, rows, row, b, step, time, length, longest
    cdef floating *proj
    cdef const floating *recurrent_input
    cdef floating *gates_row
    with nogil:
        for chunk in prange(n_chunks, num_threads=n_chunks, schedule="static"):
            first = chunk_start(chunk, n_chunks, batch)
            rows = chunk_start(chunk + 1, n_chunks, batch) - first
            product(rows * steps, 3 * H, I, &x[first, 0, 0], I, 1, &packed_input[0],
                    &gates[first, 0, 0], 3 * H, 1, False, &packed_input_bias[0])
            longest = 0
            for row in range(rows):
                longest = max(longest, lengths[first + row])
            proj = &hidden_proj[chunk, 0, 0]
            for step in range(longest):
                recurrent_input = &hidden[first, 0]
                if has_mask:
                    multiply_rows(rows, H, &masked_hidden[chunk, 0, 0], &hidden[first, 0], H,
                                  &recurrent_mask[first, 0], H)
                    recurrent_input = &masked_hidden[chunk, 0, 0]
                product(rows, 3 * H if reset_after else 2 * H, H, recurrent_input, H, 1,
                        &packed_hidden[0], proj, 3 * H, 1, False)
                for row in range(rows):
                    b = first + row
                    length = lengths[b]
                    time = time_of_step(step, length, reverse)
                    if step >= length:
                        if not reset_after:
                            memset(&reset_hidden[chunk, row, 0], 0, H * sizeof(floating))
                        continue
                    gates_row = &gates[b, time, 0]
                    if reset_after:
                        gates_forward_after(H, gates_row, proj + row * 3 * H, b_hn,
                                            &hidden[b, 0], &hn_proj[b, time, 0], &out[b, time, 0])
                    else:
                        gates_forward_before_rz(H, gates_row, proj + row * 3 * H,
                                                recurrent_input + row * H,
                                                &reset_hidden[chunk, row, 0])
                if not reset_after:
                    product(rows, H, H, &reset_hidden[chunk, 0, 0], H, 1, &packed_candidate[0],
                            proj + 2 * H, 3 * H, 1, False)
                    for row in range(rows):
                        b = first + row
                        length = lengths[b]
                        if step < length:
                            time = time_of_step(step, length, reverse)
                            gates_forward_before_n(H, &gates[b, time, 0],
                                                   proj + row * 3 * H + 2 * H,
                                                   &hidden[b, 0], &out[b, time, 0])
            for row in range(rows):
                b = first + row
                length = lengths[b]
                if length < steps:
                    memset(&out[b, length, 0], 0, (steps - length) * H * sizeof(floating))
                    memset(&gates[b, length, 0], 0,
                           (steps - length) * 3 * H * sizeof(floating))
                    if reset_after:
                        memset(&hn_proj[b, length, 0], 0, (steps - length) * H * sizeof(floating))


def backward(const floating[:, :, ::1] d_out, bint has_d_out, floating[:, ::1] d_hidden,
             const floating[:, :, ::1] x, const floating[:, ::1] w_ih,
             const floating[:, ::1] w_hh, const floating[::1] b_ih, const floating[::1] b_hh,
             const floating[:, ::1] h0, const int64_t[::1] lengths, bint reset_after,
             bint reverse, const floating[:, ::1] recurrent_mask,
             const floating[:, :, ::1] out, const floating[:, :, ::1] gates,
             const floating[:, :, ::1] hn_proj, floating[:, :, ::1] dx,
             floating[:, ::1] dw_ih, floating[:, ::1] dw_hh, floating[:, ::1] db_ih_rows,
             floating[:, ::1] db_hh_rows, int n_threads, workspace=None):
    """The backward recurrence of ``forward``; the cache arrays are what it wrote.

    ``d_hidden`` (B, H) holds dL/dh_n on entry and dL/dh0 on return. ``d_out`` is read only
    if ``has_d_out``. Writes ``dx``, adds each sequence's bias gradients into the
    zero-initialised ``db_ih_rows``/``db_hh_rows`` (B, 3H) for the caller to sum, and writes
    ``dw_ih`` and ``dw_hh``. On the way it keeps, for every (b, t) in scratch arrays (see
    ``scratch``), the gradients of the pre-activations on the input side (``d_input_proj``,
    (B, T, 3H)) and on the hidden side (``d_hidden_proj``; with reset_after=False they are
    equal), and what W_hh multiplied (``h_prev_all``, (B, T, H): h_{t-1}, masked if
    ``recurrent_mask``; with reset_after=False also r * h_{t-1}), all zero past each
    sequence's length; the weight gradients are then one product over all B*T rows per
    gate and matrix (packed GRADIENT_BLOCKS * PYGRU_KC = 16,384 rows at a time), six in
    all, shared among the threads.
    """
    cdef Py_ssize_t batch, steps, inputs, hidden_size
    batch, steps, inputs, hidden_size = _check_layer(x, w_ih, w_hh, b_ih, b_hh, lengths)
    cdef Py_ssize_t n_chunks = max(1, min(batch, n_threads))
    for name, array, expected in [
            ("d_hidden", d_hidden, (batch, hidden_size)), ("h0", h0, (batch, hidden_size)),
            ("out", out, (batch, steps, hidden_size)),
            ("gates", gates, (batch, steps, 3 * hidden_size)),
            ("dx", dx, (batch, steps, inputs)),
            ("dw_ih", dw_ih, (3 * hidden_size, inputs)),
            ("dw_hh", dw_hh, (3 * hidden_size, hidden_size)),
            ("db_ih_rows", db_ih_rows, (batch, 3 * hidden_size)),
            ("db_hh_rows", db_hh_rows, (batch, 3 * hidden_size))]:
        _check_shape(name, array, expected)
    if has_d_out:
        _check_shape("d_out", d_out, (batch, steps, hidden_size))
    if reset_after:
        _check_shape("hn_proj", hn_proj, (batch, steps, hidden_size))
    cdef bint has_mask = _check_mask(recurrent_mask, batch, hidden_size)
    cdef int H = hidden_size, I = inputs
    dtype = np.float32 if floating is float else np.float64
    cdef tuple gate_rows = (batch, steps, 3 * hidden_size), state_rows = (batch, steps, H)
    cdef tuple unused = (1, 1, 1)
    cdef floating[:, :, ::1] d_input_proj = scratch(
        workspace, "backward.d_input_proj", gate_rows, dtype)
    cdef floating[:, :, ::1] d_hidden_proj = scratch(
        workspace, "backward.d_hidden_proj", gate_rows if reset_after else unused, dtype)
    cdef floating[:, :, ::1] h_prev_all = scratch(
        workspace, "backward.h_prev_all", state_rows, dtype)
    cdef floating[:, :, ::1] reset_h_prev_all = scratch(
        workspace, "backward.reset_h_prev_all", unused if reset_after else state_rows, dtype)
    cdef long all_rows = batch * steps
    cdef int gate, task
    # The hidden-side gradients and what W_hh multiplied, per gate (reset_after=False: the
    # candidate's recurrent weights multiply r * h_{t-1}).
    cdef floating *d_hidden_side = (&d_hidden_proj[0, 0, 0] if reset_after
                                    else &d_input_proj[0, 0, 0])
    cdef floating *candidate_input = (&h_prev_all[0, 0, 0] if reset_after
                                      else &reset_h_prev_all[0, 0, 0])
    cdef Py_ssize_t max_rows = (batch + n_chunks - 1) // n_chunks
    # Per-step gradients of the hidden-side pre-activations, contiguous for the dh GEMM.
    cdef floating[:, :, ::1] step_grad = scratch(
        workspace, "backward.step_grad", (n_chunks, max_rows, 3 * H), dtype)
    cdef floating[:, :, ::1] d_reset_hidden = scratch(
        workspace, "backward.d_reset_hidden", (n_chunks, max_rows, H if not reset_after else 1),
        dtype)
    # With a mask, the gradient reaching h_{t-1} through W_hh is gathered here first, then
    # multiplied by the mask.
    cdef floating[:, :, ::1] d_recurrent = scratch(
        workspace, "backward.d_recurrent", (n_chunks, max_rows, H if has_mask else 1), dtype)
    # W_hh packed once for the per-step products d_proj @ W_hh: all rows for reset_after,
    # else those of r and z and, separately, the candidate's.
    w_hh_np = np.asarray(w_hh)
    cdef const floating[::1] packed_hidden = packed_matrix(
        w_hh_np if reset_after else w_hh_np[:2 * H], False, workspace, "backward.packed_hidden")
    cdef const floating[::1] packed_candidate = packed_matrix(
        w_hh_np[:0] if reset_after else w_hh_np[2 * H:], False, workspace,
        "backward.packed_candidate")
    # dx = d_input_proj @ W_ih, sequence by sequence, through W_ih packed; with fewer inputs
    # than a panel's width (lanes would idle) as dot products with the rows of W_ih^T.
    cdef bint dx_by_dots = I < panel_width(dtype)
    cdef const floating[::1] packed_input = packed_matrix(
        w_ih[:0] if dx_by_dots else w_ih, False, workspace, "backward.packed_input")
    w_ih_t_np = np.empty((0, 0), dtype)
    if dx_by_dots:
        w_ih_t_np = scratch(workspace, "backward.w_ih_t", (I, 3 * H), dtype)
        w_ih_t_np[...] = np.asarray(w_ih).T
    cdef const floating[:, ::1] w_ih_t = w_ih_t_np
    # The weight gradients as transposes, dW^T = X^T @ dG (X: x, h_{t-1} or r * h_{t-1}), so
    # that the columns are the H hidden units however few inputs there are; every task packs
    # its own gate's gradients.
    # They are packed GRADIENT_BLOCKS blocks of the GEMM's k at a time: packed whole, the
    # gradients of every row took NR columns however few units there are (with H = 1, 32
    # times the gate gradients, six times over: 0.77 GB for 1e6 steps). The products of
    # the blocks add up exactly as one product's (it sums k in the same blocks).
    cdef long gradient_rows = min(all_rows, GRADIENT_BLOCKS * PYGRU_KC)
    cdef floating[:, ::1] packed_gradients = scratch(
        workspace, "backward.packed_gradients",
        (6, packed_size(<floating> 0, gradient_rows, H)), dtype)
    cdef long first_row, block_rows
    cdef const floating *weight_input
    cdef const floating *gate_gradients
    cdef long weight_inputs
    cdef floating *weight_gradient
    cdef Py_ssize_t chunk, first, rows, row, b, step, time, length, longest, j
    cdef floating *grad
    cdef floating *recurrent_grad
    cdef const floating *h_prev
    with nogil:
        for chunk in prange(n_chunks, num_threads=n_chunks, schedule="static"):
            first = chunk_start(chunk, n_chunks, batch)
            rows = chunk_start(chunk + 1, n_chunks, batch) - first
            longest = 0
            for row in range(rows):
                longest = max(longest, lengths[first + row])
            recurrent_grad = &d_recurrent[chunk, 0, 0] if has_mask else &d_hidden[first, 0]
            for step in range(longest - 1, -1, -1):
                for row in range(rows):
                    b = first + row
                    length = lengths[b]
                    grad = &step_grad[chunk, row, 0]
                    if step >= length:
                        memset(grad, 0, 3 * H * sizeof(floating))
                        continue
                    time = time_of_step(step, length, reverse)
                    if has_d_out:
                        for j in range(H):
                            d_hidden[b, j] += d_out[b, time, j]
                    if step == 0:
                        h_prev = &h0[b, 0]
                    else:
                        h_prev = &out[b, time + 1 if reverse else time - 1, 0]
                    # What W_hh multiplied: h_{t-1}, masked for recurrent dropout.
                    if has_mask:
                        multiply(H, &h_prev_all[b, time, 0], h_prev, &recurrent_mask[b, 0])
                    else:
                        memcpy(&h_prev_all[b, time, 0], h_prev, H * sizeof(floating))
                    if reset_after:
                        gates_backward_after(H, &gates[b, time, 0], &hn_proj[b, time, 0], h_prev,
                                             &d_hidden[b, 0], &d_input_proj[b, time, 0], grad)
                        memcpy(&d_hidden_proj[b, time, 0], grad, 3 * H * sizeof(floating))
                        # Bias gradients are summed while the row is in cache.
                        add_column_sums(1, 3 * H, &d_input_proj[b, time, 0], &db_ih_rows[b, 0])
                        add_column_sums(1, 3 * H, grad, &db_hh_rows[b, 0])
                    else:
                        gates_backward_before_zn(H, &gates[b, time, 0], h_prev,
                                                 &d_hidden[b, 0], grad)
                if reset_after:
                    product(rows, H, 3 * H, &step_grad[chunk, 0, 0], 3 * H, 1,
                            &packed_hidden[0], recurrent_grad, H, 1, not has_mask)
                    if has_mask:
                        add_product_rows(rows, H, &d_hidden[first, 0], &recurrent_mask[first, 0],
                                         recurrent_grad)
                    continue
                # reset_after=False: d(r * h) = da_n W_hn gives da_r, then dh += da_rz W_hrz.
                product(rows, H, H, &step_grad[chunk, 0, 2 * H], 3 * H, 1, &packed_candidate[0],
                        &d_reset_hidden[chunk, 0, 0], H, 1, False)
                if has_mask:
                    memset(recurrent_grad, 0, rows * H * sizeof(floating))
                for row in range(rows):
                    b = first + row
                    length = lengths[b]
                    if step < length:
                        time = time_of_step(step, length, reverse)
                        grad = &step_grad[chunk, row, 0]
                        gates_backward_before_r(H, &gates[b, time, 0], &h_prev_all[b, time, 0],
                                                &d_reset_hidden[chunk, row, 0],
                                                recurrent_grad + row * H, grad)
                        memcpy(&d_input_proj[b, time, 0], grad, 3 * H * sizeof(floating))
                        add_column_sums(1, 3 * H, grad, &db_ih_rows[b, 0])
                        add_column_sums(1, 3 * H, grad, &db_hh_rows[b, 0])
                product(rows, H, 2 * H, &step_grad[chunk, 0, 0], 3 * H, 1, &packed_hidden[0],
                        recurrent_grad, H, 1, True)
                if has_mask:
                    add_product_rows(rows, H, &d_hidden[first, 0], &recurrent_mask[first, 0],
                                     recurrent_grad)
            for row in range(rows):
                b = first + row
                length = lengths[b]
                if length < steps:
                    memset(&d_input_proj[b, length, 0], 0,
                           (steps - length) * 3 * H * sizeof(floating))
                    memset(&h_prev_all[b, length, 0], 0,
                           (steps - length) * H * sizeof(floating))
                    if reset_after:
                        memset(&d_hidden_proj[b, length, 0], 0,
                               (steps - length) * 3 * H * sizeof(floating))
            # dx sequence by sequence, over its own length only.
            for row in range(rows):
                b = first + row
                length = lengths[b]
                if dx_by_dots:
                    dot_product(length, I, 3 * H, &d_input_proj[b, 0, 0], 3 * H, &w_ih_t[0, 0],
                                3 * H, &dx[b, 0, 0])
                else:
                    product(length, I, 3 * H, &d_input_proj[b, 0, 0], 3 * H, 1,
                            &packed_input[0], &dx[b, 0, 0], I, 1, False)
                if length < steps:
                    memset(&dx[b, length, 0], 0, (steps - length) * I * sizeof(floating))
                if not reset_after:
                    multiply_rows(steps, H, &reset_h_prev_all[b, 0, 0], &h_prev_all[b, 0, 0], H,
                                  &gates[b, 0, 0], 3 * H)
        # Weight gradients: task = 2 * gate + (0: W_ih rows, 1: W_hh rows) of that gate.
        for task in prange(6, num_threads=n_chunks, schedule="static"):
            gate = task // 2
            if task % 2 == 0:
                weight_input = &x[0, 0, 0]
                weight_inputs = I
                gate_gradients = &d_input_proj[0, 0, gate * H]
                weight_gradient = &dw_ih[gate * H, 0]
            else:
                weight_input = candidate_input if gate == 2 else &h_prev_all[0, 0, 0]
                weight_inputs = H
                gate_gradients = d_hidden_side + gate * H
                weight_gradient = &dw_hh[gate * H, 0]
            first_row = 0
            while first_row < all_rows:
                block_rows = min(gradient_rows, all_rows - first_row)
                pack(block_rows, H, gate_gradients + first_row * 3 * H, 3 * H, 1,
                     &packed_gradients[task, 0])
                product(weight_inputs, H, block_rows, weight_input + first_row * weight_inputs,
                        1, weight_inputs, &packed_gradients[task, 0], weight_gradient, 1,
                        weight_inputs, first_row > 0)
                first_row = first_row + block_rows  # (not +=, which prange would reduce)


def matmul(const floating[:, :] a, const floating[:, :] b, floating[:, ::1] out):
    """out (M, N) = a (M, K) @ b (K, N) through ``product``: any strides (a transposed view
    is read as it is), each row of ``out`` computed alike whatever the other rows are."""
    cdef long M = a.shape[0], K = a.shape[1], N = b.shape[1]
    if b.shape[0] != K or out.shape[0] != M or out.shape[1] != N:
        raise ValueError(f"matmul of {(M, K)} and {(b.shape[0], N)} into "
                         f"{(out.shape[0], out.shape[1])}")
    if M == 0 or N == 0:
        return
    if K == 0:
        out[...] = 0
        return
    cdef long item = sizeof(floating)
    cdef floating[::1] packed = np.empty(packed_size(<floating> 0, K, N),
                                         np.float32 if floating is float else np.float64)
    with nogil:
        pack(K, N, &b[0, 0], b.strides[0] // item, b.strides[1] // item, &packed[0])
        product(M, N, K, &a[0, 0], a.strides[0] // item, a.strides[1] // item, &packed[0],
                &out[0, 0], N, 1, False)


def max_over_valid_steps(const floating[:, :, ::1] values, const int64_t[::1] lengths,
                         floating[:, ::1] best, int64_t[:, ::1] steps, int n_threads):
    """best[b, f] = the largest values[b, t, f] over sequence b's valid steps t, and
    steps[b, f] the first step that holds it: NumPy's argmax over axis 1 of the valid steps,
    in one pass without its transposed copy (4-5 ns per value there). Each sequence is read
    alone, so the result does not depend on the batch. NaN never compares larger."""
    cdef Py_ssize_t batch = values.shape[0], width = values.shape[2], b, t
    _check_shape("lengths", lengths, (batch,))
    _check_shape("best", best, (batch, width))
    _check_shape("steps", steps, (batch, width))
    _check_lengths(lengths, values.shape[1])
    if batch == 0 or width == 0:
        return
    for b in prange(batch, nogil=True, num_threads=n_threads, schedule="static"):
        memcpy(&best[b, 0], &values[b, 0, 0], width * sizeof(floating))
        memset(&steps[b, 0], 0, width * sizeof(int64_t))
        for t in range(1, lengths[b]):
            take_larger(width, t, &values[b, t, 0], &best[b, 0], &steps[b, 0])


cdef inline void take_larger(Py_ssize_t width, int64_t t, const floating *row, floating *best,
                             int64_t *steps) noexcept nogil:
    """Where ``row`` beats ``best``: its value into ``best`` and ``t`` into ``steps``
    (branch-free, for the compiler to vectorise)."""
    cdef Py_ssize_t f
    cdef bint larger
    for f in range(width):
        larger = row[f] > best[f]
        best[f] = row[f] if larger else best[f]
        steps[f] = t if larger else steps[f]
