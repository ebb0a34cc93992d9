import Engine
import Foundation
import Testing

/// The real ImageNet VGG16, as `styled model fetch` caches it (scripts/test fetches it and
/// sets STYLED_MODELS). Quality tests need the real weights; without them they fail, saying why.
func realVGG16() throws -> VGGWeights {
    guard let directory = ProcessInfo.processInfo.environment["STYLED_MODELS"] else {
        throw FileError(path: "$STYLED_MODELS", reason: "not set: run the tests with scripts/test, which fetches the real VGG16")
    }
    return try VGGWeights.load(path: directory + "/vgg16.safetensors")
}

@Suite struct GoldenActivationsTests {
    struct Golden: Decodable {
        var shape: [Int]
        var mean: Double
        var max: Double
        var samples: [[Double]]
    }

    /// Activations of the real VGG16 for a crop of fruits.jpg, against onnxruntime running the
    /// same ONNX file (scripts/make-golden-activations.py made the fixture).
    @Test func realVGG16MatchesOnnxruntime() throws {
        let network = VGG(weights: try realVGG16())
        let image = try ImageFile.read(TestPaths.fixture("fruits-crop.png"))
        let golden = try JSONDecoder().decode([String: Golden].self,
                                              from: Data(contentsOf: TestPaths.fixtures.appendingPathComponent("golden-vgg16.json")))
        let pass = network.forward(image, layers: golden.keys)
        for (layer, expected) in golden {
            let actual = try #require(pass.activations[layer])
            #expect([actual.channels, actual.height, actual.width] == expected.shape)
            let mean = actual.data.reduce(0.0) { $0 + Double($1) } / Double(actual.count)
            #expect(abs(mean - expected.mean) <= 1e-4 * expected.mean, "\(layer) mean \(mean) vs \(expected.mean)")
            for sample in expected.samples {
                let value = Double(actual[Int(sample[0]), Int(sample[1]), Int(sample[2])])
                #expect(abs(value - sample[3]) <= 1e-4 * expected.max, "\(layer)\(sample[0..<3]): \(value) vs \(sample[3])")
            }
        }
    }
}
