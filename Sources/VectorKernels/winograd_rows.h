#ifndef STYLED_WINOGRAD_ROWS_H
#define STYLED_WINOGRAD_ROWS_H

// The gathering of one input row for F(n×n)'s input transform (VectorKernels.h), for n = 2 and
// 4: split by column into n phases, so that the transform reads each of a tile's n + 2 columns
// with unit stride. (Read straight from the padded row, the columns overlap from tile to tile;
// the vectoriser then kept one tile back for a scalar loop, which on rows of 16 tiles was all of
// them.)
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
            if (x >= 1 && x <= width) value = relu_output && !(relu_output[x - 1] > 0) ? 0 : source[x - 1];
            phases[p * length + t] = value;
        }
    }
}

#endif
