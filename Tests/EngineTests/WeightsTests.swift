import Engine
import Foundation
import Testing

@Suite struct WeightsTests {
    @Test func ownFormatRoundTripsAndRecordsItsDigest() throws {
        let folder = try TemporaryFolder()
        let weights = VGGWeights.random(.vgg16, seed: 5, widthDivisor: 16)
        let path = try folder.write(weights.safetensorsBytes(), to: "w.safetensors")
        let loaded = try VGGWeights.load(path: path)
        #expect(loaded.digest == weights.digest)
        #expect(loaded.convolutions.map(\.name) == VGGArchitecture.vgg16.layerNames)
        #expect(loaded.convolutions[3].kernel == weights.convolutions[3].kernel)
        #expect(loaded.input == .caffeBGR)
    }

    @Test func aFlippedByteIsRefusedWithAChecksumError() throws {
        let folder = try TemporaryFolder()
        var bytes = VGGWeights.random(.vgg16, seed: 6, widthDivisor: 16).safetensorsBytes()
        bytes[bytes.count - 1000] ^= 0x01
        let path = try folder.write(bytes, to: "w.safetensors")
        let error = #expect(throws: FileError.self) { try VGGWeights.load(path: path) }
        #expect(error?.reason.contains("checksum mismatch") == true)
        #expect(error?.path == path)
    }

    @Test func torchvisionVGG19LayoutMapsByFeatureIndex() throws {
        // A generated file in torchvision's layout: every tensor of features.N is filled with N,
        // so each loaded layer shows which key it was read from.
        let architecture = VGGArchitecture.vgg19
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (index, channels) in zip(architecture.torchvisionIndices, architecture.channels) {
            tensors.append(("features.\(index).weight", [channels.output, channels.input, 3, 3],
                            [Float](repeating: Float(index), count: channels.output * channels.input * 9)))
            tensors.append(("features.\(index).bias", [channels.output], [Float](repeating: Float(index), count: channels.output)))
        }
        let folder = try TemporaryFolder()
        let path = try folder.write(SafetensorsFile.serialize(tensors: tensors, metadata: [:]), to: "vgg19.safetensors")
        let weights = try VGGWeights.load(path: path)
        #expect(weights.architecture == .vgg19)
        #expect(weights.input == .torchRGB)
        let expectedIndex = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]
        #expect(weights.convolutions.map(\.name) == architecture.layerNames)
        #expect(weights.convolutions.map { Int($0.bias[0]) } == expectedIndex)
        #expect(weights.convolutions[9].kernel.allSatisfy { $0 == 21 })
    }

    @Test func onnxWireFormatImportFindsNamedInitializers() throws {
        // A minimal ModelProto { graph { initializer { dims: 2, data_type: 1, name, raw_data } } }.
        func lengthDelimited(_ field: UInt8, _ bytes: [UInt8]) -> [UInt8] { [field << 3 | 2, UInt8(bytes.count)] + bytes }
        let values: [Float] = [1.5, -2.25]
        let raw = values.withUnsafeBytes { Array($0) }
        let tensor = [1 << 3, 2, 2 << 3, 1] + lengthDelimited(8, Array("a/b:0".utf8)) + lengthDelimited(9, raw)
        let model: [UInt8] = [1 << 3, 7] + lengthDelimited(7, lengthDelimited(5, tensor))
        let initializers = try ONNXImporter.initializers(in: model, path: "m.onnx")
        #expect(initializers.count == 1)
        #expect(initializers.first?.name == "a/b:0" && initializers.first?.dims == [2] && initializers.first?.values == values)
        let error = #expect(throws: FileError.self) { try ONNXImporter.initializers(in: Array(model.dropLast(3)), path: "m.onnx") }
        #expect(error?.reason.contains("malformed protobuf") == true)
    }
}
