#include "ImageCodecs.h"
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// libjpeg's default error_exit prints and calls exit(); this one records the message and
// jumps back to the call that set `escape`.
typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf escape;
    char *error;
    size_t error_size;
} jpeg_failure;

static void on_jpeg_error(j_common_ptr cinfo) {
    jpeg_failure *failure = (jpeg_failure *)cinfo->err;
    char message[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, message);
    snprintf(failure->error, failure->error_size, "%s", message);
    longjmp(failure->escape, 1);
}

// A truncated file is only a warning to libjpeg (it pads with grey); for us it is an error.
// Other warnings (stray bytes between markers) still leave a usable image.
static void on_jpeg_message(j_common_ptr cinfo, int level) {
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_jpeg_error(cinfo);
}

static const uint8_t exif_signature[6] = {'E', 'x', 'i', 'f', 0, 0};

int styled_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                       styled_decoded_image *out, char *error, size_t error_size) {
    memset(out, 0, sizeof *out);
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile exif = NULL;
    uint8_t *volatile row = NULL;
    cinfo.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = on_jpeg_error;
    failure.manager.emit_message = on_jpeg_message;
    failure.error = error;
    failure.error_size = error_size;
    if (setjmp(failure.escape)) {
        free(pixels);
        free(exif);
        free(row);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    if ((uint64_t)cinfo.image_width * cinfo.image_height > max_pixels) {
        snprintf(error, error_size, "image is %ux%u pixels, more than the limit of %llu",
                 cinfo.image_width, cinfo.image_height, (unsigned long long)max_pixels);
        longjmp(failure.escape, 1);
    }
    for (jpeg_saved_marker_ptr marker = cinfo.marker_list; marker; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length > 6 &&
            memcmp(marker->data, exif_signature, 6) == 0) {
            exif = malloc(marker->data_length - 6);
            if (!exif) { snprintf(error, error_size, "out of memory"); longjmp(failure.escape, 1); }
            memcpy(exif, marker->data + 6, marker->data_length - 6);
            out->exif_size = marker->data_length - 6;
            break;
        }
    }
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGBA;  // greyscale expands to RGBA too
    jpeg_start_decompress(&cinfo);

    size_t width = cinfo.output_width, height = cinfo.output_height;
    pixels = malloc(width * height * 4);
    row = malloc(width * 4);
    if (!pixels || !row) { snprintf(error, error_size, "out of memory"); longjmp(failure.escape, 1); }
    // Adobe writes CMYK inverted (0 = full ink); Photoshop's files carry its APP14 marker.
    int inverted = cinfo.saw_Adobe_marker;
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t y = cinfo.output_scanline;
        JSAMPROW target = cmyk ? row : pixels + y * width * 4;
        jpeg_read_scanlines(&cinfo, &target, 1);
        if (!cmyk) continue;
        // Naive CMYK to RGB (no ICC profile): R = (1 - C)(1 - K) and so on.
        for (size_t x = 0; x < width; x++) {
            unsigned c = row[4 * x], m = row[4 * x + 1], yl = row[4 * x + 2], k = row[4 * x + 3];
            if (!inverted) { c = 255 - c; m = 255 - m; yl = 255 - yl; k = 255 - k; }
            uint8_t *p = pixels + (y * width + x) * 4;
            p[0] = (uint8_t)((c * k + 127) / 255);
            p[1] = (uint8_t)((m * k + 127) / 255);
            p[2] = (uint8_t)((yl * k + 127) / 255);
            p[3] = 255;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->width = (uint32_t)width;
    out->height = (uint32_t)height;
    out->bit_depth = 8;
    out->pixels = pixels;
    out->exif = exif;
    return 0;
}

int styled_jpeg_encode(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                       uint8_t **out, size_t *out_size, char *error, size_t error_size) {
    struct jpeg_compress_struct cinfo;
    jpeg_failure failure;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    cinfo.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = on_jpeg_error;
    failure.manager.emit_message = on_jpeg_message;
    failure.error = error;
    failure.error_size = error_size;
    if (setjmp(failure.escape)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, &buffer_size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (quality >= 90) {  // keep full chroma resolution at high quality
        cinfo.comp_info[0].h_samp_factor = 1;
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = buffer_size;
    return 0;
}
