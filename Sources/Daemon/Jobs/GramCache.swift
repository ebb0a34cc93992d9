import Engine
import Foundation

/// Style Gram matrices on disk, keyed by what determines them: the style image's bytes, its
/// render size, the model's weights, the pooling, the first layer's padding and the layers. A style used again costs
/// nothing. A broken or missing entry is simply computed again.
struct GramCache {
    var directory: URL

    /// `variant` names any change made to the style image before its Grams (a recolouring).
    private func key(imageDigest: String, width: Int, height: Int, modelDigest: String, pooling: Pooling, padding: EdgePadding, layers: [String],
                     variant: String = "") -> String {
        SHA256.hex(Array("\(imageDigest) \(width)x\(height) \(modelDigest) \(pooling.rawValue) \(padding.rawValue) \(layers.joined(separator: ","))\(variant.isEmpty ? "" : " " + variant)".utf8))
    }

    /// Engine's way to this cache for a job whose style images' bytes have the `styles` digests,
    /// its content's the `content` digest, and its model's weights the `model` digest.
    func source(for job: ResolvedJob, styles: [String], content: String, model: String) -> JobRender.GramSource {
        { request, compute in
            // A recoloured style's Grams depend on the content it was matched to.
            let variant = job.preserveColors == .none ? "" : "\(job.preserveColors.rawValue) \(content) \(request.contentWidth)x\(request.contentHeight)"
            let key = key(imageDigest: styles[request.style], width: request.width, height: request.height, modelDigest: model,
                          pooling: job.pooling, padding: job.padding, layers: job.styleLayers, variant: variant)
            if let grams = load(key, layers: job.styleLayers) { return grams }
            let grams = compute()
            store(grams, key: key)
            return grams
        }
    }

    private func load(_ key: String, layers: [String]) -> [String: GramMatrix]? {
        let path = directory.appendingPathComponent("\(key).safetensors").path
        guard let bytes = try? readRegularFile(path, maxBytes: 1 << 30),
              let file = try? SafetensorsFile(bytes: bytes, path: path) else { return nil }
        var grams: [String: GramMatrix] = [:]
        for layer in layers {
            guard let entry = file.entries[layer], entry.shape.count == 2, entry.shape[0] == entry.shape[1],
                  let values = try? file.floats(layer, path: path) else { return nil }
            grams[layer] = GramMatrix(size: entry.shape[0], values: values)
        }
        return grams
    }

    /// Best effort: a cache that cannot be written only costs time later.
    private func store(_ grams: [String: GramMatrix], key: String) {
        let bytes = SafetensorsFile.serialize(tensors: grams.map { ($0.key, [$0.value.size, $0.value.size], $0.value.values) }, metadata: [:])
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? writeFileAtomically(bytes, to: directory.appendingPathComponent("\(key).safetensors").path)
    }
}
