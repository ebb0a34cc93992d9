import Foundation

// The colour maths of colour preservation (ColourPreservation.swift): YIQ, luminance
// matching and the matching of RGB mean and covariance.

public enum ColourTransfer {
    /// RGB → YIQ (FCC NTSC); its inverse below. A grey pixel (R = G = B) has I = Q = 0.
    static let toYIQ: [Double] = [0.299, 0.587, 0.114,
                                  0.595716, -0.274453, -0.321263,
                                  0.211456, -0.522591, 0.311135]
    static let fromYIQ: [Double] = inverse3(toYIQ)

    /// Each pixel's Y, I and Q, as a 3-channel tensor of the image's size.
    public static func yiq(_ image: RGBImage) -> Tensor { transform(image.pixels, by: toYIQ) }

    /// Applies a 3×3 colour matrix to every pixel (in float64, stored as float32).
    static func transform(_ pixels: Tensor, by matrix: [Double], offset: [Double] = [0, 0, 0]) -> Tensor {
        var result = Tensor(channels: 3, height: pixels.height, width: pixels.width)
        let plane = pixels.height * pixels.width
        for i in 0..<plane {
            let (r, g, b) = (Double(pixels.data[i]), Double(pixels.data[plane + i]), Double(pixels.data[2 * plane + i]))
            for row in 0..<3 {
                result.data[row * plane + i] = Float(matrix[3 * row] * r + matrix[3 * row + 1] * g + matrix[3 * row + 2] * b + offset[row])
            }
        }
        return result
    }

    /// The image's luminance as a grey image (Y in all three channels).
    public static func grey(_ image: RGBImage) -> RGBImage {
        let plane = image.width * image.height
        let y = Array(yiq(image).data[0..<plane])
        return RGBImage(pixels: Tensor(channels: 3, height: image.height, width: image.width, data: y + y + y))
    }

    /// The style's luminance, shifted and scaled to the content's luminance mean and
    /// deviation, as a grey image.
    public static func luminance(of style: RGBImage, matchedTo content: RGBImage) -> RGBImage {
        let plane = style.width * style.height
        let styleY = grey(style).pixels.data[0..<plane].map(Double.init)
        let contentY = grey(content).pixels.data[0..<(content.width * content.height)].map(Double.init)
        let (styleMean, styleDeviation) = meanAndDeviation(styleY), (contentMean, contentDeviation) = meanAndDeviation(contentY)
        let scale = contentDeviation / max(styleDeviation, 1e-6)
        let y = styleY.map { Float((($0 - styleMean) * scale + contentMean).clamped(to: 0...255)) }
        return RGBImage(pixels: Tensor(channels: 3, height: style.height, width: style.width, data: y + y + y))
    }

    /// The result's luminance with the content's chroma (I and Q), back in RGB within 0…255.
    public static func combine(luminanceOf result: RGBImage, chromaOf content: RGBImage) -> RGBImage {
        precondition(result.width == content.width && result.height == content.height)
        let plane = result.width * result.height
        var mixed = yiq(content)
        let luminance = yiq(result)
        for i in 0..<plane { mixed.data[i] = luminance.data[i] }
        var rgb = transform(mixed, by: fromYIQ)
        for i in rgb.data.indices { rgb.data[i] = min(255, max(0, rgb.data[i])) }
        return RGBImage(pixels: rgb)
    }

    /// The style recoloured so that its RGB mean and covariance are the content's:
    /// x' = A (x − μ_s) + μ_c with A = Σ_c^½ Σ_s^-½ (the symmetric square roots), so that
    /// A Σ_s Aᵀ = Σ_c. Not clamped to 0…255, which would bend the statistics: the network
    /// takes any value.
    public static func matchColourStatistics(of style: RGBImage, to content: RGBImage) -> RGBImage {
        let (styleMean, styleCovariance) = meanAndCovariance(style)
        let (contentMean, contentCovariance) = meanAndCovariance(content)
        let a = multiply3(symmetricPower(contentCovariance, 0.5), symmetricPower(styleCovariance, -0.5))
        let shifted = (0..<3).map { row in contentMean[row] - (0..<3).reduce(0) { $0 + a[3 * row + $1] * styleMean[$1] } }
        return RGBImage(pixels: transform(style.pixels, by: a, offset: shifted))
    }

    /// The mean RGB and the 3×3 covariance (row-major) of an image's pixels, in float64.
    public static func meanAndCovariance(_ image: RGBImage) -> (mean: [Double], covariance: [Double]) {
        let plane = image.width * image.height
        let channels = (0..<3).map { c in image.pixels.data[c * plane..<(c + 1) * plane].map(Double.init) }
        let mean = channels.map { $0.reduce(0, +) / Double(plane) }
        var covariance = [Double](repeating: 0, count: 9)
        for row in 0..<3 {
            for column in row..<3 {
                var sum = 0.0
                for i in 0..<plane { sum += (channels[row][i] - mean[row]) * (channels[column][i] - mean[column]) }
                covariance[3 * row + column] = sum / Double(plane)
                covariance[3 * column + row] = covariance[3 * row + column]
            }
        }
        return (mean, covariance)
    }

    private static func meanAndDeviation(_ values: [Double]) -> (Double, Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        return (mean, (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot())
    }

    /// S^p of a symmetric positive semi-definite 3×3 matrix through its eigenvectors; tiny
    /// eigenvalues (a style with no spread in some colour direction) are floored so that the
    /// negative power stays finite.
    static func symmetricPower(_ matrix: [Double], _ power: Double) -> [Double] {
        let (values, vectors) = BLAS.symmetricEigen(matrix, n: 3)
        let floor = max(1e-6, 1e-9 * (values.max() ?? 0))
        var result = [Double](repeating: 0, count: 9)
        for k in 0..<3 {
            let scaled = pow(max(values[k], floor), power)
            // Eigenvector k is column k of `vectors`.
            for row in 0..<3 { for column in 0..<3 { result[3 * row + column] += scaled * vectors[3 * row + k] * vectors[3 * column + k] } }
        }
        return result
    }

    static func multiply3(_ a: [Double], _ b: [Double]) -> [Double] {
        var product = [Double](repeating: 0, count: 9)
        for row in 0..<3 { for column in 0..<3 { for k in 0..<3 { product[3 * row + column] += a[3 * row + k] * b[3 * k + column] } } }
        return product
    }

    static func inverse3(_ m: [Double]) -> [Double] {
        let cofactors = [m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
                         m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
                         m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]]
        let determinant = m[0] * cofactors[0] + m[1] * cofactors[3] + m[2] * cofactors[6]
        return cofactors.map { $0 / determinant }
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(range.upperBound, max(range.lowerBound, self)) }
}
