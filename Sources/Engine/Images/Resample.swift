import Foundation

// Resampling, separable, one axis at a time. Shrinking uses Lanczos-3 stretched by the
// scale factor (so it also averages, like an area filter, and does not alias); enlarging
// uses bicubic (Keys, a = -0.5). Written by hand: no Debian library offers a float
// resampler that fits a planar tensor.
extension RGBImage {
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        if newWidth == width && newHeight == height { return self }
        let horizontal = Resampler.weights(from: width, to: newWidth)
        let vertical = Resampler.weights(from: height, to: newHeight)
        var rows = Tensor(channels: 3, height: height, width: newWidth)
        for c in 0..<3 {
            for y in 0..<height {
                let inBase = (c * height + y) * width, outBase = (c * height + y) * newWidth
                for x in 0..<newWidth {
                    var sum: Float = 0
                    for (index, weight) in horizontal[x] { sum += weight * pixels.data[inBase + index] }
                    rows.data[outBase + x] = sum
                }
            }
        }
        var out = Tensor(channels: 3, height: newHeight, width: newWidth)
        for c in 0..<3 {
            for y in 0..<newHeight {
                let outBase = (c * newHeight + y) * newWidth
                for (index, weight) in vertical[y] {
                    let inBase = (c * height + index) * newWidth
                    for x in 0..<newWidth { out.data[outBase + x] += weight * rows.data[inBase + x] }
                }
            }
        }
        for i in out.data.indices { out.data[i] = min(255, max(0, out.data[i])) }
        return RGBImage(pixels: out)
    }

    /// Resized so the longer side is `longerSide` pixels, aspect kept.
    public func resized(longerSide: Int) -> RGBImage {
        let size = sizeForLongerSide(longerSide)
        return resized(width: size.width, height: size.height)
    }
}

enum Resampler {
    static func lanczos3(_ x: Double) -> Double {
        if x == 0 { return 1 }
        if abs(x) >= 3 { return 0 }
        let px = Double.pi * x
        return 3 * sin(px) * sin(px / 3) / (px * px)
    }

    static func bicubic(_ x: Double) -> Double {
        let a = -0.5, t = abs(x)
        if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
        if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
        return 0
    }

    /// For each output sample, the input samples it reads and their normalised weights.
    static func weights(from inSize: Int, to outSize: Int) -> [[(Int, Float)]] {
        let scale = Double(inSize) / Double(outSize)
        let shrinking = scale > 1
        let stretch = shrinking ? scale : 1
        let support = (shrinking ? 3.0 : 2.0) * stretch
        let kernel = shrinking ? lanczos3 : bicubic
        return (0..<outSize).map { i in
            let center = (Double(i) + 0.5) * scale
            let first = Int((center - support).rounded(.down)), last = Int((center + support).rounded(.up))
            var taps: [Int: Double] = [:]
            for j in first...last {
                let weight = kernel((Double(j) + 0.5 - center) / stretch)
                if weight != 0 { taps[min(inSize - 1, max(0, j)), default: 0] += weight }
            }
            let total = taps.values.reduce(0, +)
            return taps.sorted { $0.key < $1.key }.map { ($0.key, Float($0.value / total)) }
        }
    }
}
