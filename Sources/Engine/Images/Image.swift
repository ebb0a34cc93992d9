// An RGB picture as the optimiser sees it: a 3-channel `Tensor` of values in 0...255
// (float, so that intermediate results keep their precision), channel order R, G, B.
public struct RGBImage: Equatable, Sendable {
    public var pixels: Tensor

    public init(pixels: Tensor) {
        precondition(pixels.channels == 3, "an RGB image has three channels")
        self.pixels = pixels
    }

    public init(width: Int, height: Int, fill: Float = 0) {
        pixels = Tensor(channels: 3, height: height, width: width, repeating: fill)
    }

    public var width: Int { pixels.width }
    public var height: Int { pixels.height }

    /// Interleaved 8-bit RGB (rounded and clamped), as the encoders take it.
    public func rgb8() -> [UInt8] {
        let plane = width * height
        var out = [UInt8](repeating: 0, count: plane * 3)
        pixels.data.withUnsafeBufferPointer { p in
            for i in 0..<plane {
                for c in 0..<3 {
                    out[i * 3 + c] = UInt8(max(0, min(255, p[c * plane + i].rounded())))
                }
            }
        }
        return out
    }

    /// From interleaved 8-bit RGB.
    public init(rgb8: [UInt8], width: Int, height: Int) {
        precondition(rgb8.count == width * height * 3)
        let plane = width * height
        var data = [Float](repeating: 0, count: plane * 3)
        for i in 0..<plane {
            for c in 0..<3 { data[c * plane + i] = Float(rgb8[i * 3 + c]) }
        }
        self.init(pixels: Tensor(channels: 3, height: height, width: width, data: data))
    }

    /// The longer side scaled to `longerSide`, aspect kept (each side at least 1 pixel).
    public func sizeForLongerSide(_ longerSide: Int) -> (width: Int, height: Int) {
        let scale = Double(longerSide) / Double(max(width, height))
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
    }
}
