#include "VectorKernels.h"
#include "x86_levels.h"
#include "winograd_tiles.h"

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
__attribute__((always_inline)) static inline void kernel_points(const float *x, long step, float *out) {
    const float x0 = x[0], x1 = x[step], x2 = x[2 * step];
    const float outer = x0 + x2, quarter = x0 * (1.0f / 24) + x2 * (1.0f / 6), middle = x1 * (1.0f / 12);
    out[0] = x0 * 0.25f;
    out[1] = (outer + x1) * (-1.0f / 6);
    out[2] = (outer - x1) * (-1.0f / 6);
    out[3] = quarter + middle;
    out[4] = quarter - middle;
    out[5] = x2;
}

/// Bᵀ x.
__attribute__((always_inline)) static inline void input_points(const float *x, long step, float *out) {
    const float x0 = x[0], x1 = x[step], x2 = x[2 * step], x3 = x[3 * step], x4 = x[4 * step], x5 = x[5 * step];
    const float a = x4 - 4 * x2, b = x3 - 4 * x1, c = x4 - x2, d = 2 * (x3 - x1);
    out[0] = 4 * (x0 - x2) + c;
    out[1] = a + b;
    out[2] = a - b;
    out[3] = c + d;
    out[4] = c - d;
    out[5] = 4 * (x1 - x3) + (x5 - x3);
}

/// Aᵀ x.
__attribute__((always_inline)) static inline void output_points(const float *x, long step, float *out) {
    const float x0 = x[0], x1 = x[step], x2 = x[2 * step], x3 = x[3 * step], x4 = x[4 * step], x5 = x[5 * step];
    const float p = x1 + x2, q = x1 - x2, r = x3 + x4, s = x3 - x4;
    out[0] = x0 + p + r;
    out[1] = q + 2 * s;
    out[2] = p + 4 * r;
    out[3] = q + 8 * s + x5;
}

WINOGRAD_ENTRY_POINTS(4)
