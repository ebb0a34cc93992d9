import Engine
import Foundation

extension JobRenderer {
    /// What one scale renders: the content and styles at its size, prepared for the colour
    /// mode, the styles' Grams (from the cache when it has them), and how a rendered image is
    /// shown (for luminance-only transfer: with the content's chroma put back).
    struct ScaleInputs {
        var content: RGBImage
        var styles: [(image: RGBImage, weight: Double)]
        var grams: [[String: GramMatrix]]
        var pictures: [RenderReport.Picture]
        var present: (RGBImage) -> RGBImage
    }

    func inputs(at size: Int, job: ResolvedJob, folder: JobFolder, content original: (image: RGBImage, digest: String),
                styles originals: [(image: RGBImage, digest: String)], network: VGG, depth: Int, modelDigest: String) throws -> ScaleInputs {
        let content = original.image.resized(longerSide: size)
        // A recoloured style's Grams depend on the content it was matched to.
        let variant = job.preserveColors == .none ? "" : "\(job.preserveColors.rawValue) \(original.digest) \(content.width)x\(content.height)"
        var inputs = ScaleInputs(content: job.preserveColors == .luminance ? ColourTransfer.grey(content) : content,
                                 styles: [], grams: [], pictures: [],
                                 present: job.preserveColors == .luminance ? { ColourTransfer.combine(luminanceOf: $0, chromaOf: content) } : { $0 })
        for (style, (styleOriginal, digest)) in zip(job.style, originals) {
            let side = try styleSide(of: styleOriginal, named: style.image, at: size, job: job, folder: folder,
                                     minimumSide: network.minimumSide(forDepth: depth))
            let resized = styleOriginal.resized(longerSide: side)
            let image = switch job.preserveColors {
            case .none: resized
            case .luminance: ColourTransfer.luminance(of: resized, matchedTo: content)
            case .histogram: ColourTransfer.matchColourStatistics(of: resized, to: content)
            }
            let key = environment.grams.key(imageDigest: digest, width: image.width, height: image.height, modelDigest: modelDigest,
                                            pooling: job.pooling, layers: job.styleLayers, variant: variant)
            let grams = environment.grams.load(key, layers: job.styleLayers) ?? {
                let computed = Targets.grams(of: image, network: network, layers: job.styleLayers)
                environment.grams.store(computed, key: key)
                return computed
            }()
            inputs.styles.append((image, style.weight))
            inputs.grams.append(grams)
            inputs.pictures.append(.init(file: style.image, originalWidth: styleOriginal.width, originalHeight: styleOriginal.height,
                                         width: image.width, height: image.height, weight: style.weight))
        }
        return inputs
    }

    /// A style's longer side at a scale: `style_scale` × the scale's, but no less than gives its
    /// shorter side the `minimumSide` the deepest style layer needs, and no more pixels than
    /// an input may have. Worked out in floating point, as `style_scale` may be any size.
    private func styleSide(of style: RGBImage, named name: String, at size: Int, job: ResolvedJob, folder: JobFolder,
                           minimumSide: Int) throws -> Int {
        let longer = Double(max(style.width, style.height)), shorter = Double(min(style.width, style.height))
        let side = max(job.styleScale * Double(size), (Double(minimumSide) * longer / shorter).rounded(.up))
        guard side * side * shorter / longer <= Double(environment.limits.maxPixels) else {
            throw ManifestError(file: folder.manifestPath, field: "style_scale",
                                reason: "at size \(size), style_scale \(job.styleScale) would make `\(name)` more than the limit of \(environment.limits.maxPixels) pixels")
        }
        return Int(side.rounded())
    }
}
