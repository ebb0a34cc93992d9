#include "VectorKernels.h"
#include "x86_levels.h"
#include "winograd_tiles.h"

// F(2×2, 3×3): 4×4 input tiles, 2×2 output tiles, 16 points:
//   Bᵀ = [[1,  0, −1,  0],     G = [[1,  0,  0],     Aᵀ = [[1, 1,  1,  0],
//         [0,  1,  1,  0],          [½,  ½,  ½],           [0, 1, −1, −1]]
//         [0, −1,  1,  0],          [½, −½,  ½],
//         [0,  1,  0, −1]]          [0,  0,  1]]
// Each 2-D transform is its 1-D one applied to the tile's columns, then to the result's rows.

/// G x.
__attribute__((always_inline)) static inline void kernel_points(const float *x, long step, float *out) {
    const float x0 = x[0], x1 = x[step], x2 = x[2 * step];
    out[0] = x0;
    out[1] = (x0 + x1 + x2) * 0.5f;
    out[2] = (x0 - x1 + x2) * 0.5f;
    out[3] = x2;
}

/// Bᵀ x.
__attribute__((always_inline)) static inline void input_points(const float *x, long step, float *out) {
    const float x0 = x[0], x1 = x[step], x2 = x[2 * step], x3 = x[3 * step];
    out[0] = x0 - x2;
    out[1] = x1 + x2;
    out[2] = x2 - x1;
    out[3] = x1 - x3;
}

/// Aᵀ x.
__attribute__((always_inline)) static inline void output_points(const float *x, long step, float *out) {
    const float x0 = x[0], x1 = x[step], x2 = x[2 * step], x3 = x[3 * step];
    out[0] = x0 + x1 + x2;
    out[1] = x1 - x2 - x3;
}

WINOGRAD_ENTRY_POINTS(2)
