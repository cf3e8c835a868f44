/* One floating type's packed GEMM; included by _packed.h with `real` and PYGRU_FN set. */

typedef real PYGRU_FN(vector) __attribute__((vector_size(PYGRU_VECTOR_BYTES), aligned(sizeof(real))));
#define VECTOR PYGRU_FN(vector)
#define LANES ((int)(PYGRU_VECTOR_BYTES / sizeof(real)))
#define NR (2 * LANES)

/* Elements of the packed form of a K x N matrix: ceil(N / NR) panels of K x NR. */
static inline long PYGRU_FN(packed_size)(int K, int N)
{
    return (long)((N + NR - 1) / NR) * K * NR;
}

/* Pack B (K x N, row stride ldb) into panels of NR columns, zero beyond column N. */
static inline void PYGRU_FN(pack_matrix)(int K, int N, const real *b, int ldb, real *packed)
{
    int panels = (N + NR - 1) / NR;
    for (int p = 0; p < panels; p++) {
        real *panel = packed + (long)p * K * NR;
        int columns = N - p * NR < NR ? N - p * NR : NR;
        for (int k = 0; k < K; k++) {
            memcpy(panel + (long)k * NR, b + (long)k * ldb + p * NR, columns * sizeof(real));
            memset(panel + (long)k * NR + columns, 0, (NR - columns) * sizeof(real));
        }
    }
}

/* Rows first..first+ROWS-1 of C, columns of one panel: every row is the same sequence of
 * fused multiply-adds over k whatever ROWS is (a compile-time constant, so the ROWS x 2
 * accumulator vectors stay in registers). Full panels are stored straight into C; the
 * last, partial panel of a matrix goes through a buffer. */
static inline void PYGRU_FN(multiply_rows)(const int ROWS, int K, const real *a, int lda,
                                           const real *panel, real *c, int ldc, int columns,
                                           int accumulate)
{
    VECTOR low[PYGRU_MR], high[PYGRU_MR];
    for (int i = 0; i < ROWS; i++) {
        low[i] = (VECTOR){0};
        high[i] = (VECTOR){0};
    }
    for (int k = 0; k < K; k++) {
        VECTOR b_low = *(const VECTOR *)(panel + (long)k * NR);
        VECTOR b_high = *(const VECTOR *)(panel + (long)k * NR + LANES);
        for (int i = 0; i < ROWS; i++) {
            VECTOR a_ik = (VECTOR){0} + a[(long)i * lda + k];
            low[i] += a_ik * b_low;
            high[i] += a_ik * b_high;
        }
    }
    for (int i = 0; i < ROWS; i++) {
        real *c_row = c + (long)i * ldc;
        if (columns == NR) {
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
            for (int j = 0; j < columns; j++)
                c_row[j] = accumulate ? c_row[j] + row[j] : row[j];
        }
    }
}

/* C (M x N, row stride ldc) = A (M x K, row stride lda) @ B, plus C itself if accumulate;
 * B given as pack_matrix(K, N, B) made. Rows go in blocks of MR, then 4, 2, 1. */
static inline void PYGRU_FN(gemm_packed)(int M, int N, int K, const real *a, int lda,
                                         const real *packed, real *c, int ldc, int accumulate)
{
    int panels = (N + NR - 1) / NR;
    for (int p = 0; p < panels; p++) {
        const real *panel = packed + (long)p * K * NR;
        int columns = N - p * NR < NR ? N - p * NR : NR;
        int first = 0;
        for (; first + PYGRU_MR <= M; first += PYGRU_MR)
            PYGRU_FN(multiply_rows)(PYGRU_MR, K, a + (long)first * lda, lda, panel,
                                    c + (long)first * ldc + p * NR, ldc, columns, accumulate);
        if (M - first >= 4) {
            PYGRU_FN(multiply_rows)(4, K, a + (long)first * lda, lda, panel,
                                    c + (long)first * ldc + p * NR, ldc, columns, accumulate);
            first += 4;
        }
        if (M - first >= 2) {
            PYGRU_FN(multiply_rows)(2, K, a + (long)first * lda, lda, panel,
                                    c + (long)first * ldc + p * NR, ldc, columns, accumulate);
            first += 2;
        }
        if (M - first >= 1)
            PYGRU_FN(multiply_rows)(1, K, a + (long)first * lda, lda, panel,
                                    c + (long)first * ldc + p * NR, ldc, columns, accumulate);
    }
}

#undef VECTOR
#undef LANES
#undef NR
