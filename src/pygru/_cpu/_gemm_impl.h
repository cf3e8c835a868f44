/* One floating type's GEMM; included by _gemm.h with `real` and PYGRU_FN set. */

typedef real PYGRU_FN(vector) __attribute__((vector_size(PYGRU_VECTOR_BYTES), aligned(sizeof(real))));
#define VECTOR PYGRU_FN(vector)
#define LANES ((int)(PYGRU_VECTOR_BYTES / sizeof(real)))
#define NR (2 * LANES)

/* Columns per packed panel: a product with fewer columns than this wastes lanes, and the
 * callers then compute its transpose instead. */
static inline int PYGRU_FN(panel_width)(void)
{
    return NR;
}

/* Elements of the packed form of a K x N matrix: ceil(N / NR) panels of K x NR. */
static inline long PYGRU_FN(packed_size)(long K, long N)
{
    return (N + NR - 1) / NR * K * NR;
}

/* Pack B (K x N, strides as in _gemm.h) into panels of NR columns, zero beyond column N. */
static inline void PYGRU_FN(pack_matrix)(long K, long N, const real *b, long b_k_stride,
                                         long b_n_stride, real *packed)
{
    long panels = (N + NR - 1) / NR;
    for (long p = 0; p < panels; p++) {
        real *panel = packed + p * K * NR;
        long columns = N - p * NR < NR ? N - p * NR : NR;
        const real *b_panel = b + p * NR * b_n_stride;
        for (long k = 0; k < K; k++) {
            real *to = panel + k * NR;
            const real *from = b_panel + k * b_k_stride;
            if (b_n_stride == 1) {
                memcpy(to, from, columns * sizeof(real));
            } else {
                for (long n = 0; n < columns; n++)
                    to[n] = from[n * b_n_stride];
            }
            memset(to + columns, 0, (NR - columns) * sizeof(real));
        }
    }
}

/* ROWS rows of C, the columns of one panel, k over one block: every row is the same
 * sequence of multiply-adds whatever ROWS is (a compile-time constant at each call, so the
 * ROWS x 2 accumulator vectors stay in registers). Adds to C when `accumulate`. */
static inline void PYGRU_FN(multiply_rows)(const int ROWS, long K, const real *a,
                                           long a_row_stride, long a_k_stride,
                                           const real *panel, real *c, long c_row_stride,
                                           long c_col_stride, long columns, int accumulate)
{
    VECTOR low[PYGRU_MR], high[PYGRU_MR];
    for (int i = 0; i < ROWS; i++) {
        low[i] = (VECTOR){0};
        high[i] = (VECTOR){0};
    }
    for (long k = 0; k < K; k++) {
        VECTOR b_low = *(const VECTOR *)(panel + k * NR);
        VECTOR b_high = *(const VECTOR *)(panel + k * NR + LANES);
        for (int i = 0; i < ROWS; i++) {
            /* vector * scalar broadcasts the scalar as part of the multiply-add (AVX-512:
             * an embedded broadcast from memory); `(VECTOR){0} + a_ik` would cost an add. */
            real a_ik = a[i * a_row_stride + k * a_k_stride];
            low[i] += b_low * a_ik;
            high[i] += b_high * a_ik;
        }
    }
    for (int i = 0; i < ROWS; i++) {
        real *c_row = c + i * c_row_stride;
        if (columns == NR && c_col_stride == 1) {
            VECTOR *c_low = (VECTOR *)c_row, *c_high = (VECTOR *)(c_row + LANES);
            if (accumulate) {
                *c_low += low[i];
                *c_high += high[i];
            } else {
                *c_low = low[i];
                *c_high = high[i];
            }
        } else {
            real row[NR];
            *(VECTOR *)row = low[i];
            *(VECTOR *)(row + LANES) = high[i];
            for (long n = 0; n < columns; n++) {
                real *c_n = c_row + n * c_col_stride;
                *c_n = accumulate ? *c_n + row[n] : row[n];
            }
        }
    }
}

/* Rows [first, first + count) of C for one panel and one k block: MR rows at a time, then
 * 4, 2, 1. */
static inline void PYGRU_FN(multiply_row_block)(long first, long count, long K, const real *a,
                                                long a_row_stride, long a_k_stride,
                                                const real *panel, real *c, long c_row_stride,
                                                long c_col_stride, long columns, int accumulate)
{
    long end = first + count;
#define PYGRU_ROWS(ROWS)                                                                    \
    PYGRU_FN(multiply_rows)(ROWS, K, a + first * a_row_stride, a_row_stride, a_k_stride,   \
                            panel, c + first * c_row_stride, c_row_stride, c_col_stride,   \
                            columns, accumulate)
    for (; first + PYGRU_MR <= end; first += PYGRU_MR)
        PYGRU_ROWS(PYGRU_MR);
    if (end - first >= 4) {
        PYGRU_ROWS(4);
        first += 4;
    }
    if (end - first >= 2) {
        PYGRU_ROWS(2);
        first += 2;
    }
    if (end - first >= 1)
        PYGRU_ROWS(1);
#undef PYGRU_ROWS
}

/* C (M x N) = A (M x K) @ B, plus C itself if `accumulate`; B as pack_matrix(K, N, B) made. */
static inline void PYGRU_FN(gemm_packed)(long M, long N, long K, const real *a,
                                         long a_row_stride, long a_k_stride,
                                         const real *packed, real *c, long c_row_stride,
                                         long c_col_stride, int accumulate)
{
    long panels = (N + NR - 1) / NR;
    for (long k0 = 0; k0 < K; k0 += PYGRU_KC) {
        long block = K - k0 < PYGRU_KC ? K - k0 : PYGRU_KC;
        int add = accumulate || k0 > 0;
        for (long m0 = 0; m0 < M; m0 += PYGRU_MC) {
            long rows = M - m0 < PYGRU_MC ? M - m0 : PYGRU_MC;
            for (long p = 0; p < panels; p++) {
                long columns = N - p * NR < NR ? N - p * NR : NR;
                PYGRU_FN(multiply_row_block)(m0, rows, block, a + k0 * a_k_stride,
                                             a_row_stride, a_k_stride,
                                             packed + p * K * NR + k0 * NR,
                                             c + p * NR * c_col_stride, c_row_stride,
                                             c_col_stride, columns, add);
            }
        }
    }
}

#undef VECTOR
#undef LANES
#undef NR
