/* One floating type's gate functions; included by _gates.h with `real` and PYGRU_FN set.
 *
 * Layout of a row: gates [r | z | n], each H wide. In the forward pass `gates` comes in
 * holding the input projection (biases folded in) and leaves holding the activations r, z, n,
 * which is what the backward pass needs. `hidden` is updated in place from h_{t-1} to h_t.
 */

/* reset_after=True: n = tanh(gi_n + r * (W_hn h + b_hn)); `hn_out` keeps W_hn h + b_hn. */
static inline void PYGRU_FN(gates_forward_after)(
    int H, real *gates, const real *restrict hidden_proj, const real *restrict b_hn,
    real *restrict hidden, real *restrict hn_out, real *restrict out)
{
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real r = 1 / (1 + PYGRU_EXP(-(gates[j] + hidden_proj[j])));
        real z = 1 / (1 + PYGRU_EXP(-(gates[H + j] + hidden_proj[H + j])));
        real hn = hidden_proj[2 * H + j] + b_hn[j];
        real n = PYGRU_TANH(gates[2 * H + j] + r * hn);
        real h = (1 - z) * n + z * hidden[j];
        gates[j] = r;
        gates[H + j] = z;
        gates[2 * H + j] = n;
        hn_out[j] = hn;
        hidden[j] = h;
        out[j] = h;
    }
}

/* reset_after=False, first half: r and z, and r * h_{t-1} for the candidate's GEMM. */
static inline void PYGRU_FN(gates_forward_before_rz)(
    int H, real *gates, const real *restrict hidden_proj, const real *restrict hidden,
    real *restrict reset_hidden)
{
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real r = 1 / (1 + PYGRU_EXP(-(gates[j] + hidden_proj[j])));
        gates[j] = r;
        gates[H + j] = 1 / (1 + PYGRU_EXP(-(gates[H + j] + hidden_proj[H + j])));
        reset_hidden[j] = r * hidden[j];
    }
}

/* reset_after=False, second half: n = tanh(gi_n + W_hn (r * h)), b_hn folded into gi_n. */
static inline void PYGRU_FN(gates_forward_before_n)(
    int H, real *gates, const real *restrict candidate_proj, real *restrict hidden,
    real *restrict out)
{
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real z = gates[H + j];
        real n = PYGRU_TANH(gates[2 * H + j] + candidate_proj[j]);
        real h = (1 - z) * n + z * hidden[j];
        gates[2 * H + j] = n;
        hidden[j] = h;
        out[j] = h;
    }
}

/* Backward of one step, reset_after=True. `d_hidden` comes in as dL/dh_t and leaves as the
 * part of dL/dh_{t-1} that does not go through W_hh (z * dh). Writes the gradients of the
 * input-side pre-activations (d_input_proj) and of the hidden-side ones (d_hidden_proj). */
static inline void PYGRU_FN(gates_backward_after)(
    int H, const real *restrict gates, const real *restrict hn, const real *restrict h_prev,
    real *restrict d_hidden, real *restrict d_input_proj, real *restrict d_hidden_proj)
{
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real r = gates[j], z = gates[H + j], n = gates[2 * H + j];
        real dh = d_hidden[j];
        real da_n = dh * (1 - z) * (1 - n * n);
        real da_z = dh * (h_prev[j] - n) * z * (1 - z);
        real da_r = da_n * hn[j] * r * (1 - r);
        d_input_proj[j] = da_r;
        d_input_proj[H + j] = da_z;
        d_input_proj[2 * H + j] = da_n;
        d_hidden_proj[j] = da_r;
        d_hidden_proj[H + j] = da_z;
        d_hidden_proj[2 * H + j] = da_n * r;
        d_hidden[j] = dh * z;
    }
}

/* Backward, reset_after=False, first half: the z and n pre-activation gradients. */
static inline void PYGRU_FN(gates_backward_before_zn)(
    int H, const real *restrict gates, const real *restrict h_prev, real *restrict d_hidden,
    real *restrict d_proj)
{
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real z = gates[H + j], n = gates[2 * H + j];
        real dh = d_hidden[j];
        d_proj[H + j] = dh * (h_prev[j] - n) * z * (1 - z);
        d_proj[2 * H + j] = dh * (1 - z) * (1 - n * n);
        d_hidden[j] = dh * z;
    }
}

/* Backward, reset_after=False, second half, given d(r * h_{t-1}) = da_n W_hn. */
static inline void PYGRU_FN(gates_backward_before_r)(
    int H, const real *restrict gates, const real *restrict h_prev,
    const real *restrict d_reset_hidden, real *restrict d_hidden, real *restrict d_proj)
{
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        real r = gates[j];
        d_proj[j] = d_reset_hidden[j] * h_prev[j] * r * (1 - r);
        d_hidden[j] += d_reset_hidden[j] * r;
    }
}

/* rows x width column sums added into `sums` (bias gradients). */
static inline void PYGRU_FN(add_column_sums)(
    long rows, int width, const real *restrict matrix, real *restrict sums)
{
    for (long i = 0; i < rows; i++) {
        #pragma omp simd
        for (int j = 0; j < width; j++)
            sums[j] += matrix[i * width + j];
    }
}

/* out = a * b elementwise (h_{t-1} times the recurrent dropout mask). */
static inline void PYGRU_FN(multiply)(
    long size, real *restrict out, const real *restrict a, const real *restrict b)
{
    #pragma omp simd
    for (long i = 0; i < size; i++)
        out[i] = a[i] * b[i];
}

/* acc += a * b elementwise (a gradient through the recurrent dropout mask). */
static inline void PYGRU_FN(add_product)(
    long size, real *restrict acc, const real *restrict a, const real *restrict b)
{
    #pragma omp simd
    for (long i = 0; i < size; i++)
        acc[i] += a[i] * b[i];
}
