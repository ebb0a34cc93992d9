// Content loss (Gatys et al., eq. 1): L_c = ½ Σ (F − P)², with F the image's features at a
// layer and P the content image's; ∂L_c/∂F = F − P.
public enum ContentLoss {
    public static func evaluate(features: Tensor, target: Tensor) -> (loss: Double, gradient: Tensor) {
        precondition(features.count == target.count, "content target has another shape than the features")
        var loss = 0.0
        let gradient = Tensor(channels: features.channels, height: features.height, width: features.width) { g in
            features.data.withUnsafeBufferPointer { f in
                target.data.withUnsafeBufferPointer { p in
                    for i in f.indices {
                        let d = f[i] - p[i]
                        g[i] = d
                        loss += Double(d) * Double(d)
                    }
                }
            }
        }
        return (loss / 2, gradient)
    }
}
