import VectorKernels

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
    /// The pooled tensor, rows written by the vectorised kernels (VectorKernels), channels in parallel.
    public static func forward(_ input: Tensor, _ kind: Pooling) -> PoolResult {
        let h = input.height / 2, w = input.width / 2, count = input.channels * h * w
        var winners = [UInt8]()
        let output = Tensor(channels: input.channels, height: h, width: w) { y in
            input.data.withUnsafeBufferPointer { x in
                winners = [UInt8](unsafeUninitializedCapacity: kind == .max ? count : 0) { buffer, written in
                    let (x, best) = (x.baseAddress!, kind == .max ? buffer.baseAddress : nil)
                    Parallel.forEachRange(input.channels, minimum: 2) { channels in
                        for c in channels {
                            for oy in 0..<h {
                                let top = x + (c * input.height + 2 * oy) * input.width, bottom = top + input.width
                                let out = (c * h + oy) * w
                                if let best {
                                    styled_max_pool_row(top, bottom, w, y + out, best + out)
                                } else {
                                    styled_average_pool_row(top, bottom, w, kind.averageFactor, y + out)
                                }
                            }
                        }
                    }
                    written = buffer.count
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
                                if let best {
                                    styled_max_pool_backward_row(dy + out, best + out, w, top, bottom)
                                } else {
                                    styled_average_pool_backward_row(dy + out, w, kind.averageFactor, top, bottom)
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
