import Engine
import Foundation

/// Style Gram matrices on disk, keyed by what determines them: the style image's bytes, its
/// render size, the model's weights, the pooling and the layers. A style used again costs
/// nothing. A broken or missing entry is simply computed again.
struct GramCache {
    var directory: URL

    /// `variant` names any change made to the style image before its Grams (a recolouring).
    func key(imageDigest: String, width: Int, height: Int, modelDigest: String, pooling: Pooling, layers: [String], variant: String = "") -> String {
        SHA256.hex(Array("\(imageDigest) \(width)x\(height) \(modelDigest) \(pooling.rawValue) \(layers.joined(separator: ","))\(variant.isEmpty ? "" : " " + variant)".utf8))
    }

    func load(_ key: String, layers: [String]) -> [String: GramMatrix]? {
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
    func store(_ grams: [String: GramMatrix], key: String) {
        let bytes = SafetensorsFile.serialize(tensors: grams.map { ($0.key, [$0.value.size, $0.value.size], $0.value.values) }, metadata: [:])
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? writeFileAtomically(bytes, to: directory.appendingPathComponent("\(key).safetensors").path)
    }
}
