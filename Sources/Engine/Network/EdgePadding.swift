// What the first convolution sees beyond the image's edge. VGG pads every convolution with
// zeros, and after the input's mean is subtracted a zero there is a mid-grey pixel: the
// first layer sees a hard edge all round the picture, whose features the style loss then
// asks the optimiser to match, and results grow a dark or light frame. Replicating the edge
// pixels (crowsonkb's style-transfer-pytorch) or reflecting them shows the first layer no
// edge at all. Deeper layers keep zero padding: they were trained with it.
//
// The first convolution is run on the image padded by one pixel here and its output's outer
// ring dropped, so its zero padding never reaches a kept output; the backward pass adds the
// padding's gradient back onto the pixels it copied (the adjoint of `pad`).

public enum EdgePadding: String, Sendable, Codable, CaseIterable {
    /// The paper's: zeros, as every VGG layer pads.
    case zero
    /// The nearest edge pixel.
    case replicate
    /// The pixel one step inside the edge (the edge itself is not repeated).
    case reflect

    /// The source index of padded index `i` (−1...n) along a side of n pixels; nil for zero.
    private func source(_ i: Int, _ n: Int) -> Int? {
        if (0..<n).contains(i) { return i }
        switch self {
        case .zero: return nil
        case .replicate: return i < 0 ? 0 : n - 1
        case .reflect: return i < 0 ? min(1, n - 1) : max(n - 2, 0)
        }
    }

    /// `x` with one pixel more on every side.
    func pad(_ x: Tensor) -> Tensor {
        var padded = Tensor(channels: x.channels, height: x.height + 2, width: x.width + 2)
        for c in 0..<x.channels {
            for y in -1...x.height {
                guard let sy = source(y, x.height) else { continue }
                for column in -1...x.width {
                    guard let sx = source(column, x.width) else { continue }
                    padded[c, y + 1, column + 1] = x[c, sy, sx]
                }
            }
        }
        return padded
    }

    /// The adjoint of `pad`: each padded pixel's gradient added onto the pixel it copied.
    func fold(_ g: Tensor) -> Tensor {
        let height = g.height - 2, width = g.width - 2
        var folded = Tensor(channels: g.channels, height: height, width: width)
        for c in 0..<g.channels {
            for y in -1...height {
                guard let sy = source(y, height) else { continue }
                for column in -1...width {
                    guard let sx = source(column, width) else { continue }
                    folded[c, sy, sx] += g[c, y + 1, column + 1]
                }
            }
        }
        return folded
    }

    /// `x` without its outer ring of pixels.
    static func crop(_ x: Tensor) -> Tensor {
        let height = x.height - 2, width = x.width - 2
        return Tensor(channels: x.channels, height: height, width: width) { out in
            x.data.withUnsafeBufferPointer { source in
                Parallel.forEachRange(x.channels, minimum: 2) { channels in
                    for c in channels {
                        for y in 0..<height {
                            (out + (c * height + y) * width).update(from: source.baseAddress! + (c * x.height + y + 1) * x.width + 1, count: width)
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `crop` after the adjoint of the ReLU whose output was cropped to
    /// `reluOutput`: `x` kept where `reluOutput` > 0, inside a ring of zeros.
    static func surround(_ x: Tensor, throughReLU reluOutput: Tensor) -> Tensor {
        precondition(x.count == reluOutput.count)
        let height = x.height + 2, width = x.width + 2
        return Tensor(channels: x.channels, height: height, width: width) { out in
            x.data.withUnsafeBufferPointer { source in
                reluOutput.data.withUnsafeBufferPointer { y in
                    Parallel.forEachRange(x.channels, minimum: 2) { channels in
                        for c in channels {
                            let plane = out + c * height * width
                            plane.update(repeating: 0, count: width)
                            (plane + (height - 1) * width).update(repeating: 0, count: width)
                            for row in 0..<x.height {
                                let target = plane + (row + 1) * width, from = (c * x.height + row) * x.width
                                target[0] = 0
                                ReLU.backward(source.baseAddress! + from, output: y.baseAddress! + from, count: x.width, into: target + 1)
                                target[width - 1] = 0
                            }
                        }
                    }
                }
            }
        }
    }
}
