#include "VectorKernels.h"
#include "x86_levels.h"
#include "winograd_rows.h"

// F(4×4, 3×3): 6×6 input tiles, 4×4 output tiles, 36 points, with Lavin & Gray's interpolation
// points 0, ±1, ±2 and ∞ (as NNPACK and wincnn):
//   Bᵀ = [[4,  0, −5,  0, 1, 0],     G = [[ 1/4,     0,    0],    Aᵀ = [[1, 1,  1, 1,  1, 0],
//         [0, −4, −4,  1, 1, 0],          [−1/6,  −1/6, −1/6],          [0, 1, −1, 2, −2, 0],
//         [0,  4, −4, −1, 1, 0],          [−1/6,   1/6, −1/6],          [0, 1,  1, 4,  4, 0],
//         [0, −2, −1,  2, 1, 0],          [1/24,  1/12,  1/6],          [0, 1, −1, 8, −8, 1]]
//         [0,  2, −1, −2, 1, 0],          [1/24, −1/12,  1/6],
//         [0,  4,  0, −5, 0, 1]]          [   0,     0,    1]]
// Each 2-D transform is its 1-D one applied to the tile's columns, then to the result's rows.

/// G x.
static inline void kernel_points(float x0, float x1, float x2, float out[6]) {
    const float outer = x0 + x2, quarter = x0 * (1.0f / 24) + x2 * (1.0f / 6), middle = x1 * (1.0f / 12);
    out[0] = x0 * 0.25f;
    out[1] = (outer + x1) * (-1.0f / 6);
    out[2] = (outer - x1) * (-1.0f / 6);
    out[3] = quarter + middle;
    out[4] = quarter - middle;
    out[5] = x2;
}

/// Bᵀ x.
static inline void input_points(float x0, float x1, float x2, float x3, float x4, float x5, float out[6]) {
    const float a = x4 - 4 * x2, b = x3 - 4 * x1, c = x4 - x2, d = 2 * (x3 - x1);
    out[0] = 4 * (x0 - x2) + c;
    out[1] = a + b;
    out[2] = a - b;
    out[3] = c + d;
    out[4] = c - d;
    out[5] = 4 * (x1 - x3) + (x5 - x3);
}

/// Aᵀ x.
static inline void output_points(float x0, float x1, float x2, float x3, float x4, float x5, float out[4]) {
    const float p = x1 + x2, q = x1 - x2, r = x3 + x4, s = x3 - x4;
    out[0] = x0 + p + r;
    out[1] = q + 2 * s;
    out[2] = p + 4 * r;
    out[3] = q + 8 * s + x5;
}

FOR_EACH_X86_LEVEL
void styled_winograd4_kernels(const float *restrict kernels, long count, float *restrict u, long stride) {
    // Vectorised across kernels, as the transforms below across tiles. The iterations write
    // disjoint values (stride ≥ count, the header's condition), which the compiler cannot prove:
    // with only `enable` it guarded the vector loop with overlap checks that sent every call
    // to the scalar loop (28 ns a tile for the output transform, 2.4–3.8 ns vectorised).
#pragma clang loop vectorize(assume_safety)
    for (long k = 0; k < count; k++) {
        const float *g = kernels + 9 * k;
        // G g, column by column.
        float column[3][6];
#pragma unroll
        for (int j = 0; j < 3; j++) kernel_points(g[j], g[3 + j], g[6 + j], column[j]);
        // (G g) Gᵀ, row by row.
#pragma unroll
        for (int i = 0; i < 6; i++) {
            float point[6];
            kernel_points(column[0][i], column[1][i], column[2][i], point);
#pragma unroll
            for (int j = 0; j < 6; j++) u[(6 * i + j) * stride + k] = point[j];
        }
    }
}

FOR_EACH_X86_LEVEL
void styled_winograd4_gather_row(const float *restrict source, const float *restrict relu_output, long width,
                                 float *restrict phases, long length) {
    gather_row(source, relu_output, width, phases, length, 4);
}

FOR_EACH_X86_LEVEL
void styled_winograd4_input(const float *restrict rows, long length, long tiles, float *restrict v, long stride) {
    // Vectorised across tiles (iterations disjoint, as above); the loops within a tile are
    // unrolled first, so that its values stay in registers.
#pragma clang loop vectorize(assume_safety)
    for (long t = 0; t < tiles; t++) {
        // Bᵀ d, column by column: column[j][i] is row i of column j, which is phase j mod 4 of
        // the tile's row i at t + j / 4.
        float column[6][6];
#pragma unroll
        for (int j = 0; j < 6; j++) {
            const float *d = rows + (j % 4) * length + t + j / 4;
            const long row = 4 * length;
            input_points(d[0], d[row], d[2 * row], d[3 * row], d[4 * row], d[5 * row], column[j]);
        }
        // (Bᵀ d) B, row by row.
#pragma unroll
        for (int i = 0; i < 6; i++) {
            float point[6];
            input_points(column[0][i], column[1][i], column[2][i], column[3][i], column[4][i], column[5][i], point);
#pragma unroll
            for (int j = 0; j < 6; j++) v[(6 * i + j) * stride + t] = point[j];
        }
    }
}

FOR_EACH_X86_LEVEL
void styled_winograd4_output(const float *restrict m, long stride, long tiles, float *restrict rows, long padded, float bias, float floor) {
    // Vectorised across tiles (iterations disjoint, as above); the loops within a tile are
    // unrolled first, so that its values stay in registers.
#pragma clang loop vectorize(assume_safety)
    for (long t = 0; t < tiles; t++) {
        // Aᵀ M, column by column: point (i, j) of the tile is m[(6i + j) · stride + t].
        float column[6][4];
#pragma unroll
        for (int j = 0; j < 6; j++) {
            const float *source = m + j * stride + t;
            output_points(source[0], source[6 * stride], source[12 * stride], source[18 * stride], source[24 * stride],
                          source[30 * stride], column[j]);
        }
        // (Aᵀ M) A, row by row, with the bias and the clamp.
#pragma unroll
        for (int i = 0; i < 4; i++) {
            float y[4];
            output_points(column[0][i], column[1][i], column[2][i], column[3][i], column[4][i], column[5][i], y);
#pragma unroll
            for (int j = 0; j < 4; j++) {
                const float value = y[j] + bias;
                rows[i * padded + 4 * t + j] = value >= floor ? value : floor;  // as Swift's max(floor, value)
            }
        }
    }
}
