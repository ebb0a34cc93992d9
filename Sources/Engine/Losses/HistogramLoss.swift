// Histogram loss (Risser, Wilmot & Barnes 2017, "Stable and Controllable Neural Texture
// Synthesis and Style Transfer Using Histogram Losses"). A Gram matrix fixes second-order
// statistics only; many activation distributions share it, some washed out, some noisy. At
// chosen layers, each channel of the current activations O is remapped so that its histogram
// is the style's:  R(O) = S⁻¹(C_O(O)),  through O's own CDF (256 bins over its range) and the
// style channel's inverse CDF (256 bins over the style channel's range). R(O) is then held
// as a constant target:
//   L_h = Σ_l w_l ‖O_l − R(O_l)‖² / (N_l M_l),   ∂/∂O_l = 2 w_l (O_l − R(O_l)) / (N_l M_l)
// (mean squared, so that its weight carries across image sizes like the style loss's).

/// Each channel's histogram of one layer's activations, as its CDF at the bin edges.
public struct ChannelHistograms: Sendable, Equatable {
    public static let bins = 256
    /// Per channel: the range the bins cover, and the CDF at the 257 bin edges (0 … 1).
    public var low: [Float]
    public var high: [Float]
    public var cumulative: [[Double]]

    /// The histograms of style features, several styles mixed by weight over their joint range.
    public init(blending styles: [(features: Tensor, weight: Double)]) {
        let channels = styles[0].features.channels
        let total = styles.reduce(0) { $0 + $1.weight }
        low = (0..<channels).map { c in styles.map { $0.features.channel(c).min()! }.min()! }
        high = (0..<channels).map { c in styles.map { $0.features.channel(c).max()! }.max()! }
        cumulative = []
        for c in 0..<channels {
            var counts = [Double](repeating: 0, count: Self.bins)
            for (features, weight) in styles {
                let values = features.channel(c)
                let share = weight / total / Double(values.count)
                for value in values { counts[Self.bin(value, low[c], high[c])] += share }
            }
            cumulative.append(Self.edges(counts))
        }
    }

    static func bin(_ value: Float, _ low: Float, _ high: Float) -> Int {
        high > low ? min(bins - 1, max(0, Int((value - low) / (high - low) * Float(bins)))) : 0
    }

    static func edges(_ counts: [Double]) -> [Double] {
        var edges = [0.0]
        for count in counts { edges.append(edges.last! + count) }
        let total = edges.last!
        return edges.map { $0 / total }
    }

    /// The value at quantile q of channel c: S⁻¹(q), linear within a bin.
    func value(atQuantile q: Double, channel c: Int) -> Float {
        let edges = cumulative[c]
        // The first bin whose upper edge reaches q (empty bins, of zero width in q, are skipped).
        var lower = 0, upper = Self.bins - 1
        while lower < upper {
            let middle = (lower + upper) / 2
            if edges[middle + 1] < q { lower = middle + 1 } else { upper = middle }
        }
        let width = edges[lower + 1] - edges[lower]
        let within = width > 0 ? min(1, max(0, (q - edges[lower]) / width)) : 0.5
        return low[c] + Float((Double(lower) + within) / Double(Self.bins)) * (high[c] - low[c])
    }
}

public enum HistogramLoss {
    /// R(O): each channel of `features` moved, value by value, to the style's value at the
    /// same quantile.
    public static func remap(_ features: Tensor, to target: ChannelHistograms) -> Tensor {
        precondition(target.low.count == features.channels, "histogram target has \(target.low.count) channels, the layer \(features.channels)")
        var remapped = Tensor(channels: features.channels, height: features.height, width: features.width)
        let plane = features.plane
        remapped.data.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            Parallel.forEachRange(features.channels, minimum: 1) { channels in
                for c in channels {
                    let values = features.channel(c)
                    let (low, high) = (values.min()!, values.max()!)
                    var counts = [Double](repeating: 0, count: ChannelHistograms.bins)
                    for value in values { counts[ChannelHistograms.bin(value, low, high)] += 1 }
                    let own = ChannelHistograms.edges(counts)
                    for (i, value) in values.enumerated() {
                        // C_O(v), linear within v's bin.
                        let position = high > low ? Double((value - low) / (high - low)) * Double(ChannelHistograms.bins) : 0.5
                        let bin = min(ChannelHistograms.bins - 1, max(0, Int(position)))
                        let q = own[bin] + (position - Double(bin)) * (own[bin + 1] - own[bin])
                        out[c * plane + i] = target.value(atQuantile: q, channel: c)
                    }
                }
            }
        }
        return remapped
    }

    /// ‖O − R‖² / (N M) and its gradient with respect to O, with R held fixed.
    public static func evaluate(features: Tensor, remapped: Tensor) -> (loss: Double, gradient: Tensor) {
        precondition(features.data.count == remapped.data.count)
        let scale = 1 / Double(features.data.count)
        var gradient = Tensor(channels: features.channels, height: features.height, width: features.width)
        var sum = 0.0
        for i in features.data.indices {
            let difference = features.data[i] - remapped.data[i]
            sum += Double(difference) * Double(difference)
            gradient.data[i] = Float(2 * scale) * difference
        }
        return (sum * scale, gradient)
    }
}
