// 2×2 pooling with stride 2, after each VGG block. Odd sizes drop the last row or column
// (Keras' "valid" pooling). Max pooling remembers which of the four inputs won, so that its
// backward sends the gradient there; average pooling spreads it evenly.
public enum Pooling: String, Sendable, Codable {
    case max, average
    /// Average pooling ×2 (crowsonkb's style-transfer-pytorch): the mean of four ReLU outputs
    /// is about half their maximum, so unscaled averages leave the deeper layers weaker than
    /// the network was trained to see them, and their style losses with less say.
    case scaledAverage = "scaled_average"

    /// What average pooling multiplies the sum of its four inputs by.
    var averageFactor: Float { self == .scaledAverage ? 0.5 : 0.25 }
}

public struct PoolResult {
    public var output: Tensor
    /// For max pooling: per output element, the winning input's index 0...3 (dy·2 + dx).
    public var winners: [UInt8]
}

public enum Pool {
    public static func forward(_ input: Tensor, _ kind: Pooling) -> PoolResult {
        let h = input.height / 2, w = input.width / 2
        var output = Tensor(channels: input.channels, height: h, width: w)
        var winners = [UInt8](repeating: 0, count: kind == .max ? output.count : 0)
        input.data.withUnsafeBufferPointer { x in
            output.data.withUnsafeMutableBufferPointer { y in
                winners.withUnsafeMutableBufferPointer { best in
                    for c in 0..<input.channels {
                        for oy in 0..<h {
                            let top = x.baseAddress! + (c * input.height + 2 * oy) * input.width
                            let bottom = top + input.width
                            let out = (c * h + oy) * w
                            for ox in 0..<w {
                                let a = top[2 * ox], b = top[2 * ox + 1], d = bottom[2 * ox], e = bottom[2 * ox + 1]
                                if kind != .max {
                                    y[out + ox] = (a + b + d + e) * kind.averageFactor
                                    continue
                                }
                                var value = a, index: UInt8 = 0
                                if b > value { value = b; index = 1 }
                                if d > value { value = d; index = 2 }
                                if e > value { value = e; index = 3 }
                                y[out + ox] = value
                                best[out + ox] = index
                            }
                        }
                    }
                }
            }
        }
        return PoolResult(output: output, winners: winners)
    }

    /// dX for an input of `inputHeight × inputWidth` given dY.
    public static func backward(_ gradient: Tensor, _ kind: Pooling, winners: [UInt8], inputHeight: Int, inputWidth: Int) -> Tensor {
        var dx = Tensor(channels: gradient.channels, height: inputHeight, width: inputWidth)
        let h = gradient.height, w = gradient.width
        gradient.data.withUnsafeBufferPointer { dy in
            dx.data.withUnsafeMutableBufferPointer { g in
                for c in 0..<gradient.channels {
                    for oy in 0..<h {
                        let top = (c * inputHeight + 2 * oy) * inputWidth
                        let out = (c * h + oy) * w
                        for ox in 0..<w {
                            let value = dy[out + ox]
                            if kind != .max {
                                let share = value * kind.averageFactor
                                g[top + 2 * ox] = share
                                g[top + 2 * ox + 1] = share
                                g[top + inputWidth + 2 * ox] = share
                                g[top + inputWidth + 2 * ox + 1] = share
                            } else {
                                let index = Int(winners[out + ox])
                                g[top + (index >> 1) * inputWidth + 2 * ox + (index & 1)] = value
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
