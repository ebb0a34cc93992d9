import Foundation

/// The two networks of the method, as tables: convolutions per block.
public enum VGGArchitecture: String, Sendable, Codable, CaseIterable {
    case vgg16, vgg19

    public var convolutionsPerBlock: [Int] { self == .vgg16 ? [2, 2, 3, 3, 3] : [2, 2, 4, 4, 4] }
    public static let blockChannels = [64, 128, 256, 512, 512]

    /// Keras layer names in order: block1_conv1, block1_conv2, block2_conv1, …
    public var layerNames: [String] {
        convolutionsPerBlock.enumerated().flatMap { block, count in
            (1...count).map { "block\(block + 1)_conv\($0)" }
        }
    }

    /// (input channels, output channels) of each convolution, in order.
    public var channels: [(input: Int, output: Int)] {
        var input = 3
        return convolutionsPerBlock.enumerated().flatMap { block, count in
            (0..<count).map { _ in
                defer { input = Self.blockChannels[block] }
                return (input, Self.blockChannels[block])
            }
        }
    }

    /// torchvision's `features.N` index of each convolution: a convolution and its ReLU take
    /// two slots, the pooling after each block one.
    public var torchvisionIndices: [Int] {
        var index = 0
        return convolutionsPerBlock.flatMap { count in
            defer { index += 1 }  // the block's max-pool
            return (0..<count).map { _ in
                defer { index += 2 }
                return index
            }
        }
    }
}

/// What the network expects of its input image (see the objective spec).
public enum InputConvention: String, Sendable, Codable {
    /// Keras / Caffe: BGR, 0...255, minus the ImageNet mean (103.939, 116.779, 123.68).
    case caffeBGR = "caffe-bgr"
    /// torchvision / timm: RGB, x/255 normalised by mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
    case torchRGB = "torch-rgb"
}

public struct ConvolutionWeights: Sendable {
    public var name: String
    public var inputChannels: Int
    public var outputChannels: Int
    /// O × I × 3 × 3, row-major.
    public var kernel: [Float]
    public var bias: [Float]

    public init(name: String, inputChannels: Int, outputChannels: Int, kernel: [Float], bias: [Float]) {
        precondition(kernel.count == outputChannels * inputChannels * 9 && bias.count == outputChannels)
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.bias = bias
    }
}

/// A VGG's frozen convolution weights, with where they came from and how to feed them.
public struct VGGWeights: Sendable {
    public var architecture: VGGArchitecture
    public var input: InputConvention
    public var convolutions: [ConvolutionWeights]
    public var source: String
    /// SHA-256 of the tensors as stored in the engine's own file.
    public var digest: String

    public init(architecture: VGGArchitecture, input: InputConvention, convolutions: [ConvolutionWeights], source: String) {
        self.architecture = architecture
        self.input = input
        self.convolutions = convolutions
        self.source = source
        digest = ""
        digest = SHA256.hex(Self.tensorBytes(convolutions))
    }

    /// Random weights (He initialisation) for tests that need a network but not ImageNet's.
    public static func random(_ architecture: VGGArchitecture, seed: UInt64, widthDivisor: Int = 1) -> VGGWeights {
        var generator = SeededGenerator(seed: seed)
        var input = 3
        var convolutions: [ConvolutionWeights] = []
        for (block, count) in architecture.convolutionsPerBlock.enumerated() {
            for k in 1...count {
                let output = max(1, VGGArchitecture.blockChannels[block] / widthDivisor)
                let scale = Float((2.0 / Double(input * 9)).squareRoot())
                convolutions.append(ConvolutionWeights(
                    name: "block\(block + 1)_conv\(k)", inputChannels: input, outputChannels: output,
                    kernel: (0..<output * input * 9).map { _ in generator.nextGaussian() * scale },
                    bias: (0..<output).map { _ in generator.nextGaussian() * 0.01 }))
                input = output
            }
        }
        return VGGWeights(architecture: architecture, input: .caffeBGR, convolutions: convolutions, source: "random seed \(seed)")
    }

    static func tensorBytes(_ convolutions: [ConvolutionWeights]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, _, values) in tensors(convolutions).sorted(by: { $0.name < $1.name }) {
            _ = name
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    private static func tensors(_ convolutions: [ConvolutionWeights]) -> [(name: String, shape: [Int], values: [Float])] {
        convolutions.flatMap { conv in [
            (conv.name + ".weight", [conv.outputChannels, conv.inputChannels, 3, 3], conv.kernel),
            (conv.name + ".bias", [conv.outputChannels], conv.bias),
        ] }
    }

    // MARK: The engine's own file

    /// The engine's safetensors file: Keras-named tensors and metadata, with the digest of the
    /// tensor bytes recorded so that every load can verify it.
    public func safetensorsBytes() -> [UInt8] {
        SafetensorsFile.serialize(tensors: Self.tensors(convolutions), metadata: [
            "format": "styled-vgg", "architecture": architecture.rawValue, "input": input.rawValue,
            "source": source, "sha256": digest,
        ])
    }

    /// Loads a safetensors file: either the engine's own (whose recorded digest must match),
    /// or VGG weights in torchvision/timm layout (`features.N.weight`), mapped by index.
    public static func load(path: String) throws -> VGGWeights {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw FileError(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        let file = try SafetensorsFile(bytes: bytes, path: path)
        if file.metadata["format"] == "styled-vgg" { return try loadOwn(file, path: path) }
        return try loadTorchvision(file, path: path)
    }

    private static func loadOwn(_ file: SafetensorsFile, path: String) throws -> VGGWeights {
        guard let architecture = file.metadata["architecture"].flatMap(VGGArchitecture.init(rawValue:)),
              let input = file.metadata["input"].flatMap(InputConvention.init(rawValue:)),
              let recorded = file.metadata["sha256"] else {
            throw FileError(path: path, reason: "metadata lacks architecture, input convention or sha256")
        }
        let keyFor = Dictionary(uniqueKeysWithValues: architecture.layerNames.map { ($0, $0) })
        let weights = try convolutions(from: file, architecture: architecture, key: { keyFor[$0]! }, path: path)
        let loaded = VGGWeights(architecture: architecture, input: input, convolutions: weights, source: file.metadata["source"] ?? "")
        guard loaded.digest == recorded else {
            throw FileError(path: path, reason: "checksum mismatch: tensors hash to \(loaded.digest), the file records \(recorded); the file is corrupt, fetch the model again")
        }
        return loaded
    }

    private static func loadTorchvision(_ file: SafetensorsFile, path: String) throws -> VGGWeights {
        let convolutionKeys = file.entries.keys.filter { $0.hasPrefix("features.") && $0.hasSuffix(".weight") }
        guard let architecture = VGGArchitecture.allCases.first(where: { $0.layerNames.count == convolutionKeys.count }) else {
            throw FileError(path: path, reason: "not styled's format and not a torchvision VGG16/VGG19 (found \(convolutionKeys.count) features.N.weight tensors)")
        }
        let keyFor = Dictionary(uniqueKeysWithValues: zip(architecture.layerNames, architecture.torchvisionIndices.map { "features.\($0)" }))
        let weights = try convolutions(from: file, architecture: architecture, key: { keyFor[$0]! }, path: path)
        return VGGWeights(architecture: architecture, input: .torchRGB, convolutions: weights, source: "torchvision layout: \(path)")
    }

    /// Reads each layer's kernel and bias under the key `key(layerName)`, taking the shapes
    /// from the file (test networks are narrower than VGG) and checking that they chain.
    private static func convolutions(from file: SafetensorsFile, architecture: VGGArchitecture,
                                     key: (String) -> String, path: String) throws -> [ConvolutionWeights] {
        var input = 3
        return try architecture.layerNames.map { name in
            let shape = file.entries[key(name) + ".weight"]?.shape ?? []
            guard shape.count == 4, shape[1] == input, shape[2] == 3, shape[3] == 3 else {
                throw FileError(path: path, reason: "\(key(name)).weight has shape \(shape), not O×\(input)×3×3 as \(name) needs")
            }
            let kernel = try file.floats(key(name) + ".weight", path: path)
            let bias = try file.floats(key(name) + ".bias", path: path)
            guard bias.count == shape[0] else {
                throw FileError(path: path, reason: "\(key(name)).bias has \(bias.count) values for \(shape[0]) channels")
            }
            input = shape[0]
            return ConvolutionWeights(name: name, inputChannels: shape[1], outputChannels: shape[0], kernel: kernel, bias: bias)
        }
    }

    // MARK: Importing Keras VGG16 from ONNX

    /// The 13 convolutions of the Keras VGG16 in an ONNX export (kernels O×I×3×3 named
    /// `…/block4_conv2_1/convolution/ReadVariableOp:0`, biases `…/block4_conv2_1/Squeeze:0`).
    public static func importKerasONNX(path: String) throws -> VGGWeights {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw FileError(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        let initializers = try ONNXImporter.initializers(in: bytes, path: path)
        let architecture = VGGArchitecture.vgg16
        let convolutions = try zip(architecture.layerNames, architecture.channels).map { name, channels in
            let mine = initializers.filter { $0.name.contains("/\(name)_") || $0.name.contains("/\(name)/") }
            guard let kernel = mine.first(where: { $0.dims == [channels.output, channels.input, 3, 3] }),
                  let bias = mine.first(where: { $0.dims == [channels.output] }) else {
                throw FileError(path: path, reason: "no \(channels.output)×\(channels.input)×3×3 kernel and bias for \(name)")
            }
            return ConvolutionWeights(name: name, inputChannels: channels.input, outputChannels: channels.output,
                                      kernel: kernel.values, bias: bias.values)
        }
        return VGGWeights(architecture: architecture, input: .caffeBGR, convolutions: convolutions,
                          source: "Keras ImageNet VGG16 from ONNX \(URL(fileURLWithPath: path).lastPathComponent)")
    }
}
