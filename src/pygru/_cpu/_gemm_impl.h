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
 * sequence of multiply-adds whatever ROWS is. Always inlined, so that ROWS is a compile-time
 * constant at each call and the ROWS x 2 accumulator vectors stay in registers (a shared
 * out-of-line copy kept them in a stack array it cleared on every call). The sums start
 * from the panel's bias when `bias_panel` is given, else from zero; they are added to C
 * when `accumulate`, else stored. */
static inline __attribute__((always_inline)) void PYGRU_FN(multiply_rows)(
    const int ROWS, long K, const real *a, long a_row_stride, long a_k_stride,
    const real *panel, const real *bias_panel, real *c, long c_row_stride, long c_col_stride,
    long columns, int accumulate)
{
    VECTOR low[PYGRU_MR], high[PYGRU_MR];
    VECTOR low_start = bias_panel ? *(const VECTOR *)bias_panel : (VECTOR){0};
    VECTOR high_start = bias_panel ? *(const VECTOR *)(bias_panel + LANES) : (VECTOR){0};
    for (int i = 0; i < ROWS; i++) {
        low[i] = low_start;
        high[i] = high_start;
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
 * 4 at a time, then 2, then 1. */
static inline __attribute__((always_inline)) void PYGRU_FN(multiply_row_block)(
    long first, long count, long K, const real *a, long a_row_stride, long a_k_stride,
    const real *panel, const real *bias_panel, real *c, long c_row_stride, long c_col_stride,
    long columns, int accumulate)
{
    long end = first + count;
#define PYGRU_ROWS(ROWS)                                                                    \
    PYGRU_FN(multiply_rows)(ROWS, K, a + first * a_row_stride, a_row_stride, a_k_stride,   \
                            panel, bias_panel, c + first * c_row_stride, c_row_stride,     \
                            c_col_stride, columns, accumulate)
    for (; first + PYGRU_MR <= end; first += PYGRU_MR)
        PYGRU_ROWS(PYGRU_MR);
    for (; first + 4 <= end; first += 4)
        PYGRU_ROWS(4);
    if (end - first >= 2) {
        PYGRU_ROWS(2);
        first += 2;
    }
    if (end - first >= 1)
        PYGRU_ROWS(1);
#undef PYGRU_ROWS
}

/* C (M x N) = A (M x K) @ B, B as pack_matrix(K, N, B) made, plus C itself if `accumulate`
 * or else plus a bias row when `packed_bias` is given (pack_matrix(1, N, bias)), with the
 * products summed onto the bias. */
static inline void PYGRU_FN(gemm_packed)(long M, long N, long K, const real *a,
                                         long a_row_stride, long a_k_stride,
                                         const real *packed, const real *packed_bias, real *c,
                                         long c_row_stride, long c_col_stride, int accumulate)
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
                                             packed_bias && k0 == 0 ? packed_bias + p * NR : 0,
                                             c + p * NR * c_col_stride, c_row_stride,
                                             c_col_stride, columns, add);
            }
        }
    }
}

/* C (M x N) = A (M x K) @ B for products with few columns, as one dot product per element:
 * B is given transposed (N rows of K, `bt`), A's and B^T's rows contiguous. Each dot product
 * runs over k in four vector accumulators, then one, which are added in a fixed order and
 * their lanes pairwise, followed by the k that remain: the same sequence for every element. */
static inline void PYGRU_FN(gemm_dot)(long M, long N, long K, const real *a, long lda,
                                      const real *bt, long ldbt, real *c, long c_row_stride,
                                      long c_col_stride)
{
    for (long i = 0; i < M; i++) {
        const real *a_row = a + i * lda;
        for (long j = 0; j < N; j++) {
            const real *b_row = bt + j * ldbt;
            VECTOR sums[4] = {{0}, {0}, {0}, {0}};
            long k = 0;
            for (; k + 4 * LANES <= K; k += 4 * LANES)
                for (int part = 0; part < 4; part++)
                    sums[part] += *(const VECTOR *)(a_row + k + part * LANES)
                                  * *(const VECTOR *)(b_row + k + part * LANES);
            for (; k + LANES <= K; k += LANES)
                sums[0] += *(const VECTOR *)(a_row + k) * *(const VECTOR *)(b_row + k);
            real lanes[LANES];
            *(VECTOR *)lanes = (sums[0] + sums[1]) + (sums[2] + sums[3]);
            for (int width = LANES / 2; width > 0; width /= 2)
                for (int lane = 0; lane < width; lane++)
                    lanes[lane] += lanes[lane + width];
            real sum = lanes[0];
            for (; k < K; k++)
                sum += a_row[k] * b_row[k];
            c[i * c_row_stride + j * c_col_stride] = sum;
        }
    }
}

#undef VECTOR
#undef LANES
#undef NR
