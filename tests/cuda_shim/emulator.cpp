// Kernel launches for the CPU emulation (see cuda_emulation.h). Built by
// tests/test_cuda_source.py together with gru.cu and a generated list of registered template
// instantiations (PYGRU_EMULATED_KERNEL lines), as one shared library called through ctypes.
//
// pygru_emulate(name, grid, threads, shared_bytes, cluster, args) runs kernel `name` (its
// template expression, as in the CuPy name_expressions) like a launch with `grid` blocks of
// `threads` threads: clusters one after the other (tiles never synchronise), all threads of a
// cluster at once. `args` points to the arguments as cuLaunchKernel's kernelParams do.
// pygru_emulated_kernel_signature(name) spells the kernel's parameter types, one letter each
// (f/d/q: pointer to float/double/long long, i: int), so a caller can check its arguments.
#include "cuda_emulation.h"

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace emulation {

using Thunk = std::function<void(void**)>;

struct Kernel {
    Thunk run;
    std::string signature;
};

std::map<std::string, Kernel>& registry() {
    static std::map<std::string, Kernel> kernels;
    return kernels;
}

template <typename T>
constexpr char type_code() {
    using Plain = std::remove_cv_t<std::remove_pointer_t<std::remove_cv_t<T>>>;
    if constexpr (std::is_pointer_v<std::remove_cv_t<T>>) {
        static_assert(std::is_same_v<Plain, float> || std::is_same_v<Plain, double>
                      || std::is_same_v<Plain, long long>);
        return std::is_same_v<Plain, float> ? 'f' : std::is_same_v<Plain, double> ? 'd' : 'q';
    } else {
        static_assert(std::is_same_v<Plain, int>);
        return 'i';
    }
}

template <typename... Args, size_t... I>
void call(void (*kernel)(Args...), void** args, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_cv_t<Args>*>(args[I])...);
}

template <typename... Args>
bool add(const char* name, void (*kernel)(Args...)) {
    registry()[name] = Kernel{
        [kernel](void** args) { call(kernel, args, std::index_sequence_for<Args...>{}); },
        std::string{type_code<Args>()...}};
    return true;
}

constexpr size_t kGuard = 256;

}  // namespace emulation

#define PYGRU_EMULATED_KERNEL(name, ...) \
    static const bool PYGRU_CAT(registered_, __LINE__) = emulation::add(name, &__VA_ARGS__);
#define PYGRU_CAT(a, b) PYGRU_CAT_(a, b)
#define PYGRU_CAT_(a, b) a##b

#include PYGRU_KERNEL_LIST

extern "C" {

// Returns 0 on success, 1 for an unknown kernel, 2 for a bad launch shape, 3 when shared
// memory was used outside the block's bytes or a peer address was out of range.
int pygru_emulate(const char* name, int grid, int threads, long long shared_bytes, int cluster,
                  void** args) {
    using namespace emulation;
    auto found = registry().find(name);
    if (found == registry().end()) return 1;
    if (grid < 1 || cluster < 1 || grid % cluster || threads < 32 || threads % 32
            || shared_bytes < 0)
        return 2;
    const Thunk& kernel = found->second.run;
    const int warps_per_block = threads / 32;
    blockDim = {unsigned(threads), 1, 1};
    gridDim = {unsigned(grid), 1, 1};
    violations = 0;
    const size_t span = kGuard + size_t(shared_bytes) + kGuard;
    for (int first = 0; first < grid; first += cluster) {
        std::vector<std::vector<unsigned char>> memory(cluster,
                                                       std::vector<unsigned char>(span, 0xFF));
        std::vector<std::unique_ptr<std::barrier<>>> block_barriers;
        std::vector<std::unique_ptr<Warp[]>> warps;
        std::vector<Block> blocks(cluster);
        for (int rank = 0; rank < cluster; ++rank) {
            block_barriers.push_back(std::make_unique<std::barrier<>>(threads));
            warps.push_back(std::make_unique<Warp[]>(warps_per_block));
            blocks[rank] = Block{memory[rank].data() + kGuard, size_t(shared_bytes),
                                 block_barriers.back().get(), warps.back().get()};
        }
        std::barrier<> cluster_barrier(cluster * threads);
        Cluster context{blocks.data(), cluster, &cluster_barrier};
        std::vector<std::thread> pool;
        pool.reserve(size_t(cluster) * threads);
        for (int rank = 0; rank < cluster; ++rank)
            for (int t = 0; t < threads; ++t)
                pool.emplace_back([&, rank, t] {
                    block = &blocks[rank];
                    emulation::cluster = &context;
                    threadIdx = {unsigned(t), 0, 0};
                    blockIdx = {unsigned(first + rank), 0, 0};
                    kernel(args);
                });
        for (auto& thread : pool) thread.join();
        for (const auto& bytes : memory)
            for (size_t i = 0; i < kGuard; ++i)
                if (bytes[i] != 0xFF || bytes[span - 1 - i] != 0xFF) violation();
    }
    return violations ? 3 : 0;
}

int pygru_emulated_kernel_count() { return int(emulation::registry().size()); }

// Null for an unknown kernel.
const char* pygru_emulated_kernel_signature(const char* name) {
    auto found = emulation::registry().find(name);
    return found == emulation::registry().end() ? nullptr : found->second.signature.c_str();
}

}  // extern "C"
