#include "VectorKernels.h"
#include "x86_levels.h"

// The comparisons as selects, so that the loops vectorise across the row (the input's pairs
// taken apart by shuffles).

FOR_EACH_X86_LEVEL
void styled_max_pool_row(const float *restrict top, const float *restrict bottom, long outputs, float *restrict out,
                         unsigned char *restrict winners) {
#pragma clang loop vectorize(enable)
    for (long x = 0; x < outputs; x++) {
        const float a = top[2 * x], b = top[2 * x + 1], d = bottom[2 * x], e = bottom[2 * x + 1];
        float value = a;
        unsigned char index = 0;
        if (b > value) { value = b; index = 1; }
        if (d > value) { value = d; index = 2; }
        if (e > value) { value = e; index = 3; }
        out[x] = value;
        winners[x] = index;
    }
}

FOR_EACH_X86_LEVEL
void styled_average_pool_row(const float *restrict top, const float *restrict bottom, long outputs, float factor,
                             float *restrict out) {
#pragma clang loop vectorize(enable)
    for (long x = 0; x < outputs; x++) {
        out[x] = (top[2 * x] + top[2 * x + 1] + bottom[2 * x] + bottom[2 * x + 1]) * factor;
    }
}

FOR_EACH_X86_LEVEL
void styled_max_pool_backward_row(const float *restrict gradient, const unsigned char *restrict winners, long outputs,
                                  float *restrict top, float *restrict bottom) {
#pragma clang loop vectorize(enable)
    for (long x = 0; x < outputs; x++) {
        const float value = gradient[x];
        const unsigned char index = winners[x];
        top[2 * x] = index == 0 ? value : 0;
        top[2 * x + 1] = index == 1 ? value : 0;
        bottom[2 * x] = index == 2 ? value : 0;
        bottom[2 * x + 1] = index == 3 ? value : 0;
    }
}

FOR_EACH_X86_LEVEL
void styled_average_pool_backward_row(const float *restrict gradient, long outputs, float factor, float *restrict top,
                                      float *restrict bottom) {
#pragma clang loop vectorize(enable)
    for (long x = 0; x < outputs; x++) {
        const float share = gradient[x] * factor;
        top[2 * x] = share;
        top[2 * x + 1] = share;
        bottom[2 * x] = share;
        bottom[2 * x + 1] = share;
    }
}
