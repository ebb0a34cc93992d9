#define _GNU_SOURCE
#include "CSystem.h"
#include <fcntl.h>
#include <stdio.h>

int styled_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

// CPUID through the compiler (it also checks that the kernel saves the registers): /proc/cpuinfo
// is hidden from the service by its unit's ProcSubset=pid.
int styled_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int styled_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
