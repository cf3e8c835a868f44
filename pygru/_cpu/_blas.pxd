# Fused float/double wrappers over scipy's BLAS, in row-major terms (as sklearn's
# utils/_cython_blas.pyx): the kernels keep C-ordered arrays and never think in columns.
from cython cimport floating
from scipy.linalg.cython_blas cimport sgemm, dgemm


cdef inline void gemm(bint transpose_a, bint transpose_b, int m, int n, int k,
                      floating alpha, const floating *a, int lda,
                      const floating *b, int ldb,
                      floating beta, floating *c, int ldc) noexcept nogil:
    """C (m, n) = alpha * op(A) @ op(B) + beta * C, all row-major.

    A row-major matrix is its transpose in column-major order, so this asks BLAS for
    C^T = op(B)^T op(A)^T with the operands swapped.
    """
    cdef char trans_a = b'T' if transpose_a else b'N'
    cdef char trans_b = b'T' if transpose_b else b'N'
    if floating is float:
        sgemm(&trans_b, &trans_a, &n, &m, &k, &alpha, <float *> b, &ldb,
              <float *> a, &lda, &beta, c, &ldc)
    else:
        dgemm(&trans_b, &trans_a, &n, &m, &k, &alpha, <double *> b, &ldb,
              <double *> a, &lda, &beta, c, &ldc)
