// GRU layer forward and backward on the GPU (docs/design.md §1 math, §5 GPU).
//
// Arrays are batch-first and C-contiguous: x (B, T, I), out (B, T, H), gates (B, T, 3H) holding
// the activations r, z, n, hn (B, T, H) holding W_hn h + b_hn (reset_after only). Gate order is
// [r, z, n] everywhere. Sequence b has length lengths[b]; step s of it reads time
// lengths[b] - 1 - s when `reverse`, else s. Past its length a sequence's state is carried
// unchanged and the time positions there hold zeros in every per-time array written here.
// An optional recurrent mask (B, H) (recurrent dropout) multiplies h_{t-1} wherever it meets
// W_hh; the blend z * h_{t-1} uses the unmasked state.
//
// The input projection x W_ih^T (+ the biases outside r * (...)) and every weight gradient are
// cuBLAS GEMMs issued from Python; this file holds only the recurrence.
//
// Persistent kernels (one launch runs all steps):
//   The batch is cut into tiles of `tile_rows` rows. A tile is served by one block
//   (gru_*_block) or by a cluster of CLUSTER blocks (gru_*_cluster, sm_90+). Block `rank` of a
//   cluster owns `units` = ceil(H / CLUSTER) hidden units with all three gates of each, and
//   keeps the matching slice of W_hh in shared memory for the whole sequence. Every block holds
//   the full (masked) state of its tile's rows; after each step it writes its units' new
//   values into the shared memory of every block of its cluster (distributed shared memory)
//   and one cluster barrier separates the steps. Tiles never synchronise with each other.
//   Threads: `k_split` consecutive lanes share one work item (ROWS rows x one unit), each lane
//   summing every k_split-th term of the dot products; a shuffle reduction combines them.
//   The shared-memory layout below is mirrored by pygru/_cuda/_launch.py (shared_bytes).
//
// Step kernels (gru_step_*): one thread per (row, unit), for the per-step fallback that runs a
// cuBLAS GEMM per step when W_hh does not fit the shared memory of a cluster.
//
// Hardware primitives live in one section below; the CPU emulation used by the tests
// (tests/cuda_shim) defines PYGRU_EMULATION and supplies its own versions of exactly these.

#ifndef PYGRU_EMULATION

#define PYGRU_DEVICE __device__ __forceinline__

PYGRU_DEVICE unsigned char* dynamic_shared_memory() {
    extern __shared__ __align__(16) unsigned char pygru_shared[];
    return pygru_shared;
}

PYGRU_DEVICE void block_sync() { __syncthreads(); }

// Cluster barrier with release/acquire semantics: shared-memory writes to peers made before it
// are visible to them after it. A cluster of one is a plain block barrier.
template <int CLUSTER>
PYGRU_DEVICE void cluster_sync() {
    if (CLUSTER == 1) {
        __syncthreads();
    } else {
#if __CUDA_ARCH__ >= 900
        asm volatile("barrier.cluster.arrive.release.aligned;\n\t"
                     "barrier.cluster.wait.acquire.aligned;" ::: "memory");
#else
        __trap();
#endif
    }
}

// Address of `local` (in this block's shared memory) in the shared memory of block `rank`
// of the cluster.
template <int CLUSTER, typename T>
PYGRU_DEVICE T* peer_shared(T* local, int rank) {
    if (CLUSTER == 1) return local;
#if __CUDA_ARCH__ >= 900
    unsigned long long mapped;
    asm volatile("mapa.u64 %0, %1, %2;"
                 : "=l"(mapped)
                 : "l"(reinterpret_cast<unsigned long long>(local)), "r"(rank));
    return reinterpret_cast<T*>(mapped);
#else
    __trap();
    return local;
#endif
}

template <typename T>
PYGRU_DEVICE T shuffle_xor(T value, int lane_mask) {
    return __shfl_xor_sync(0xffffffffu, value, lane_mask);
}

// Global -> shared copy that does not stall the issuing thread (sm_80+); complete after
// copy_async_wait() in the same thread, visible to the block after a barrier.
template <typename T>
PYGRU_DEVICE void copy_async(T* shared_dst, const T* global_src) {
#if __CUDA_ARCH__ >= 800
    unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(shared_dst));
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2;"
                 :: "r"(dst), "l"(global_src), "n"(sizeof(T)) : "memory");
#else
    *shared_dst = *global_src;
#endif
}

PYGRU_DEVICE void copy_async_wait() {
#if __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_all;" ::: "memory");
#endif
}

PYGRU_DEVICE float exp_(float a) { return expf(a); }
PYGRU_DEVICE double exp_(double a) { return exp(a); }
PYGRU_DEVICE float tanh_(float a) { return tanhf(a); }
PYGRU_DEVICE double tanh_(double a) { return tanh(a); }

#define PYGRU_KERNEL __global__ void __launch_bounds__(512)
#define PYGRU_CLUSTER_KERNEL(size) \
    __global__ void __cluster_dims__(size, 1, 1) __launch_bounds__(512)

#endif  // PYGRU_EMULATION

namespace pygru {

template <typename T>
PYGRU_DEVICE T sigmoid(T a) { return T(1) / (T(1) + exp_(-a)); }

PYGRU_DEVICE int time_of_step(int step, int length, bool reverse) {
    return reverse ? length - 1 - step : step;
}

// Where a block's pieces live in its dynamic shared memory, in elements of T (ints last).
// Forward:  w [3][units][w_stride], h [2][rows][x_stride] (masked state, all units),
//           reset_h [rows][x_stride] (reset before only), input [2][rows][3 units],
//           reset_update [rows][2 units] (reset before only), own_h [rows][units] (unmasked
//           state of the own units), mask [rows][units], lengths [rows] ints.
// Backward: w_t [units][w_stride] (columns of W_hh), grad [2][rows][x_stride] (all 3H gate
//           gradients of the tile), staged [2][rows][6 units], d_hidden [rows][units],
//           mask [rows][units], lengths [rows] ints.
struct ForwardLayout {
    int w, h, reset_h, input, reset_update, own_h, mask, lengths;
    PYGRU_DEVICE ForwardLayout(bool reset_after, int units, int rows, int w_stride, int x_stride) {
        w = 0;
        h = w + 3 * units * w_stride;
        reset_h = h + 2 * rows * x_stride;
        input = reset_h + (reset_after ? 0 : rows * x_stride);
        reset_update = input + 2 * rows * 3 * units;
        own_h = reset_update + (reset_after ? 0 : rows * 2 * units);
        mask = own_h + rows * units;
        lengths = mask + rows * units;
    }
};

struct BackwardLayout {
    int w_t, grad, staged, d_hidden, mask, lengths;
    PYGRU_DEVICE BackwardLayout(int units, int rows, int w_stride, int x_stride) {
        w_t = 0;
        grad = w_t + units * w_stride;
        staged = grad + 2 * rows * x_stride;
        d_hidden = staged + 2 * rows * 6 * units;
        mask = d_hidden + rows * units;
        lengths = mask + rows * units;
    }
};

// Fields of one staged backward row: 6 blocks of `units` values.
enum StagedField { STAGED_D_OUT = 0, STAGED_R, STAGED_Z, STAGED_N, STAGED_HN, STAGED_H_PREV };

// acc[q][g] += sum over k = first, first + step, ... < end of w[g * w_gate_stride + k] *
// x[q * x_row_stride + k]: NW weight rows against ROWS state rows.
template <typename T, int ROWS, int NW>
PYGRU_DEVICE void dot_rows(T (&acc)[ROWS][NW], const T* w, int w_gate_stride, const T* x,
                           int x_row_stride, int first, int end, int step) {
    for (int k = first; k < end; k += step) {
        T w_k[NW];
#pragma unroll
        for (int g = 0; g < NW; ++g) w_k[g] = w[g * w_gate_stride + k];
#pragma unroll
        for (int q = 0; q < ROWS; ++q) {
            T x_k = x[q * x_row_stride + k];
#pragma unroll
            for (int g = 0; g < NW; ++g) acc[q][g] += w_k[g] * x_k;
        }
    }
}

// Sum over the k_split lanes of a work item (aligned groups of a power of two); every lane
// ends with the full sums. All 32 lanes of the warp must call it.
template <typename T, int ROWS, int NW>
PYGRU_DEVICE void reduce_lanes(T (&acc)[ROWS][NW], int k_split) {
    for (int offset = k_split >> 1; offset > 0; offset >>= 1) {
#pragma unroll
        for (int q = 0; q < ROWS; ++q)
#pragma unroll
            for (int g = 0; g < NW; ++g) acc[q][g] += shuffle_xor(acc[q][g], offset);
    }
}

template <typename T, int ROWS, int NW>
PYGRU_DEVICE void zero(T (&acc)[ROWS][NW]) {
#pragma unroll
    for (int q = 0; q < ROWS; ++q)
#pragma unroll
        for (int g = 0; g < NW; ++g) acc[q][g] = T(0);
}

// Which tile, cluster rank and units a block serves, and how its threads map onto work items
// (item = unit + units * row_block; a row block is ROWS consecutive rows of the tile).
template <int CLUSTER, int ROWS>
struct Tiling {
    int rank, row0, unit0, units, owned, lane, group, groups, k_split, items;
    PYGRU_DEVICE Tiling(int hidden, int tile_rows, int k_split_) {
        rank = CLUSTER == 1 ? 0 : int(blockIdx.x % CLUSTER);
        row0 = int(blockIdx.x / CLUSTER) * tile_rows;
        units = (hidden + CLUSTER - 1) / CLUSTER;
        unit0 = rank * units;
        owned = hidden - unit0 < units ? hidden - unit0 : units;
        k_split = k_split_;
        lane = int(threadIdx.x) % k_split;
        group = int(threadIdx.x) / k_split;
        groups = int(blockDim.x) / k_split;
        items = units * (tile_rows / ROWS);
    }
    // Lane that finishes row q of an item (spreads the gate math over the item's lanes).
    PYGRU_DEVICE bool finishes(int q) const { return lane == q % k_split; }
};

// ---------------------------------------------------------------------------------------------
// Forward recurrence.

template <typename T, bool RESET_AFTER, int CLUSTER, int ROWS>
PYGRU_DEVICE void forward_recurrence(
        const T* __restrict__ input_proj, const T* __restrict__ w_hh, const T* __restrict__ b_hn,
        const T* __restrict__ h0, const long long* __restrict__ lengths,
        const T* __restrict__ recurrent_mask, T* __restrict__ out, T* __restrict__ gates,
        T* __restrict__ hn, T* __restrict__ h_n, int batch, int steps, int hidden, int reverse,
        int has_mask, int tile_rows, int k_split, int w_stride, int x_stride) {
    const Tiling<CLUSTER, ROWS> tiling(hidden, tile_rows, k_split);
    const int H = hidden, U = tiling.units, rows = tile_rows;
    const int tid = int(threadIdx.x), threads = int(blockDim.x);
    const ForwardLayout layout(RESET_AFTER, U, rows, w_stride, x_stride);
    T* smem = reinterpret_cast<T*>(dynamic_shared_memory());
    T* w_s = smem + layout.w;
    T* h_s = smem + layout.h;
    T* reset_h_s = smem + layout.reset_h;
    T* input_s = smem + layout.input;
    T* reset_update_s = smem + layout.reset_update;
    T* own_h_s = smem + layout.own_h;
    T* mask_s = smem + layout.mask;
    int* length_s = reinterpret_cast<int*>(smem + layout.lengths);

    for (int e = tid; e < 3 * U * H; e += threads) {
        int g = e / (U * H), unit = (e / H) % U, k = e % H;
        w_s[(g * U + unit) * w_stride + k] =
            unit < tiling.owned ? w_hh[(size_t(g) * H + tiling.unit0 + unit) * H + k] : T(0);
    }
    for (int r = tid; r < rows; r += threads) {
        int b = tiling.row0 + r;
        length_s[r] = b < batch ? int(lengths[b]) : 0;
    }
    for (int e = tid; e < rows * H; e += threads) {
        int r = e / H, k = e % H, b = tiling.row0 + r;
        T h = T(0), mask = T(1);
        if (b < batch) {
            h = h0[size_t(b) * H + k];
            if (has_mask) mask = recurrent_mask[size_t(b) * H + k];
        }
        h_s[r * x_stride + k] = h * mask;
        const int unit = k - tiling.unit0;
        if (unit >= 0 && unit < U) {
            own_h_s[r * U + unit] = h;
            mask_s[r * U + unit] = mask;
        }
    }
    for (int e = tid; e < rows * U; e += threads)
        if (e % U >= tiling.owned) own_h_s[e] = mask_s[e] = T(0);
    block_sync();

    // The input projection of the step after the current one is copied into shared memory
    // while the current step computes.
    auto stage_input = [&](int step, T* dst) {
        for (int e = tid; e < rows * 3 * U; e += threads) {
            int r = e / (3 * U), c = e % (3 * U), g = c / U, unit = c % U;
            int length = length_s[r];
            if (step < length && unit < tiling.owned) {
                int time = time_of_step(step, length, reverse);
                size_t b = size_t(tiling.row0 + r);
                copy_async(dst + e,
                           input_proj + (b * steps + time) * 3 * H + g * H + tiling.unit0 + unit);
            }
        }
    };
    stage_input(0, input_s);
    copy_async_wait();
    cluster_sync<CLUSTER>();  // also: every block of the cluster runs before peers write to it

    for (int s = 0; s < steps; ++s) {
        const int cur = s & 1;
        const T* h_cur = h_s + cur * rows * x_stride;
        T* h_next = h_s + (cur ^ 1) * rows * x_stride;
        const T* input_cur = input_s + cur * rows * 3 * U;
        if (s + 1 < steps) stage_input(s + 1, input_s + (cur ^ 1) * rows * 3 * U);

        for (int base = 0; base < tiling.items; base += tiling.groups) {
            const int item = base + tiling.group;
            const bool valid = item < tiling.items;
            const int unit = valid ? item % U : 0, r0 = valid ? (item / U) * ROWS : 0;
            const int j = tiling.unit0 + unit;
            const T* w_unit = w_s + unit * w_stride;
            if (RESET_AFTER) {
                T acc[ROWS][3];
                zero(acc);
                if (valid)
                    dot_rows(acc, w_unit, U * w_stride, h_cur + r0 * x_stride, x_stride,
                             tiling.lane, H, k_split);
                reduce_lanes(acc, k_split);
#pragma unroll
                for (int q = 0; q < ROWS; ++q) {
                    if (!valid || unit >= tiling.owned || !tiling.finishes(q)) continue;
                    const int r = r0 + q, length = length_s[r];
                    const size_t b = size_t(tiling.row0 + r);
                    const T h_prev = own_h_s[r * U + unit];
                    T h_new = h_prev;
                    if (s < length) {
                        const int time = time_of_step(s, length, reverse);
                        const T* in = input_cur + r * 3 * U + unit;
                        const T reset = sigmoid(in[0] + acc[q][0]);
                        const T update = sigmoid(in[U] + acc[q][1]);
                        const T hidden_n = acc[q][2] + b_hn[j];
                        const T cand = tanh_(in[2 * U] + reset * hidden_n);
                        h_new = (T(1) - update) * cand + update * h_prev;
                        const size_t at = b * steps + time;
                        out[at * H + j] = h_new;
                        gates[at * 3 * H + j] = reset;
                        gates[at * 3 * H + H + j] = update;
                        gates[at * 3 * H + 2 * H + j] = cand;
                        hn[at * H + j] = hidden_n;
                    } else if (int(b) < batch) {
                        const size_t at = b * steps + s;
                        out[at * H + j] = T(0);
                        gates[at * 3 * H + j] = T(0);
                        gates[at * 3 * H + H + j] = T(0);
                        gates[at * 3 * H + 2 * H + j] = T(0);
                        hn[at * H + j] = T(0);
                    }
                    own_h_s[r * U + unit] = h_new;
                    const T h_masked = h_new * mask_s[r * U + unit];
#pragma unroll
                    for (int peer = 0; peer < CLUSTER; ++peer)
                        *peer_shared<CLUSTER>(h_next + r * x_stride + j, peer) = h_masked;
                }
            } else {
                T acc[ROWS][2];
                zero(acc);
                if (valid)
                    dot_rows(acc, w_unit, U * w_stride, h_cur + r0 * x_stride, x_stride,
                             tiling.lane, H, k_split);
                reduce_lanes(acc, k_split);
#pragma unroll
                for (int q = 0; q < ROWS; ++q) {
                    if (!valid || unit >= tiling.owned || !tiling.finishes(q)) continue;
                    const int r = r0 + q;
                    const T* in = input_cur + r * 3 * U + unit;
                    T reset = T(0), update = T(0);
                    if (s < length_s[r]) {
                        reset = sigmoid(in[0] + acc[q][0]);
                        update = sigmoid(in[U] + acc[q][1]);
                    }
                    reset_update_s[r * 2 * U + unit] = reset;
                    reset_update_s[r * 2 * U + U + unit] = update;
                    const T reset_h = reset * h_cur[r * x_stride + j];
#pragma unroll
                    for (int peer = 0; peer < CLUSTER; ++peer)
                        *peer_shared<CLUSTER>(reset_h_s + r * x_stride + j, peer) = reset_h;
                }
            }
        }
        if (!RESET_AFTER) {
            cluster_sync<CLUSTER>();
            for (int base = 0; base < tiling.items; base += tiling.groups) {
                const int item = base + tiling.group;
                const bool valid = item < tiling.items;
                const int unit = valid ? item % U : 0, r0 = valid ? (item / U) * ROWS : 0;
                const int j = tiling.unit0 + unit;
                T acc[ROWS][1];
                zero(acc);
                if (valid)
                    dot_rows(acc, w_s + (2 * U + unit) * w_stride, 0,
                             reset_h_s + r0 * x_stride, x_stride, tiling.lane, H, k_split);
                reduce_lanes(acc, k_split);
#pragma unroll
                for (int q = 0; q < ROWS; ++q) {
                    if (!valid || unit >= tiling.owned || !tiling.finishes(q)) continue;
                    const int r = r0 + q, length = length_s[r];
                    const size_t b = size_t(tiling.row0 + r);
                    const T h_prev = own_h_s[r * U + unit];
                    T h_new = h_prev;
                    if (s < length) {
                        const int time = time_of_step(s, length, reverse);
                        const T reset = reset_update_s[r * 2 * U + unit];
                        const T update = reset_update_s[r * 2 * U + U + unit];
                        const T cand = tanh_(input_cur[r * 3 * U + 2 * U + unit] + acc[q][0]);
                        h_new = (T(1) - update) * cand + update * h_prev;
                        const size_t at = b * steps + time;
                        out[at * H + j] = h_new;
                        gates[at * 3 * H + j] = reset;
                        gates[at * 3 * H + H + j] = update;
                        gates[at * 3 * H + 2 * H + j] = cand;
                    } else if (int(b) < batch) {
                        const size_t at = b * steps + s;
                        out[at * H + j] = T(0);
                        gates[at * 3 * H + j] = T(0);
                        gates[at * 3 * H + H + j] = T(0);
                        gates[at * 3 * H + 2 * H + j] = T(0);
                    }
                    own_h_s[r * U + unit] = h_new;
                    const T h_masked = h_new * mask_s[r * U + unit];
#pragma unroll
                    for (int peer = 0; peer < CLUSTER; ++peer)
                        *peer_shared<CLUSTER>(h_next + r * x_stride + j, peer) = h_masked;
                }
            }
        }
        copy_async_wait();
        cluster_sync<CLUSTER>();
    }

    for (int e = tid; e < rows * tiling.owned; e += threads) {
        int r = e / tiling.owned, unit = e % tiling.owned, b = tiling.row0 + r;
        if (b < batch) h_n[size_t(b) * H + tiling.unit0 + unit] = own_h_s[r * U + unit];
    }
}

// ---------------------------------------------------------------------------------------------
// Backward recurrence. Per step and row: the gate gradients of the block's own units (local),
// then dh_{t-1} = dh * z + dG W_hh (a product over all 3H gate gradients, exchanged like h in
// the forward pass; reset_after=False needs d(r*h) = da_n W_hn first, hence two exchanges).
// Written for the weight-gradient GEMMs: d_input_proj = [da_r, da_z, da_n], h_prev_all (the
// masked h_{t-1} that met W_hh), and d_hidden_proj = [da_r, da_z, r * da_n] (reset_after) or
// reset_hidden = r * h_prev_all (reset before).

template <typename T, bool RESET_AFTER, int CLUSTER, int ROWS>
PYGRU_DEVICE void backward_recurrence(
        const T* __restrict__ d_out, const T* __restrict__ d_h_n, const T* __restrict__ w_hh_t,
        const T* __restrict__ h0, const long long* __restrict__ lengths,
        const T* __restrict__ recurrent_mask, const T* __restrict__ out,
        const T* __restrict__ gates, const T* __restrict__ hn, T* __restrict__ d_input_proj,
        T* __restrict__ d_hidden_proj, T* __restrict__ reset_hidden, T* __restrict__ h_prev_all,
        T* __restrict__ dh0, int batch, int steps, int hidden, int reverse, int has_d_out,
        int has_mask, int tile_rows, int k_split, int w_stride, int x_stride) {
    const Tiling<CLUSTER, ROWS> tiling(hidden, tile_rows, k_split);
    const int H = hidden, U = tiling.units, rows = tile_rows;
    const int tid = int(threadIdx.x), threads = int(blockDim.x);
    const BackwardLayout layout(U, rows, w_stride, x_stride);
    T* smem = reinterpret_cast<T*>(dynamic_shared_memory());
    T* w_t_s = smem + layout.w_t;
    T* grad_s = smem + layout.grad;
    T* staged_s = smem + layout.staged;
    T* d_hidden_s = smem + layout.d_hidden;
    T* mask_s = smem + layout.mask;
    int* length_s = reinterpret_cast<int*>(smem + layout.lengths);

    for (int e = tid; e < U * 3 * H; e += threads) {
        int unit = e / (3 * H), k = e % (3 * H);
        w_t_s[unit * w_stride + k] =
            unit < tiling.owned ? w_hh_t[size_t(tiling.unit0 + unit) * 3 * H + k] : T(0);
    }
    for (int r = tid; r < rows; r += threads) {
        int b = tiling.row0 + r;
        length_s[r] = b < batch ? int(lengths[b]) : 0;
    }
    for (int e = tid; e < rows * U; e += threads) {
        int r = e / U, unit = e % U, b = tiling.row0 + r;
        const bool present = b < batch && unit < tiling.owned;
        const size_t at = size_t(b) * H + tiling.unit0 + unit;
        d_hidden_s[e] = present ? d_h_n[at] : T(0);
        mask_s[e] = present && has_mask ? recurrent_mask[at] : T(1);
    }
    block_sync();

    auto stage = [&](int step, T* dst) {
        for (int e = tid; e < rows * 6 * U; e += threads) {
            int r = e / (6 * U), field = (e / U) % 6, unit = e % U;
            int length = length_s[r];
            if (step >= length || unit >= tiling.owned) continue;
            if (field == STAGED_D_OUT && !has_d_out) continue;
            if (field == STAGED_HN && !RESET_AFTER) continue;
            const int time = time_of_step(step, length, reverse), j = tiling.unit0 + unit;
            const size_t b = size_t(tiling.row0 + r), at = b * steps + time;
            const T* src;
            if (field == STAGED_D_OUT) src = d_out + at * H + j;
            else if (field == STAGED_HN) src = hn + at * H + j;
            else if (field == STAGED_H_PREV)
                src = step == 0 ? h0 + b * H + j
                                : out + (b * steps + time + (reverse ? 1 : -1)) * H + j;
            else src = gates + at * 3 * H + (field - STAGED_R) * H + j;
            copy_async(dst + e, src);
        }
    };
    stage(steps - 1, staged_s + ((steps - 1) & 1) * rows * 6 * U);
    copy_async_wait();
    cluster_sync<CLUSTER>();

    for (int s = steps - 1; s >= 0; --s) {
        const int cur = s & 1;
        T* grad_cur = grad_s + cur * rows * x_stride;
        const T* staged_cur = staged_s + cur * rows * 6 * U;
        if (s > 0) stage(s - 1, staged_s + (cur ^ 1) * rows * 6 * U);

        // Gate gradients of the own units (reset_after=False: those of z and n only).
        for (int base = 0; base < tiling.items; base += tiling.groups) {
            const int item = base + tiling.group;
            if (item >= tiling.items) continue;
            const int unit = item % U, r0 = (item / U) * ROWS, j = tiling.unit0 + unit;
            if (unit >= tiling.owned) continue;
#pragma unroll
            for (int q = 0; q < ROWS; ++q) {
                if (!tiling.finishes(q)) continue;
                const int r = r0 + q, length = length_s[r];
                const size_t b = size_t(tiling.row0 + r);
                T* d_hidden = d_hidden_s + r * U + unit;
                T g_r = T(0), g_z = T(0), g_n = T(0);
                if (s < length) {
                    const T* st = staged_cur + r * 6 * U + unit;
                    const T reset = st[STAGED_R * U], update = st[STAGED_Z * U];
                    const T cand = st[STAGED_N * U], h_prev = st[STAGED_H_PREV * U];
                    const T dh = *d_hidden + (has_d_out ? st[STAGED_D_OUT * U] : T(0));
                    const T da_n = dh * (T(1) - update) * (T(1) - cand * cand);
                    const T da_z = dh * (h_prev - cand) * update * (T(1) - update);
                    const size_t at = b * steps + time_of_step(s, length, reverse);
                    d_input_proj[at * 3 * H + H + j] = da_z;
                    d_input_proj[at * 3 * H + 2 * H + j] = da_n;
                    h_prev_all[at * H + j] = h_prev * mask_s[r * U + unit];
                    g_z = da_z;
                    if (RESET_AFTER) {
                        const T da_r = da_n * st[STAGED_HN * U] * reset * (T(1) - reset);
                        d_input_proj[at * 3 * H + j] = da_r;
                        d_hidden_proj[at * 3 * H + j] = da_r;
                        d_hidden_proj[at * 3 * H + H + j] = da_z;
                        d_hidden_proj[at * 3 * H + 2 * H + j] = da_n * reset;
                        g_r = da_r;
                        g_n = da_n * reset;
                        *d_hidden = dh * update;
                    } else {
                        g_n = da_n;
                        *d_hidden = dh;
                    }
                } else if (int(b) < batch) {
                    const size_t at = b * steps + s;
                    d_input_proj[at * 3 * H + j] = T(0);
                    d_input_proj[at * 3 * H + H + j] = T(0);
                    d_input_proj[at * 3 * H + 2 * H + j] = T(0);
                    h_prev_all[at * H + j] = T(0);
                    if (RESET_AFTER) {
                        d_hidden_proj[at * 3 * H + j] = T(0);
                        d_hidden_proj[at * 3 * H + H + j] = T(0);
                        d_hidden_proj[at * 3 * H + 2 * H + j] = T(0);
                    } else {
                        reset_hidden[at * H + j] = T(0);
                    }
                }
#pragma unroll
                for (int peer = 0; peer < CLUSTER; ++peer) {
                    T* g = peer_shared<CLUSTER>(grad_cur + r * x_stride + j, peer);
                    if (RESET_AFTER) g[0] = g_r;
                    g[H] = g_z;
                    g[2 * H] = g_n;
                }
            }
        }
        cluster_sync<CLUSTER>();

        if (!RESET_AFTER) {
            // d(r * h_prev) = da_n W_hn, then the reset gate's gradient.
            for (int base = 0; base < tiling.items; base += tiling.groups) {
                const int item = base + tiling.group;
                const bool valid = item < tiling.items;
                const int unit = valid ? item % U : 0, r0 = valid ? (item / U) * ROWS : 0;
                const int j = tiling.unit0 + unit;
                T acc[ROWS][1];
                zero(acc);
                if (valid)
                    dot_rows(acc, w_t_s + unit * w_stride + 2 * H, 0,
                             grad_cur + r0 * x_stride + 2 * H, x_stride, tiling.lane, H,
                             k_split);
                reduce_lanes(acc, k_split);
#pragma unroll
                for (int q = 0; q < ROWS; ++q) {
                    if (!valid || unit >= tiling.owned || !tiling.finishes(q)) continue;
                    const int r = r0 + q, length = length_s[r];
                    T g_r = T(0);
                    if (s < length) {
                        const T* st = staged_cur + r * 6 * U + unit;
                        const T mask = mask_s[r * U + unit];
                        const T reset = st[STAGED_R * U];
                        const T h_masked = st[STAGED_H_PREV * U] * mask;
                        const T d_reset_h = acc[q][0];
                        g_r = d_reset_h * h_masked * reset * (T(1) - reset);
                        const size_t at = size_t(tiling.row0 + r) * steps
                                          + time_of_step(s, length, reverse);
                        d_input_proj[at * 3 * H + j] = g_r;
                        reset_hidden[at * H + j] = reset * h_masked;
                        T* d_hidden = d_hidden_s + r * U + unit;
                        *d_hidden = *d_hidden * st[STAGED_Z * U] + mask * d_reset_h * reset;
                    }
#pragma unroll
                    for (int peer = 0; peer < CLUSTER; ++peer)
                        *peer_shared<CLUSTER>(grad_cur + r * x_stride + j, peer) = g_r;
                }
            }
            cluster_sync<CLUSTER>();
        }

        // dh_{t-1} += mask * (dG W_hh) over the gates whose gradient flows through W_hh h_{t-1}.
        const int k_end = RESET_AFTER ? 3 * H : 2 * H;
        for (int base = 0; base < tiling.items; base += tiling.groups) {
            const int item = base + tiling.group;
            const bool valid = item < tiling.items;
            const int unit = valid ? item % U : 0, r0 = valid ? (item / U) * ROWS : 0;
            T acc[ROWS][1];
            zero(acc);
            if (valid)
                dot_rows(acc, w_t_s + unit * w_stride, 0, grad_cur + r0 * x_stride, x_stride,
                         tiling.lane, k_end, k_split);
            reduce_lanes(acc, k_split);
#pragma unroll
            for (int q = 0; q < ROWS; ++q) {
                if (!valid || unit >= tiling.owned || !tiling.finishes(q)) continue;
                d_hidden_s[(r0 + q) * U + unit] += mask_s[(r0 + q) * U + unit] * acc[q][0];
            }
        }
        copy_async_wait();
        block_sync();
    }

    for (int e = tid; e < rows * tiling.owned; e += threads) {
        int r = e / tiling.owned, unit = e % tiling.owned, b = tiling.row0 + r;
        if (b < batch) dh0[size_t(b) * H + tiling.unit0 + unit] = d_hidden_s[r * U + unit];
    }
}

// ---------------------------------------------------------------------------------------------
// Per-step kernels of the fallback. One thread per (row b, unit j); `step` is the step index;
// hidden_proj is this step's W_hh product from cuBLAS (of the masked state, with a recurrent
// mask).

struct StepIndex {
    int b, j, length, time;
    bool in_range, active;
    PYGRU_DEVICE StepIndex(const long long* lengths, int batch, int hidden, int step,
                           int reverse) {
        const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
        in_range = e < (long long)batch * hidden;
        b = in_range ? int(e / hidden) : 0;
        j = int(e % hidden);
        length = in_range ? int(lengths[b]) : 0;
        active = step < length;
        time = active ? time_of_step(step, length, reverse) : step;
    }
};

template <typename T>
PYGRU_DEVICE T mask_at(const T* mask, int has_mask, size_t at) {
    return has_mask ? mask[at] : T(1);
}

}  // namespace pygru

// Forward, reset_after: h_next from h_prev and hidden_proj = h_prev W_hh^T (B, 3H).
template <typename T>
PYGRU_KERNEL gru_step_forward_after(
        const T* __restrict__ input_proj, const T* __restrict__ hidden_proj,
        const T* __restrict__ b_hn, const long long* __restrict__ lengths,
        const T* __restrict__ h_prev, T* __restrict__ h_next, T* __restrict__ out,
        T* __restrict__ gates, T* __restrict__ hn, int batch, int steps, int hidden, int step,
        int reverse) {
    using namespace pygru;
    const StepIndex at(lengths, batch, hidden, step, reverse);
    if (!at.in_range) return;
    const int H = hidden, j = at.j;
    const size_t row = size_t(at.b) * H, pos = size_t(at.b) * steps + at.time;
    if (!at.active) {
        h_next[row + j] = h_prev[row + j];
        out[pos * H + j] = T(0);
        gates[pos * 3 * H + j] = gates[pos * 3 * H + H + j] = gates[pos * 3 * H + 2 * H + j] = T(0);
        hn[pos * H + j] = T(0);
        return;
    }
    const T* in = input_proj + pos * 3 * H;
    const T* proj = hidden_proj + size_t(at.b) * 3 * H;
    const T reset = sigmoid(in[j] + proj[j]);
    const T update = sigmoid(in[H + j] + proj[H + j]);
    const T hidden_n = proj[2 * H + j] + b_hn[j];
    const T cand = tanh_(in[2 * H + j] + reset * hidden_n);
    const T h_new = (T(1) - update) * cand + update * h_prev[row + j];
    h_next[row + j] = h_new;
    out[pos * H + j] = h_new;
    gates[pos * 3 * H + j] = reset;
    gates[pos * 3 * H + H + j] = update;
    gates[pos * 3 * H + 2 * H + j] = cand;
    hn[pos * H + j] = hidden_n;
}

// Forward, reset before: r and z from hidden_proj = h_masked W_h[r,z]^T (B, 2H); writes
// r * h_masked.
template <typename T>
PYGRU_KERNEL gru_step_forward_reset(
        const T* __restrict__ input_proj, const T* __restrict__ hidden_proj,
        const long long* __restrict__ lengths, const T* __restrict__ h_masked,
        T* __restrict__ reset_h, T* __restrict__ gates, int batch, int steps, int hidden,
        int step, int reverse) {
    using namespace pygru;
    const StepIndex at(lengths, batch, hidden, step, reverse);
    if (!at.in_range) return;
    const int H = hidden, j = at.j;
    const size_t row = size_t(at.b) * H, pos = size_t(at.b) * steps + at.time;
    if (!at.active) {
        reset_h[row + j] = T(0);
        gates[pos * 3 * H + j] = gates[pos * 3 * H + H + j] = T(0);
        return;
    }
    const T* in = input_proj + pos * 3 * H;
    const T* proj = hidden_proj + size_t(at.b) * 2 * H;
    const T reset = sigmoid(in[j] + proj[j]);
    gates[pos * 3 * H + j] = reset;
    gates[pos * 3 * H + H + j] = sigmoid(in[H + j] + proj[H + j]);
    reset_h[row + j] = reset * h_masked[row + j];
}

// Forward, reset before: n and h from candidate_proj = (r * h_prev) W_hn^T (B, H).
template <typename T>
PYGRU_KERNEL gru_step_forward_candidate(
        const T* __restrict__ input_proj, const T* __restrict__ candidate_proj,
        const long long* __restrict__ lengths, const T* __restrict__ h_prev,
        T* __restrict__ h_next, T* __restrict__ out, T* __restrict__ gates, int batch,
        int steps, int hidden, int step, int reverse) {
    using namespace pygru;
    const StepIndex at(lengths, batch, hidden, step, reverse);
    if (!at.in_range) return;
    const int H = hidden, j = at.j;
    const size_t row = size_t(at.b) * H, pos = size_t(at.b) * steps + at.time;
    if (!at.active) {
        h_next[row + j] = h_prev[row + j];
        out[pos * H + j] = T(0);
        gates[pos * 3 * H + 2 * H + j] = T(0);
        return;
    }
    const T update = gates[pos * 3 * H + H + j];
    const T cand = tanh_(input_proj[pos * 3 * H + 2 * H + j] + candidate_proj[row + j]);
    const T h_new = (T(1) - update) * cand + update * h_prev[row + j];
    gates[pos * 3 * H + 2 * H + j] = cand;
    h_next[row + j] = h_new;
    out[pos * H + j] = h_new;
}

// The backward step kernels carry dh_{t-1} in two parts: `carry` (dh * z and the
// pass-through of finished sequences, updated in place) and `product` (dG W_hh from the
// cuBLAS GEMM after the previous step kernel); dh = carry + mask * product (+ d_out).


// Backward, reset_after: all gate gradients; step_grad (B, 3H) = [da_r, da_z, r * da_n] is the
// left operand of the GEMM step_grad W_hh that gives the next `product`.
template <typename T>
PYGRU_KERNEL gru_step_backward_after(
        const T* __restrict__ d_out, int has_d_out, T* __restrict__ carry,
        const T* __restrict__ product, const T* __restrict__ h0,
        const long long* __restrict__ lengths, const T* __restrict__ recurrent_mask,
        int has_mask, const T* __restrict__ out, const T* __restrict__ gates,
        const T* __restrict__ hn, T* __restrict__ d_input_proj, T* __restrict__ d_hidden_proj,
        T* __restrict__ h_prev_all, T* __restrict__ step_grad, int batch, int steps,
        int hidden, int step, int reverse) {
    using namespace pygru;
    const StepIndex at(lengths, batch, hidden, step, reverse);
    if (!at.in_range) return;
    const int H = hidden, j = at.j;
    const size_t row = size_t(at.b) * H, pos = size_t(at.b) * steps + at.time;
    T* grad = step_grad + size_t(at.b) * 3 * H;
    const T mask = mask_at(recurrent_mask, has_mask, row + j);
    const T dh_in = carry[row + j] + mask * product[row + j];
    if (!at.active) {
        carry[row + j] = dh_in;
        grad[j] = grad[H + j] = grad[2 * H + j] = T(0);
        for (int g = 0; g < 3; ++g)
            d_input_proj[pos * 3 * H + g * H + j] = d_hidden_proj[pos * 3 * H + g * H + j] = T(0);
        h_prev_all[pos * H + j] = T(0);
        return;
    }
    const T dh = dh_in + (has_d_out ? d_out[pos * H + j] : T(0));
    const T reset = gates[pos * 3 * H + j], update = gates[pos * 3 * H + H + j];
    const T cand = gates[pos * 3 * H + 2 * H + j];
    const int prev_time = at.time + (reverse ? 1 : -1);
    const T h_prev = step == 0 ? h0[row + j] : out[(size_t(at.b) * steps + prev_time) * H + j];
    const T da_n = dh * (T(1) - update) * (T(1) - cand * cand);
    const T da_z = dh * (h_prev - cand) * update * (T(1) - update);
    const T da_r = da_n * hn[pos * H + j] * reset * (T(1) - reset);
    d_input_proj[pos * 3 * H + j] = da_r;
    d_input_proj[pos * 3 * H + H + j] = da_z;
    d_input_proj[pos * 3 * H + 2 * H + j] = da_n;
    d_hidden_proj[pos * 3 * H + j] = grad[j] = da_r;
    d_hidden_proj[pos * 3 * H + H + j] = grad[H + j] = da_z;
    d_hidden_proj[pos * 3 * H + 2 * H + j] = grad[2 * H + j] = da_n * reset;
    h_prev_all[pos * H + j] = h_prev * mask;
    carry[row + j] = dh * update;
}

// Backward, reset before, first half: gradients of z and n. Leaves dh in `carry`, da_n in
// candidate_grad (B, H) for the GEMM da_n W_hn = d(r * h_prev), and da_z in
// reset_update_grad[:, H:] (B, 2H).
template <typename T>
PYGRU_KERNEL gru_step_backward_candidate(
        const T* __restrict__ d_out, int has_d_out, T* __restrict__ carry,
        const T* __restrict__ product, const T* __restrict__ h0,
        const long long* __restrict__ lengths, const T* __restrict__ recurrent_mask,
        int has_mask, const T* __restrict__ out, const T* __restrict__ gates,
        T* __restrict__ d_input_proj, T* __restrict__ reset_hidden, T* __restrict__ h_prev_all,
        T* __restrict__ candidate_grad, T* __restrict__ reset_update_grad, int batch, int steps,
        int hidden, int step, int reverse) {
    using namespace pygru;
    const StepIndex at(lengths, batch, hidden, step, reverse);
    if (!at.in_range) return;
    const int H = hidden, j = at.j;
    const size_t row = size_t(at.b) * H, pos = size_t(at.b) * steps + at.time;
    const T mask = mask_at(recurrent_mask, has_mask, row + j);
    const T dh_in = carry[row + j] + mask * product[row + j];
    if (!at.active) {
        carry[row + j] = dh_in;
        candidate_grad[row + j] = T(0);
        reset_update_grad[size_t(at.b) * 2 * H + H + j] = T(0);
        for (int g = 0; g < 3; ++g) d_input_proj[pos * 3 * H + g * H + j] = T(0);
        reset_hidden[pos * H + j] = h_prev_all[pos * H + j] = T(0);
        return;
    }
    const T dh = dh_in + (has_d_out ? d_out[pos * H + j] : T(0));
    const T update = gates[pos * 3 * H + H + j], cand = gates[pos * 3 * H + 2 * H + j];
    const int prev_time = at.time + (reverse ? 1 : -1);
    const T h_prev = step == 0 ? h0[row + j] : out[(size_t(at.b) * steps + prev_time) * H + j];
    const T da_n = dh * (T(1) - update) * (T(1) - cand * cand);
    const T da_z = dh * (h_prev - cand) * update * (T(1) - update);
    d_input_proj[pos * 3 * H + H + j] = da_z;
    d_input_proj[pos * 3 * H + 2 * H + j] = da_n;
    h_prev_all[pos * H + j] = h_prev * mask;
    candidate_grad[row + j] = da_n;
    reset_update_grad[size_t(at.b) * 2 * H + H + j] = da_z;
    carry[row + j] = dh;
}

// Backward, reset before, second half: gradient of r from d_reset_h = da_n W_hn (B, H); writes
// da_r into reset_update_grad[:, :H] for the GEMM [da_r, da_z] W_h[r,z].
template <typename T>
PYGRU_KERNEL gru_step_backward_reset(
        const T* __restrict__ d_reset_h, T* __restrict__ carry,
        const long long* __restrict__ lengths, const T* __restrict__ recurrent_mask,
        int has_mask, const T* __restrict__ gates,
        const T* __restrict__ h_prev_all, T* __restrict__ d_input_proj,
        T* __restrict__ reset_hidden, T* __restrict__ reset_update_grad, int batch, int steps,
        int hidden, int step, int reverse) {
    using namespace pygru;
    const StepIndex at(lengths, batch, hidden, step, reverse);
    if (!at.in_range) return;
    const int H = hidden, j = at.j;
    const size_t row = size_t(at.b) * H, pos = size_t(at.b) * steps + at.time;
    if (!at.active) {
        reset_update_grad[size_t(at.b) * 2 * H + j] = T(0);
        return;
    }
    const T reset = gates[pos * 3 * H + j], update = gates[pos * 3 * H + H + j];
    const T h_masked = h_prev_all[pos * H + j], d_rh = d_reset_h[row + j];
    const T da_r = d_rh * h_masked * reset * (T(1) - reset);
    d_input_proj[pos * 3 * H + j] = da_r;
    reset_hidden[pos * H + j] = reset * h_masked;
    reset_update_grad[size_t(at.b) * 2 * H + j] = da_r;
    carry[row + j] = carry[row + j] * update
                     + mask_at(recurrent_mask, has_mask, row + j) * d_rh * reset;
}

// ---------------------------------------------------------------------------------------------
// Entry points of the persistent kernels.

template <typename T, bool RESET_AFTER, int ROWS>
PYGRU_KERNEL gru_forward_block(
        const T* input_proj, const T* w_hh, const T* b_hn, const T* h0, const long long* lengths,
        const T* recurrent_mask, T* out, T* gates, T* hn, T* h_n, int batch, int steps,
        int hidden, int reverse, int has_mask, int tile_rows, int k_split, int w_stride,
        int x_stride) {
    pygru::forward_recurrence<T, RESET_AFTER, 1, ROWS>(
        input_proj, w_hh, b_hn, h0, lengths, recurrent_mask, out, gates, hn, h_n, batch, steps,
        hidden, reverse, has_mask, tile_rows, k_split, w_stride, x_stride);
}

template <typename T, bool RESET_AFTER, int ROWS>
PYGRU_KERNEL gru_backward_block(
        const T* d_out, const T* d_h_n, const T* w_hh_t, const T* h0, const long long* lengths,
        const T* recurrent_mask, const T* out, const T* gates, const T* hn, T* d_input_proj,
        T* d_hidden_proj, T* reset_hidden, T* h_prev_all, T* dh0, int batch, int steps,
        int hidden, int reverse, int has_d_out, int has_mask, int tile_rows, int k_split,
        int w_stride, int x_stride) {
    pygru::backward_recurrence<T, RESET_AFTER, 1, ROWS>(
        d_out, d_h_n, w_hh_t, h0, lengths, recurrent_mask, out, gates, hn, d_input_proj,
        d_hidden_proj, reset_hidden, h_prev_all, dh0, batch, steps, hidden, reverse, has_d_out,
        has_mask, tile_rows, k_split, w_stride, x_stride);
}

// Thread-block clusters exist from sm_90 on.
#if defined(PYGRU_EMULATION) || __CUDA_ARCH__ >= 900

template <typename T, bool RESET_AFTER, int CLUSTER, int ROWS>
PYGRU_CLUSTER_KERNEL(CLUSTER) gru_forward_cluster(
        const T* input_proj, const T* w_hh, const T* b_hn, const T* h0, const long long* lengths,
        const T* recurrent_mask, T* out, T* gates, T* hn, T* h_n, int batch, int steps,
        int hidden, int reverse, int has_mask, int tile_rows, int k_split, int w_stride,
        int x_stride) {
    pygru::forward_recurrence<T, RESET_AFTER, CLUSTER, ROWS>(
        input_proj, w_hh, b_hn, h0, lengths, recurrent_mask, out, gates, hn, h_n, batch, steps,
        hidden, reverse, has_mask, tile_rows, k_split, w_stride, x_stride);
}

template <typename T, bool RESET_AFTER, int CLUSTER, int ROWS>
PYGRU_CLUSTER_KERNEL(CLUSTER) gru_backward_cluster(
        const T* d_out, const T* d_h_n, const T* w_hh_t, const T* h0, const long long* lengths,
        const T* recurrent_mask, const T* out, const T* gates, const T* hn, T* d_input_proj,
        T* d_hidden_proj, T* reset_hidden, T* h_prev_all, T* dh0, int batch, int steps,
        int hidden, int reverse, int has_d_out, int has_mask, int tile_rows, int k_split,
        int w_stride, int x_stride) {
    pygru::backward_recurrence<T, RESET_AFTER, CLUSTER, ROWS>(
        d_out, d_h_n, w_hh_t, h0, lengths, recurrent_mask, out, gates, hn, d_input_proj,
        d_hidden_proj, reset_hidden, h_prev_all, dh0, batch, steps, hidden, reverse, has_d_out,
        has_mask, tile_rows, k_split, w_stride, x_stride);
}

#endif
