#ifndef STYLED_WINOGRAD_TILES_H
#define STYLED_WINOGRAD_TILES_H

#include "x86_levels.h"

// The loops of F(n×n, 3×3) for n = 2 and 4 (VectorKernels.h has their contracts), each
// written once for a tile of a = n + 2 points a side and the tile's three 1-D transforms, which
// winograd2.c and winograd4.c give: always inlined there, with n and the transforms constant,
// so that each copy is unrolled and vectorised for its own tile.

/// A 1-D transform: `out` from the values x[0], x[step], x[2 · step], ….
typedef void (*points_fn)(const float *x, long step, float *out);

/// One kernel's or input tile's 2-D transform X x Xᵀ, for the 1-D X = `points`: X applied to each
/// of its `width` columns (column j's values from column_start[j], `step` apart), then to each
/// row of the result; point (i, j) goes to target[(a · i + j) · stride].
__attribute__((always_inline)) static inline void transform_square(const float *const column_start[6], long step, const int width,
                                                                   const int a, points_fn points, float *restrict target,
                                                                   long stride) {
    // column[j][i] is row i of transformed column j.
    float column[6][6];
#pragma unroll
    for (int j = 0; j < width; j++) points(column_start[j], step, column[j]);
#pragma unroll
    for (int i = 0; i < a; i++) {
        float point[6];
        points(&column[0][i], 6, point);
#pragma unroll
        for (int j = 0; j < a; j++) target[(a * i + j) * stride] = point[j];
    }
}

/// U for `count` kernels, with G x = `kernel_points`.
__attribute__((always_inline)) static inline void transform_kernels(const float *restrict kernels, long count, float *restrict u,
                                                                    long stride, const int a, points_fn kernel_points) {
    // Vectorised across kernels, as the transforms below across tiles, each unrolled within, so
    // that its values stay in registers. The iterations write disjoint values (stride ≥ count,
    // the header's condition), which the compiler cannot prove: with only `enable` it guarded the
    // vector loop with overlap checks that sent every call to the scalar loop (28 ns a tile for
    // the output transform, 2.4–3.8 ns vectorised).
#pragma clang loop vectorize(assume_safety)
    for (long k = 0; k < count; k++) {
        const float *const g = kernels + 9 * k, *const column_start[6] = {g, g + 1, g + 2};
        transform_square(column_start, 3, 3, a, kernel_points, u + k, stride);
    }
}

/// V for `tiles` tiles of the gathered rows (below), with Bᵀ x = `input_points`.
__attribute__((always_inline)) static inline void transform_input(const float *restrict rows, long length, long tiles,
                                                                  float *restrict v, long stride, const int n,
                                                                  points_fn input_points) {
    const int a = n + 2;
#pragma clang loop vectorize(assume_safety)
    for (long t = 0; t < tiles; t++) {
        // Column j of the tile's row i is phase j mod n of gathered row i at t + j / n.
        const float *column_start[6];
#pragma unroll
        for (int j = 0; j < a; j++) column_start[j] = rows + (j % n) * length + t + j / n;
        transform_square(column_start, n * length, a, a, input_points, v + t, stride);
    }
}

/// The outputs of `tiles` tiles, with Aᵀ x = `output_points`.
__attribute__((always_inline)) static inline void transform_output(const float *restrict m, long stride, long tiles,
                                                                   float *restrict rows, long padded, float bias, float floor,
                                                                   const int n, points_fn output_points) {
    const int a = n + 2;
#pragma clang loop vectorize(assume_safety)
    for (long t = 0; t < tiles; t++) {
        // Aᵀ M, column by column: point (i, j) of the tile is m[(a · i + j) · stride + t].
        float column[6][6];
#pragma unroll
        for (int j = 0; j < a; j++) output_points(m + j * stride + t, a * stride, column[j]);
        // (Aᵀ M) A, row by row, with the bias and the clamp.
#pragma unroll
        for (int i = 0; i < n; i++) {
            float y[6];
            output_points(&column[0][i], 6, y);
#pragma unroll
            for (int j = 0; j < n; j++) {
                const float value = y[j] + bias;
                rows[i * padded + n * t + j] = value >= floor ? value : floor;  // as Swift's max(floor, value)
            }
        }
    }
}

// The gathering of one input row for the input transform: split by column into n phases, so
// that the transform reads each of a tile's n + 2 columns with unit stride. (Read straight from
// the padded row, the columns overlap from tile to tile; the vectoriser then kept one tile back
// for a scalar loop, which on rows of 16 tiles was all of them.)
__attribute__((always_inline)) static inline void gather_row(const float *restrict source, const float *restrict relu_output, long width,
                              float *restrict phases, long length, const long n) {
    // Padded column x = n·t + p holds source[x − 1] for 1 ≤ x ≤ width, zero elsewhere. Tiles
    // 1 ..< interior hold no padding and run vectorised; the first and the last, value by value.
    long interior = (width + 1) / n;
    if (interior < 1) interior = 1;
    if (relu_output) {
#pragma clang loop vectorize(assume_safety)
        for (long t = 1; t < interior; t++) {
            for (long p = 0; p < n; p++) {
                const float g = source[n * t + p - 1], y = relu_output[n * t + p - 1];  // both loaded: a select
                phases[p * length + t] = y > 0 ? g : 0;
            }
        }
    } else {
#pragma clang loop vectorize(assume_safety)
        for (long t = 1; t < interior; t++) {
            for (long p = 0; p < n; p++) phases[p * length + t] = source[n * t + p - 1];
        }
    }
    for (long t = 0; t < length; t = t == 0 ? interior : t + 1) {
        for (long p = 0; p < n; p++) {
            const long x = n * t + p;
            float value = 0;
            if (x >= 1 && x <= width) value = !relu_output || relu_output[x - 1] > 0 ? source[x - 1] : 0;
            phases[p * length + t] = value;
        }
    }
}

/// The four entry points of F(n×n, 3×3) (VectorKernels.h), each built for every x86 level, for
/// a tile file that defines its 1-D transforms kernel_points, input_points and output_points.
#define WINOGRAD_ENTRY_POINTS(n)                                                                                          \
    FOR_EACH_X86_LEVEL                                                                                                    \
    void styled_winograd##n##_kernels(const float *restrict kernels, long count, float *restrict u, long stride) {       \
        transform_kernels(kernels, count, u, stride, n + 2, kernel_points);                                              \
    }                                                                                                                     \
    FOR_EACH_X86_LEVEL                                                                                                    \
    void styled_winograd##n##_gather_row(const float *restrict source, const float *restrict relu_output, long width,    \
                                         float *restrict phases, long length) {                                          \
        gather_row(source, relu_output, width, phases, length, n);                                                       \
    }                                                                                                                     \
    FOR_EACH_X86_LEVEL                                                                                                    \
    void styled_winograd##n##_input(const float *restrict rows, long length, long tiles, float *restrict v, long stride) { \
        transform_input(rows, length, tiles, v, stride, n, input_points);                                                \
    }                                                                                                                     \
    FOR_EACH_X86_LEVEL                                                                                                    \
    void styled_winograd##n##_output(const float *restrict m, long stride, long tiles, float *restrict rows, long padded, \
                                     float bias, float floor) {                                                          \
        transform_output(m, stride, tiles, rows, padded, bias, floor, n, output_points);                                 \
    }

#endif
