#include "VectorKernels.h"
#include "x86_levels.h"
#include "winograd_rows.h"

// F(2×2, 3×3): 4×4 input tiles, 2×2 output tiles, 16 points:
//   Bᵀ = [[1,  0, −1,  0],     G = [[1,  0,  0],     Aᵀ = [[1, 1,  1,  0],
//         [0,  1,  1,  0],          [½,  ½,  ½],           [0, 1, −1, −1]]
//         [0, −1,  1,  0],          [½, −½,  ½],
//         [0,  1,  0, −1]]          [0,  0,  1]]
// Each 2-D transform is its 1-D one applied to the tile's columns, then to the result's rows.
// Each loop is vectorised across kernels or tiles, as in winograd4.c.

/// G x.
static inline void kernel_points(float x0, float x1, float x2, float out[4]) {
    out[0] = x0;
    out[1] = (x0 + x1 + x2) * 0.5f;
    out[2] = (x0 - x1 + x2) * 0.5f;
    out[3] = x2;
}

/// Bᵀ x.
static inline void input_points(float x0, float x1, float x2, float x3, float out[4]) {
    out[0] = x0 - x2;
    out[1] = x1 + x2;
    out[2] = x2 - x1;
    out[3] = x1 - x3;
}

/// Aᵀ x.
static inline void output_points(float x0, float x1, float x2, float x3, float out[2]) {
    out[0] = x0 + x1 + x2;
    out[1] = x1 - x2 - x3;
}

FOR_EACH_X86_LEVEL
void styled_winograd2_kernels(const float *restrict kernels, long count, float *restrict u, long stride) {
#pragma clang loop vectorize(assume_safety)
    for (long k = 0; k < count; k++) {
        const float *g = kernels + 9 * k;
        float column[3][4];
#pragma unroll
        for (int j = 0; j < 3; j++) kernel_points(g[j], g[3 + j], g[6 + j], column[j]);
#pragma unroll
        for (int i = 0; i < 4; i++) {
            float point[4];
            kernel_points(column[0][i], column[1][i], column[2][i], point);
#pragma unroll
            for (int j = 0; j < 4; j++) u[(4 * i + j) * stride + k] = point[j];
        }
    }
}

FOR_EACH_X86_LEVEL
void styled_winograd2_gather_row(const float *restrict source, const float *restrict relu_output, long width,
                                 float *restrict phases, long length) {
    gather_row(source, relu_output, width, phases, length, 2);
}

FOR_EACH_X86_LEVEL
void styled_winograd2_input(const float *restrict rows, long length, long tiles, float *restrict v, long stride) {
#pragma clang loop vectorize(assume_safety)
    for (long t = 0; t < tiles; t++) {
        float column[4][4];
#pragma unroll
        for (int j = 0; j < 4; j++) {
            const float *d = rows + (j % 2) * length + t + j / 2;
            const long row = 2 * length;
            input_points(d[0], d[row], d[2 * row], d[3 * row], column[j]);
        }
#pragma unroll
        for (int i = 0; i < 4; i++) {
            float point[4];
            input_points(column[0][i], column[1][i], column[2][i], column[3][i], point);
#pragma unroll
            for (int j = 0; j < 4; j++) v[(4 * i + j) * stride + t] = point[j];
        }
    }
}

FOR_EACH_X86_LEVEL
void styled_winograd2_output(const float *restrict m, long stride, long tiles, float *restrict rows, long padded, float bias, float floor) {
#pragma clang loop vectorize(assume_safety)
    for (long t = 0; t < tiles; t++) {
        float column[4][2];
#pragma unroll
        for (int j = 0; j < 4; j++) {
            const float *source = m + j * stride + t;
            output_points(source[0], source[4 * stride], source[8 * stride], source[12 * stride], column[j]);
        }
#pragma unroll
        for (int i = 0; i < 2; i++) {
            float y[2];
            output_points(column[0][i], column[1][i], column[2][i], column[3][i], y);
#pragma unroll
            for (int j = 0; j < 2; j++) {
                const float value = y[j] + bias;
                rows[i * padded + 2 * t + j] = value >= floor ? value : floor;  // as Swift's max(floor, value)
            }
        }
    }
}
