#!/usr/bin/env python3
"""Writes the small PNG fixtures in Tests/EngineTests/Fixtures: one per colour type and
bit depth that styled must read. Each is 3×2 pixels whose RGB values are listed in
`expected` below (and in the tests), composited over white where transparent.
Run once; the files are committed. Uses only the standard library (zlib, struct)."""
import struct, zlib, pathlib

out = pathlib.Path(__file__).resolve().parent.parent / "Tests/EngineTests/Fixtures"

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

def png(path, width, height, depth, color, rows, extra=b""):
    raw = b"".join(b"\x00" + row for row in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    (out / path).write_bytes(data)

# Greyscale 8-bit: 0, 128, 255 / 10, 20, 30
png("gray8.png", 3, 2, 8, 0, [bytes([0, 128, 255]), bytes([10, 20, 30])])
# Greyscale + alpha 8-bit: grey 0 with alpha 0 (→ white), 255, 128 opaque...
png("grayalpha8.png", 3, 2, 8, 4, [bytes([0, 0, 100, 255, 200, 255]), bytes([50, 255, 60, 255, 70, 255])])
# Palette with tRNS: index 0 red, 1 green, 2 blue (index 2 fully transparent → white)
plte = chunk(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255]))
trns = chunk(b"tRNS", bytes([255, 255, 0]))
png("palette.png", 3, 2, 8, 3, [bytes([0, 1, 2]), bytes([2, 1, 0])], extra=plte + trns)
# RGB 16-bit: samples 0x0000, 0xFFFF, 0x8000 (→ 127.502 of 255, between two 8-bit values)
px16 = lambda r, g, b: struct.pack(">HHH", r, g, b)
png("rgb16.png", 3, 2, 16, 2, [px16(0, 0xFFFF, 0x8000) * 3, px16(0xFFFF, 0, 0) * 3])
# RGBA 8-bit
rgba = bytes([1, 2, 3, 255, 40, 50, 60, 255, 70, 80, 90, 255])
png("rgba8.png", 3, 2, 8, 6, [rgba, rgba])
# A header that declares 100000 × 100000 pixels, with a tiny (wrong-sized) IDAT.
png("huge-header.png", 100000, 100000, 8, 2, [b"\x00\x00\x00"])
# A zlib bomb: a complete, valid 8000 × 8000 greyscale image of zeros, 62 KB on disk that
# inflates to 64 MB of samples (768 MB as the engine's float RGB): its header is over the
# default 50-megapixel limit, so it must be refused before anything is inflated.
raw = zlib.compress(b"\x00" * (8001 * 8000), 9)
(out / "zlib-bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8000, 8000, 8, 0, 0, 0, 0))
                                    + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
