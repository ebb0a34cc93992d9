/// The plain six-loop convolution: slow, obviously right, the reference for tests.
public struct DirectConvolution: ConvolutionAlgorithm {
    public init() {}

    public func convolve(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                         kernel: UnsafePointer<Float>, outputChannels: Int, output: UnsafeMutablePointer<Float>,
                         epilogue: ConvolutionEpilogue) {
        for o in 0..<outputChannels {
            for y in 0..<height {
                for x in 0..<width {
                    var sum = Double(epilogue.bias?[o] ?? 0)
                    for c in 0..<channels {
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let sy = y + ky - 1, sx = x + kx - 1
                                guard sy >= 0, sy < height, sx >= 0, sx < width else { continue }
                                sum += Double(kernel[((o * channels + c) * 3 + ky) * 3 + kx]) * Double(input[(c * height + sy) * width + sx])
                            }
                        }
                    }
                    output[(o * height + y) * width + x] = epilogue.relu ? Float(max(0, sum)) : Float(sum)
                }
            }
        }
    }
}
