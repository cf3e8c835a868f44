// Runs the kernels of pygru/_cuda/gru.cu as plain C++ on the CPU, to test their logic without a
// GPU: one std::thread per CUDA thread, __syncthreads and the cluster barrier as std::barrier,
// each block's dynamic shared memory a separate buffer, distributed shared memory as a pointer
// into a peer block's buffer, warp shuffles through a per-warp exchange array.
//
// gru.cu uses only the primitives defined here (its own versions sit behind
// #ifndef PYGRU_EMULATION). Shared memory starts filled with NaN bytes and is surrounded by
// NaN guard zones: reading what was never written gives NaN results, writing outside the
// block's bytes is reported after the launch, as is a peer address outside the buffer.
#pragma once

#define PYGRU_EMULATION 1

#include <atomic>
#include <barrier>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

using std::size_t;

struct uint3 {
    unsigned x, y, z;
};

namespace emulation {

struct Warp {
    std::barrier<> barrier{32};
    unsigned long long slots[32];
};

struct Block {
    unsigned char* shared;
    size_t shared_bytes;
    std::barrier<>* barrier;
    Warp* warps;
};

struct Cluster {
    Block* blocks;
    int size;
    std::barrier<>* barrier;
};

inline thread_local Block* block = nullptr;
inline thread_local Cluster* cluster = nullptr;
inline std::atomic<int> violations{0};

inline void violation() { violations.fetch_add(1); }

}  // namespace emulation

inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline uint3 blockDim;
inline uint3 gridDim;

#define PYGRU_DEVICE inline
#define PYGRU_KERNEL void
#define PYGRU_CLUSTER_KERNEL(size) void
#define __restrict__ __restrict

inline unsigned char* dynamic_shared_memory() { return emulation::block->shared; }

inline void block_sync() { emulation::block->barrier->arrive_and_wait(); }

template <int CLUSTER>
inline void cluster_sync() {
    if (CLUSTER == 1) {
        block_sync();
    } else {
        if (!emulation::cluster || emulation::cluster->size != CLUSTER) emulation::violation();
        emulation::cluster->barrier->arrive_and_wait();
    }
}

template <int CLUSTER, typename T>
inline T* peer_shared(T* local, int rank) {
    using namespace emulation;
    static thread_local unsigned char scratch[16];
    const auto* address = reinterpret_cast<const unsigned char*>(local);
    if (address < block->shared || address + sizeof(T) > block->shared + block->shared_bytes
            || rank < 0 || rank >= CLUSTER || (CLUSTER > 1 && rank >= cluster->size)) {
        violation();
        return reinterpret_cast<T*>(scratch);
    }
    if (CLUSTER == 1) return local;
    return reinterpret_cast<T*>(cluster->blocks[rank].shared + (address - block->shared));
}

template <typename T>
inline T shuffle_xor(T value, int lane_mask) {
    emulation::Warp& warp = emulation::block->warps[threadIdx.x / 32];
    const unsigned lane = threadIdx.x % 32;
    static_assert(sizeof(T) <= sizeof(unsigned long long));
    std::memcpy(&warp.slots[lane], &value, sizeof(T));
    warp.barrier.arrive_and_wait();
    T result;
    std::memcpy(&result, &warp.slots[lane ^ unsigned(lane_mask)], sizeof(T));
    warp.barrier.arrive_and_wait();
    return result;
}

template <typename T>
inline void copy_async(T* shared_dst, const T* global_src) {
    using namespace emulation;
    const auto* address = reinterpret_cast<const unsigned char*>(shared_dst);
    if (address < block->shared || address + sizeof(T) > block->shared + block->shared_bytes) {
        violation();
        return;
    }
    *shared_dst = *global_src;
}

inline void copy_async_wait() {}

inline float exp_(float a) { return std::exp(a); }
inline double exp_(double a) { return std::exp(a); }
inline float tanh_(float a) { return std::tanh(a); }
inline double tanh_(double a) { return std::tanh(a); }
