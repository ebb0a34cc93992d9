import CGIF
import Glibc
import Foundation

/// An animated GIF written frame by frame through giflib, so that a long render's frames
/// need not all be in memory. Each frame gets its own 256-colour palette from giflib's
/// median-cut quantiser; the animation loops, and the last frame can be held longer.
public final class AnimationWriter {
    private var file: UnsafeMutablePointer<GifFileType>?
    public let path: String
    public let width: Int
    public let height: Int

    public init(path: String, width: Int, height: Int) throws {
        self.path = path
        self.width = width
        self.height = height
        // giflib's EGifOpenFileName creates files readable by their owner only; an outbox is
        // read by others, so the file is opened here (0644 less the umask) and handed over.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.system(path) }
        var error: Int32 = 0
        guard let file = EGifOpenFileHandle(descriptor, &error) else {
            Glibc.close(descriptor)
            throw Self.failure(path, error)
        }
        self.file = file
        EGifSetGifVersion(file, true)
        guard EGifPutScreenDesc(file, Int32(width), Int32(height), 8, 0, nil) == GIF_OK else { throw Self.failure(path, file.pointee.Error) }
        // NETSCAPE2.0 application extension: loop forever.
        let loop: [UInt8] = [1, 0, 0]
        guard EGifPutExtensionLeader(file, APPLICATION_EXT_FUNC_CODE) == GIF_OK,
              EGifPutExtensionBlock(file, 11, Array("NETSCAPE2.0".utf8)) == GIF_OK,
              EGifPutExtensionBlock(file, 3, loop) == GIF_OK,
              EGifPutExtensionTrailer(file) == GIF_OK else { throw Self.failure(path, file.pointee.Error) }
    }

    /// Adds a frame shown for `delay` hundredths of a second (resized to the animation's size).
    public func add(_ frame: RGBImage, delay: Int) throws {
        guard let file else { throw FileError(path: path, reason: "the animation is already closed") }
        let image = frame.resized(width: width, height: height)
        let count = width * height
        var red = [UInt8](repeating: 0, count: count), green = red, blue = red, indices = red
        let rgb = image.rgb8()
        for i in 0..<count {
            red[i] = rgb[3 * i]
            green[i] = rgb[3 * i + 1]
            blue[i] = rgb[3 * i + 2]
        }
        var colours = [GifColorType](repeating: GifColorType(), count: 256)
        var colourCount: Int32 = 256
        guard GifQuantizeBuffer(UInt32(width), UInt32(height), &colourCount, &red, &green, &blue, &indices, &colours) == GIF_OK else {
            throw FileError(path: path, reason: "cannot quantise a frame to 256 colours")
        }
        guard let palette = GifMakeMapObject(256, colours) else { throw FileError(path: path, reason: "out of memory") }
        defer { GifFreeMapObject(palette) }
        var control = GraphicsControlBlock(DisposalMode: DISPOSE_DO_NOT, UserInputFlag: false,
                                           DelayTime: Int32(delay), TransparentColor: NO_TRANSPARENT_COLOR)
        var extensionBytes = [UInt8](repeating: 0, count: 4)
        let length = EGifGCBToExtension(&control, &extensionBytes)
        guard EGifPutExtension(file, GRAPHICS_EXT_FUNC_CODE, Int32(length), extensionBytes) == GIF_OK,
              EGifPutImageDesc(file, 0, 0, Int32(width), Int32(height), false, palette) == GIF_OK else {
            throw Self.failure(path, file.pointee.Error)
        }
        for row in 0..<height {
            let status = indices.withUnsafeMutableBufferPointer { EGifPutLine(file, $0.baseAddress! + row * width, Int32(width)) }
            guard status == GIF_OK else { throw Self.failure(path, file.pointee.Error) }
        }
    }

    public func close() throws {
        guard let file else { return }
        self.file = nil
        var error: Int32 = 0
        guard EGifCloseFile(file, &error) == GIF_OK else { throw Self.failure(path, error) }
    }

    deinit { try? close() }

    private static func failure(_ path: String, _ code: Int32) -> FileError {
        // A failed write leaves its errno (ENOSPC on a full disk), which callers decide by.
        FileError(path: path, reason: GifErrorString(code).map { String(cString: $0) } ?? "giflib error \(code)",
                  code: code == E_GIF_ERR_WRITE_FAILED ? errno : nil)
    }
}
