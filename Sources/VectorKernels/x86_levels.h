#ifndef STYLED_X86_LEVELS_H
#define STYLED_X86_LEVELS_H

// No a * b + c is fused into one rounding: the results are then the same on every CPU level
// below, and bit-identical to the Swift loops these replaced (Swift never fuses).
#pragma clang fp contract(off)

// Each kernel is built for AVX-512, AVX2 and baseline x86-64, chosen as the library loads, so
// that the binary runs on any x86-64 (the Swift build targets the baseline).
#if defined(__x86_64__)
#define FOR_EACH_X86_LEVEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FOR_EACH_X86_LEVEL
#endif

#endif
