import Foundation

// Total variation as the spec defines it, per channel, over i < H−1, j < W−1:
//   L_tv = Σ d^1.25,  d = (x[i+1,j] − x[i,j])² + (x[i,j+1] − x[i,j])².
// With a the vertical and b the horizontal difference, ∂d^1.25/∂d = 1.25 d^0.25, so each
// term pulls x[i+1,j] by 2a, x[i,j+1] by 2b and x[i,j] by −2(a + b), times that slope.
public enum TotalVariation {
    public static let exponent = 1.25

    public static func evaluate(_ image: Tensor) -> (loss: Double, gradient: Tensor) {
        let h = image.height, w = image.width
        var gradient = Tensor(channels: image.channels, height: h, width: w)
        var loss = 0.0
        image.data.withUnsafeBufferPointer { x in
            gradient.data.withUnsafeMutableBufferPointer { g in
                for c in 0..<image.channels {
                    let base = c * h * w
                    for i in 0..<max(0, h - 1) {
                        for j in 0..<max(0, w - 1) {
                            let at = base + i * w + j
                            let a = Double(x[at + w] - x[at]), b = Double(x[at + 1] - x[at])
                            let d = a * a + b * b
                            guard d > 0 else { continue }
                            let root = pow(d, exponent - 1)
                            loss += d * root
                            let slope = 2 * exponent * root
                            g[at + w] += Float(slope * a)
                            g[at + 1] += Float(slope * b)
                            g[at] -= Float(slope * (a + b))
                        }
                    }
                }
            }
        }
        return (loss, gradient)
    }
}
