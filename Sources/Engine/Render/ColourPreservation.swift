import Foundation

// Colour preservation (Gatys, Bethge, Hertzmann & Shechtman 2016, "Preserving Color in
// Neural Artistic Style Transfer"): plain transfer takes the style's colours too. Two cures:
//   luminance: transfer on luminance only (Y of YIQ), the style's luminance first matched to
//              the content's mean and deviation; the result's Y then takes the content's I, Q;
//   histogram: recolour each style image beforehand so its RGB mean and covariance are the
//              content's (x' = A (x − μ_s) + μ_c with A Σ_s Aᵀ = Σ_c), then render as usual.

public enum ColourPreservation: String, Sendable, Codable, CaseIterable {
    case none, luminance, histogram

    /// The content as the objective sees it: for `luminance`, its luminance alone.
    func content(_ content: RGBImage) -> RGBImage { self == .luminance ? ColourTransfer.grey(content) : content }

    /// A style image, at its render size, made ready for a content (at the same scale).
    func style(_ style: RGBImage, for content: RGBImage) -> RGBImage {
        switch self {
        case .none: style
        case .luminance: ColourTransfer.luminance(of: style, matchedTo: content)
        case .histogram: ColourTransfer.matchColourStatistics(of: style, to: content)
        }
    }

    /// A rendered image as the job shows it: for `luminance`, its luminance with the content's colour.
    func present(_ image: RGBImage, content: RGBImage) -> RGBImage {
        self == .luminance ? ColourTransfer.combine(luminanceOf: image, chromaOf: content) : image
    }
}
