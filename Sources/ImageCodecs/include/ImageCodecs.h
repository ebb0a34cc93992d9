// The setjmp side of libpng and libjpeg. Both libraries report errors by longjmp (libjpeg's
// default handler even calls exit()); a jump across Swift frames is undefined, so every
// call that may jump is made from here and every failure comes back as a return value
// with the library's own message in `error`.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t width;
    uint32_t height;
    // 8 or 16. Samples are RGBA, interleaved; 16-bit samples are in host byte order.
    uint32_t bit_depth;
    uint8_t *pixels;       // malloc'd; free with styled_codec_free
    uint8_t *exif;         // the JPEG APP1 "Exif" payload if any, malloc'd; else NULL
    size_t exif_size;
} styled_decoded_image;

// Return 0 on success, -1 with a message in `error` on failure. An image that declares
// more than `max_pixels` pixels is refused after its header is read, before any pixel
// buffer is allocated.
int styled_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                      styled_decoded_image *out, char *error, size_t error_size);
int styled_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                       styled_decoded_image *out, char *error, size_t error_size);

// Encode 8-bit interleaved RGB. On success *out is malloc'd (free with styled_codec_free).
int styled_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height,
                      uint8_t **out, size_t *out_size, char *error, size_t error_size);
int styled_jpeg_encode(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                       uint8_t **out, size_t *out_size, char *error, size_t error_size);

void styled_codec_free(void *pointer);
