// System calls that Swift's Glibc module does not expose.
#pragma once

// mallopt and malloc_trim, for Allocator.swift.
#include <malloc.h>

// renameat2(from, to, RENAME_NOREPLACE): an atomic rename that fails with EEXIST rather
// than replace what is at `to`. Returns 0, or -1 with errno set.
int styled_rename_noreplace(const char *from, const char *to);

// Whether the CPU (and the kernel) supports AVX2 with FMA; AVX-512 F, BW, VL and DQ.
int styled_cpu_has_avx2(void);
int styled_cpu_has_avx512(void);
