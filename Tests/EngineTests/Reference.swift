import Engine

// A float64 reference of the network's forward pass, written as plainly as possible, for
// the finite-difference checks: the engine's float32 gradient is compared with central
// differences of this, so rounding in the engine cannot hide in both sides.
enum Reference {
    struct Volume {
        var channels: Int, height: Int, width: Int
        var data: [Double]

        subscript(c: Int, y: Int, x: Int) -> Double { data[(c * height + y) * width + x] }
    }

    static func volume(_ t: Tensor) -> Volume {
        Volume(channels: t.channels, height: t.height, width: t.width, data: t.data.map(Double.init))
    }

    /// Where padding index i (−1 or n) reads from along a side of n, as the edge mode says; nil: a zero.
    static func source(_ i: Int, _ n: Int, _ edges: EdgePadding) -> Int? {
        if i >= 0 && i < n { return i }
        switch edges {
        case .zero: return nil
        case .replicate: return i < 0 ? 0 : n - 1
        case .reflect: return i < 0 ? 1 : n - 2
        }
    }

    static func conv(_ x: Volume, _ w: ConvolutionWeights, relu: Bool, edges: EdgePadding = .zero) -> Volume {
        var out = [Double](repeating: 0, count: w.outputChannels * x.height * x.width)
        for o in 0..<w.outputChannels {
            for y in 0..<x.height {
                for xx in 0..<x.width {
                    var sum = Double(w.bias[o])
                    for c in 0..<x.channels {
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                guard let sy = source(y + ky - 1, x.height, edges), let sx = source(xx + kx - 1, x.width, edges) else { continue }
                                sum += Double(w.kernel[((o * x.channels + c) * 3 + ky) * 3 + kx]) * x[c, sy, sx]
                            }
                        }
                    }
                    out[(o * x.height + y) * x.width + xx] = relu ? max(0, sum) : sum
                }
            }
        }
        return Volume(channels: w.outputChannels, height: x.height, width: x.width, data: out)
    }

    static func pool(_ x: Volume, _ kind: Pooling) -> Volume {
        let h = x.height / 2, w = x.width / 2
        var out: [Double] = []
        for c in 0..<x.channels {
            for y in 0..<h {
                for xx in 0..<w {
                    let four = [x[c, 2 * y, 2 * xx], x[c, 2 * y, 2 * xx + 1], x[c, 2 * y + 1, 2 * xx], x[c, 2 * y + 1, 2 * xx + 1]]
                    out.append(kind == .max ? four.max()! : four.reduce(0, +) / (kind == .scaledAverage ? 2 : 4))
                }
            }
        }
        return Volume(channels: x.channels, height: h, width: w, data: out)
    }

    /// BGR minus the Caffe mean (the convention of the random test networks).
    static func preprocess(_ image: [Double], height: Int, width: Int) -> Volume {
        let plane = height * width, mean = [103.939, 116.779, 123.68]
        var data = [Double](repeating: 0, count: 3 * plane)
        for c in 0..<3 { for p in 0..<plane { data[c * plane + p] = image[(2 - c) * plane + p] - mean[c] } }
        return Volume(channels: 3, height: height, width: width, data: data)
    }

    /// Post-ReLU activations of every convolution up to `depth`, for an RGB image in 0...255.
    static func vgg(_ weights: VGGWeights, image: [Double], height: Int, width: Int, depth: Int, pooling: Pooling,
                    edges: EdgePadding = .zero) -> [String: Volume] {
        var x = preprocess(image, height: height, width: width)
        var result: [String: Volume] = [:]
        var previousBlock = "block1"
        for layer in weights.convolutions.prefix(depth) {
            let block = String(layer.name.prefix(6))
            if block != previousBlock { x = pool(x, pooling); previousBlock = block }
            x = conv(x, layer, relu: true, edges: result.isEmpty ? edges : .zero)
            result[layer.name] = x
        }
        return result
    }
}

/// ‖a − b‖ / ‖b‖; infinite when b is zero, so that a gradient check of nothing fails.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    let difference = zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    let norm = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? difference / norm : .infinity
}
