#ifndef STYLED_VECTOR_KERNELS_H
#define STYLED_VECTOR_KERNELS_H

// The engine's innermost loops that Swift leaves scalar: they run over every activation of
// every pass, so they are in C, where `restrict` lets the compiler vectorise them, and each is
// built for AVX-512, AVX2 and baseline x86-64, chosen as the library loads.

// Winograd's transforms for one row of tiles, F(n×n, 3×3) with n = 2 (winograd2.c) and 4
// (winograd4.c), whose files have the matrices; an input tile is n + 2 values a side, and a
// tile or kernel has (n + 2)² points. Each is vectorised on the promise that its iterations write
// disjoint values: `stride` at least `count` or `tiles`, `length` at least `tiles` + 1, and
// `padded` at least n · `tiles` for the output's rows.

/// U[ξ] = (G g Gᵀ)[ξ] for `count` 3×3 kernels, 9 values apart from `kernels`: point ξ of kernel k
/// goes to u[ξ · stride + k].
void styled_winograd2_kernels(const float *kernels, long count, float *u, long stride);
void styled_winograd4_kernels(const float *kernels, long count, float *u, long stride);

/// One input row for the input transform: the row's `width` values (taken through ReLU's
/// backward if `relu_output` is given: source[x] where relu_output[x] > 0, else 0) with one zero
/// before them and zeros after, split by column into n phases of `length` values (n · `length` >
/// `width`): padded column n · t + p goes to phases[p · length + t].
void styled_winograd2_gather_row(const float *source, const float *relu_output, long width, float *phases, long length);
void styled_winograd4_gather_row(const float *source, const float *relu_output, long width, float *phases, long length);

/// V[ξ] = (Bᵀ d B)[ξ] for `tiles` tiles side by side, tiles + 1 ≤ `length`: d is the (n + 2)²
/// block at padded column n · t of the n + 2 gathered rows at `rows` (each n · `length` values
/// apart); point ξ of tile t goes to v[ξ · stride + t].
void styled_winograd2_input(const float *rows, long length, long tiles, float *v, long stride);
void styled_winograd4_input(const float *rows, long length, long tiles, float *v, long stride);

/// The n × n outputs (Aᵀ M A) + bias, at least `floor`, of `tiles` tiles side by side: point ξ of
/// tile t is m[ξ · stride + t]; output (i, j) of tile t goes to rows[i · padded + n · t + j].
void styled_winograd2_output(const float *m, long stride, long tiles, float *rows, long padded, float bias, float floor);
void styled_winograd4_output(const float *m, long stride, long tiles, float *rows, long padded, float bias, float floor);

// 2×2 pooling with stride 2 (Pool.swift), one row of outputs from the input rows `top` and
// `bottom`: output x pools top[2x], top[2x + 1], bottom[2x], bottom[2x + 1], numbered 0 to 3.

/// The largest of each window, and which of the four it was (the first, on a tie).
void styled_max_pool_row(const float *top, const float *bottom, long outputs, float *out, unsigned char *winners);

/// The sum of each window times `factor`.
void styled_average_pool_row(const float *top, const float *bottom, long outputs, float factor, float *out);

/// Each output's gradient to its window's winner, zero to the other three.
void styled_max_pool_backward_row(const float *gradient, const unsigned char *winners, long outputs, float *top, float *bottom);

/// Each output's gradient times `factor` to all four of its window.
void styled_average_pool_backward_row(const float *gradient, long outputs, float factor, float *top, float *bottom);

#endif
