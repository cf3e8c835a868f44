/* What the running CPU and OS support, for picking a kernel path (pygru._cpu).
 *
 * GCC's __builtin_cpu_supports also checks that the OS saves the vector registers (XCR0),
 * so a path is offered only where its instructions really run. The levels are those of the
 * x86-64 psABI that setup.py compiles for: x86-64-v3 (AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE)
 * and x86-64-v4 (AVX-512 F, BW, CD, DQ, VL).
 */
#ifndef PYGRU_CPU_FEATURES_H
#define PYGRU_CPU_FEATURES_H

/* setup.py defines PYGRU_BASELINE_CODE for the wider paths: a target attribute that compiles
 * a function for plain x86-64, for these checks, which run before the CPU is known to have
 * the path's instructions (_path_guard.c). */
#ifndef PYGRU_BASELINE_CODE
#define PYGRU_BASELINE_CODE
#endif

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__) && !defined(__clang__) \
    && __GNUC__ >= 12
static PYGRU_BASELINE_CODE int cpu_supports_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v3");
}

static PYGRU_BASELINE_CODE int cpu_supports_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v4");
}
#elif (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
/* Older GCC and clang know no level names. F16C, LZCNT and MOVBE are not asked for (clang
 * 13's builtin does not know "f16c"): every CPU with AVX2, FMA and BMI2 has them. */
static PYGRU_BASELINE_CODE int cpu_supports_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
           && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
}

static PYGRU_BASELINE_CODE int cpu_supports_avx512(void)
{
    __builtin_cpu_init();
    return cpu_supports_avx2_fma() && __builtin_cpu_supports("avx512f")
           && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512cd")
           && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}
#else
static int cpu_supports_avx2_fma(void) { return 0; }
static int cpu_supports_avx512(void) { return 0; }
#endif

#endif
