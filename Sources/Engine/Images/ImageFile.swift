import Foundation
import ImageCodecs
#if canImport(Glibc)
import Glibc
#endif

/// What a file may cost before it is decoded. Both are checked before any pixel buffer is
/// allocated: the file size at open, the pixel count from the image header.
public struct ImageLimits: Sendable, Equatable {
    public var maxPixels: UInt64
    public var maxFileBytes: Int

    public init(maxPixels: UInt64 = 50_000_000, maxFileBytes: Int = 100 << 20) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }
}

public enum ImageFormat: String, Sendable, Codable {
    case png, jpeg

    public var fileExtension: String { self == .png ? "png" : "jpg" }
}

/// Reading and writing PNG and JPEG files through libpng and libjpeg (the calls that may
/// longjmp are in the ImageCodecs C target).
public enum ImageFile {
    public static func read(_ path: String, limits: ImageLimits = ImageLimits()) throws -> RGBImage {
        let bytes = try readRegularFile(path, maxBytes: limits.maxFileBytes)
        return try decode(bytes, name: path, limits: limits)
    }

    public static func decode(_ bytes: [UInt8], name: String, limits: ImageLimits = ImageLimits()) throws -> RGBImage {
        try withSamples(of: bytes, name: name, limits: limits) { rgbImage($0, $1) }
    }

    /// Decodes `bytes` and calls `body` with the samples as the codec gives them (valid only
    /// during the call), before they become floats: the sandboxed decoder sends them as they are.
    public static func withSamples<Result>(of bytes: [UInt8], name: String, limits: ImageLimits = ImageLimits(),
                                           _ body: (DecodedLayout, UnsafeRawBufferPointer) throws -> Result) throws -> Result {
        if bytes.isEmpty { throw FileError(path: name, reason: "the file is empty") }
        var decoded = styled_decoded_image()
        var message = [CChar](repeating: 0, count: 256)
        let status: Int32
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            status = styled_png_decode(bytes, bytes.count, limits.maxPixels, &decoded, &message, message.count)
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            status = styled_jpeg_decode(bytes, bytes.count, limits.maxPixels, &decoded, &message, message.count)
        } else {
            throw FileError(path: name, reason: "not a PNG or JPEG image")
        }
        guard status == 0 else {
            throw FileError(path: name, reason: "cannot decode: " + String(cString: message))
        }
        defer {
            styled_codec_free(decoded.pixels)
            styled_codec_free(decoded.exif)
        }
        let orientation = decoded.exif.map { EXIF.orientation(in: [UInt8](UnsafeBufferPointer(start: $0, count: decoded.exif_size))) } ?? 1
        let layout = DecodedLayout(width: Int(decoded.width), height: Int(decoded.height), bitDepth: Int(decoded.bit_depth), orientation: orientation)
        return try body(layout, UnsafeRawBufferPointer(start: decoded.pixels, count: layout.byteCount))
    }

    public static func write(_ image: RGBImage, to path: String, format: ImageFormat, quality: Int = 95) throws {
        try writeFileAtomically(try encode(image, format: format, quality: quality, name: path), to: path)
    }

    public static func encode(_ image: RGBImage, format: ImageFormat, quality: Int = 95, name: String = "image") throws -> [UInt8] {
        let rgb = image.rgb8()
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = switch format {
        case .png:
            styled_png_encode(rgb, UInt32(image.width), UInt32(image.height), &out, &size, &message, message.count)
        case .jpeg:
            styled_jpeg_encode(rgb, UInt32(image.width), UInt32(image.height), Int32(quality), &out, &size, &message, message.count)
        }
        guard status == 0, let out else {
            throw FileError(path: name, reason: "cannot encode: " + String(cString: message))
        }
        defer { styled_codec_free(out) }
        return [UInt8](UnsafeBufferPointer(start: out, count: size))
    }

    /// RGBA at 8 or 16 bits to planar RGB in 0...255, composited over white where the image
    /// is transparent (a style or content image's transparent parts are paper, not black),
    /// and turned as its EXIF orientation says it is to be shown.
    public static func rgbImage(_ layout: DecodedLayout, _ samples: UnsafeRawBufferPointer) -> RGBImage {
        precondition(samples.count == layout.byteCount && (layout.bitDepth == 8 || layout.bitDepth == 16), "samples do not fit their layout")
        let plane = layout.width * layout.height
        var data = [Float](repeating: 0, count: plane * 3)
        let maxSample: Float = layout.bitDepth == 16 ? 65535 : 255
        data.withUnsafeMutableBufferPointer { out in
            func store<Sample: BinaryInteger>(_ samples: UnsafeBufferPointer<Sample>) {
                for i in 0..<plane {
                    let alpha = Float(samples[i * 4 + 3]) / maxSample
                    for c in 0..<3 {
                        let value = Float(samples[i * 4 + c]) / maxSample * 255
                        out[c * plane + i] = alpha * value + (1 - alpha) * 255
                    }
                }
            }
            if layout.bitDepth == 16 { samples.withMemoryRebound(to: UInt16.self, store) } else { samples.withMemoryRebound(to: UInt8.self, store) }
        }
        return RGBImage(pixels: Tensor(channels: 3, height: layout.height, width: layout.width, data: data)).oriented(layout.orientation)
    }
}

/// How a decoded file's samples lie: interleaved RGBA, 8 or 16 bits a sample (in the
/// machine's byte order), rows as stored, before the EXIF orientation (1...8) turns them.
public struct DecodedLayout: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var bitDepth: Int
    public var orientation: Int

    public init(width: Int, height: Int, bitDepth: Int, orientation: Int) {
        (self.width, self.height, self.bitDepth, self.orientation) = (width, height, bitDepth, orientation)
    }

    public var byteCount: Int { width * height * 4 * bitDepth / 8 }
}

/// Reads a whole file that must be a regular file no larger than `maxBytes`. The checks are
/// made on the opened descriptor, so a FIFO never blocks the reader and a file that grows
/// between the check and the read is still cut off at the limit. Unless `followLinks`, a
/// symbolic link is refused by the open itself (O_NOFOLLOW), never read through.
public func readRegularFile(_ path: String, maxBytes: Int, followLinks: Bool = true) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followLinks ? 0 : O_NOFOLLOW))
    guard fd >= 0 else {
        guard followLinks || errno != ELOOP else {
            throw FileError(path: path, reason: "is a symbolic link, which is not followed: put the file itself in its place", code: ELOOP)
        }
        throw FileError.system(path)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileError.system(path) }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
        throw FileError(path: path, reason: "not a regular file")
    }
    guard info.st_size <= maxBytes else {
        throw FileError(path: path, reason: "file is \(info.st_size) bytes, more than the limit of \(maxBytes)")
    }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var filled = 0
    while filled < bytes.count {
        let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { throw FileError.system(path) }
        if n == 0 { break }
        filled += n
    }
    return Array(bytes[0..<filled])
}
