// The one EXIF tag styled needs is Orientation (0x0112) in IFD0. Reading it is a short walk
// over the TIFF structure, written here rather than pulling in libexif for one number.
public enum EXIF {
    /// The orientation (1...8) in an EXIF payload (the bytes after "Exif\0\0"); 1 if absent or malformed.
    public static func orientation(in tiff: [UInt8]) -> Int {
        guard tiff.count >= 8 else { return 1 }
        let littleEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return 1
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            let a = Int(tiff[at]), b = Int(tiff[at + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let low = u16(littleEndian ? at : at + 2), let high = u16(littleEndian ? at + 2 : at) else { return nil }
            return low | high << 16
        }
        guard let ifd = u32(4), let entries = u16(ifd) else { return 1 }
        for entry in 0..<entries {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return 1 }
            if tag == 0x0112, let type = u16(at + 2), type == 3, let value = u16(at + 8), (1...8).contains(value) {
                return value
            }
        }
        return 1
    }
}

extension RGBImage {
    /// The image as it should be displayed, given its EXIF orientation.
    public func oriented(_ orientation: Int) -> RGBImage {
        guard orientation != 1 else { return self }
        let sw = width, sh = height
        let transposed = orientation >= 5
        let ow = transposed ? sh : sw, oh = transposed ? sw : sh
        // For each displayed pixel (x, y), the stored pixel it comes from.
        let source: (Int, Int) -> (Int, Int) = switch orientation {
        case 2: { x, y in (sw - 1 - x, y) }
        case 3: { x, y in (sw - 1 - x, sh - 1 - y) }
        case 4: { x, y in (x, sh - 1 - y) }
        case 5: { x, y in (y, x) }
        case 6: { x, y in (y, sh - 1 - x) }
        case 7: { x, y in (sw - 1 - y, sh - 1 - x) }
        default: { x, y in (sw - 1 - y, x) }  // 8
        }
        var out = Tensor(channels: 3, height: oh, width: ow)
        for c in 0..<3 {
            for y in 0..<oh {
                for x in 0..<ow {
                    let (sx, sy) = source(x, y)
                    out[c, y, x] = pixels[c, sy, sx]
                }
            }
        }
        return RGBImage(pixels: out)
    }
}
