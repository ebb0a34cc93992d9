#ifndef STYLED_WINOGRAD_KERNELS_H
#define STYLED_WINOGRAD_KERNELS_H

// Winograd F(4×4, 3×3)'s input and output transforms for one row of tiles (WinogradF4.swift
// has the matrices and the layout). They run on every tile of every call, so they are in C:
// with `restrict` the compiler may vectorise them across tiles, and each is built for
// AVX-512, AVX2 and baseline x86-64, chosen as the library loads.

/// V[ξ] = (Bᵀ d B)[ξ] for `tiles` tiles side by side: d is the 6×6 block at column 4t of the six
/// rows at `rows` (each `padded` values apart); point ξ of tile t goes to v[ξ · stride + t].
void styled_winograd4_input(const float *rows, long padded, long tiles, float *v, long stride);

/// The 4×4 outputs (Aᵀ M A) + bias, at least `floor`, of `tiles` tiles side by side: point ξ of
/// tile t is m[ξ · stride + t]; output (i, j) of tile t goes to rows[i · padded + 4t + j].
void styled_winograd4_output(const float *m, long stride, long tiles, float *rows, long padded, float bias, float floor);

#endif
