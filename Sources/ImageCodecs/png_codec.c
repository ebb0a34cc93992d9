#include "ImageCodecs.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *error;
    size_t error_size;
} png_reader;

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    char *error;
    size_t error_size;
} png_writer;

static void on_png_error(png_structp png, png_const_charp message) {
    png_reader *io = png_get_error_ptr(png);
    snprintf(io->error, io->error_size, "%s", message);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) {
    (void)png; (void)message;  // warnings (e.g. an unknown chunk) do not stop decoding
}

static void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
    png_reader *io = png_get_io_ptr(png);
    if (length > io->size - io->offset) png_error(png, "file is truncated");
    memcpy(out, io->data + io->offset, length);
    io->offset += length;
}

int styled_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                      styled_decoded_image *out, char *error, size_t error_size) {
    memset(out, 0, sizeof *out);
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(error, error_size, "not a PNG file (bad signature)");
        return -1;
    }
    png_reader io = {data, size, 0, error, error_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, on_png_error, on_png_warning);
    if (!png) { snprintf(error, error_size, "out of memory"); return -1; }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    // Each side is capped by libpng itself; the product is checked below, before allocating.
    uint32_t side_limit = max_pixels > PNG_USER_WIDTH_MAX ? PNG_USER_WIDTH_MAX : (uint32_t)max_pixels;
    png_set_user_limits(png, side_limit, side_limit);
    // Ancillary chunks (text, ICC profiles) are bounded too, against zlib bombs in metadata.
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_read_fn(png, &io, read_from_memory);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    if ((uint64_t)width * height > max_pixels) {
        snprintf(error, error_size, "image is %ux%u pixels, more than the limit of %llu",
                 width, height, (unsigned long long)max_pixels);
        png_longjmp(png, 1);
    }
    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (!(color & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_filler(png, depth == 16 ? 0xFFFF : 0xFF, PNG_FILLER_AFTER);
    if (depth == 16) png_set_swap(png);  // host order (little endian here)
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t row_bytes = png_get_rowbytes(png, info);
    int out_depth = png_get_bit_depth(png, info);
    if (row_bytes != (size_t)width * 4 * (out_depth / 8)) {
        snprintf(error, error_size, "unexpected row layout after conversion");
        png_longjmp(png, 1);
    }
    pixels = malloc(row_bytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) { snprintf(error, error_size, "out of memory"); png_longjmp(png, 1); }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->width = width;
    out->height = height;
    out->bit_depth = (uint32_t)out_depth;
    out->pixels = pixels;
    return 0;
}

static void write_to_memory(png_structp png, png_bytep bytes, png_size_t length) {
    png_writer *io = png_get_io_ptr(png);
    if (io->size + length > io->capacity) {
        size_t capacity = io->capacity ? io->capacity : 65536;
        while (capacity < io->size + length) capacity *= 2;
        uint8_t *grown = realloc(io->data, capacity);
        if (!grown) png_error(png, "out of memory");
        io->data = grown;
        io->capacity = capacity;
    }
    memcpy(io->data + io->size, bytes, length);
    io->size += length;
}

static void flush_nothing(png_structp png) { (void)png; }

static void on_png_write_error(png_structp png, png_const_charp message) {
    png_writer *io = png_get_error_ptr(png);
    snprintf(io->error, io->error_size, "%s", message);
    png_longjmp(png, 1);
}

int styled_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height,
                      uint8_t **out, size_t *out_size, char *error, size_t error_size) {
    png_writer io = {NULL, 0, 0, error, error_size};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, on_png_write_error, on_png_warning);
    if (!png) { snprintf(error, error_size, "out of memory"); return -1; }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(io.data);
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, &io, write_to_memory, flush_nothing);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * width * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = io.data;
    *out_size = io.size;
    return 0;
}

void styled_codec_free(void *pointer) { free(pointer); }
