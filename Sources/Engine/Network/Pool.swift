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
                    let (x, y, best) = (x.baseAddress!, y.baseAddress!, kind == .max ? best.baseAddress : nil)
                    Parallel.forEachRange(input.channels, minimum: 2) { channels in
                        for c in channels {
                            for oy in 0..<h {
                                let top = x + (c * input.height + 2 * oy) * input.width
                                let bottom = top + input.width
                                let out = (c * h + oy) * w
                                for ox in 0..<w {
                                    let a = top[2 * ox], b = top[2 * ox + 1], d = bottom[2 * ox], e = bottom[2 * ox + 1]
                                    guard let best else {
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
        }
        return PoolResult(output: output, winners: winners)
    }

    /// dX for an input of `inputHeight × inputWidth` given dY. Every element of dX is written
    /// once (the losers of each window and a dropped odd row or column get zeros), channels in
    /// parallel, so that dX needs no zeroing pass of its own.
    public static func backward(_ gradient: Tensor, _ kind: Pooling, winners: [UInt8], inputHeight: Int, inputWidth: Int) -> Tensor {
        let h = gradient.height, w = gradient.width
        return Tensor(channels: gradient.channels, height: inputHeight, width: inputWidth) { g in
            gradient.data.withUnsafeBufferPointer { dy in
                winners.withUnsafeBufferPointer { best in
                    let (dy, best) = (dy.baseAddress!, kind == .max ? best.baseAddress : nil)
                    Parallel.forEachRange(gradient.channels, minimum: 2) { channels in
                        for c in channels {
                            let plane = g + c * inputHeight * inputWidth
                            for oy in 0..<h {
                                let top = plane + 2 * oy * inputWidth, bottom = top + inputWidth
                                let out = (c * h + oy) * w
                                for ox in 0..<w {
                                    let value = dy[out + ox]
                                    let shares: (Float, Float, Float, Float)
                                    if let best {
                                        let index = best[out + ox]
                                        shares = (index == 0 ? value : 0, index == 1 ? value : 0, index == 2 ? value : 0, index == 3 ? value : 0)
                                    } else {
                                        let share = value * kind.averageFactor
                                        shares = (share, share, share, share)
                                    }
                                    (top[2 * ox], top[2 * ox + 1], bottom[2 * ox], bottom[2 * ox + 1]) = shares
                                }
                                if inputWidth > 2 * w { top[2 * w] = 0; bottom[2 * w] = 0 }
                            }
                            if inputHeight > 2 * h { (plane + 2 * h * inputWidth).update(repeating: 0, count: inputWidth) }
                        }
                    }
                }
            }
        }
    }
}
