/// What one scale renders: the content and styles at its size, prepared for the colour mode
/// (ColourPreservation.swift), the styles' Grams, the objective weighted for the scale, and how
/// a rendered image is shown.
struct ScaleInputs {
    var content: RGBImage
    var styles: [(image: RGBImage, weight: Double)]
    var grams: [[String: GramMatrix]]
    var objective: ObjectiveSettings
    var present: (RGBImage) -> RGBImage
}

extension JobRender {
    func inputs(atScale index: Int) -> ScaleInputs {
        let size = settings.scales[index].size, colour = settings.preserveColors
        let content = self.content.resized(longerSide: size)
        let minimumSide = network.minimumSide(forDepth: settings.depth(in: network))
        let styles = self.styles.map { style in
            let side = settings.styleSize(of: style.image, atSize: size, minimumSide: minimumSide).side
            return (image: colour.style(style.image.resized(longerSide: Int(side.rounded())), for: content), weight: style.weight)
        }
        let layers = settings.objective.styleLayers
        let tileCore = memory.scales[index].tileCore
        let grams = styles.enumerated().map { styleIndex, style in
            self.grams(GramRequest(style: styleIndex, width: style.image.width, height: style.image.height,
                                   contentWidth: content.width, contentHeight: content.height)) {
                Targets.grams(of: style.image, network: network, layers: layers, tileCore: tileCore)
            }
        }
        let full = self.content.sizeForLongerSide(settings.size)
        let pixelRatio = Double(content.width * content.height) / Double(full.width * full.height)
        return ScaleInputs(content: colour.content(content), styles: styles, grams: grams,
                           objective: CoarseToFine.settings(settings.objective, pixelRatio: pixelRatio),
                           present: { colour.present($0, content: content) })
    }
}
