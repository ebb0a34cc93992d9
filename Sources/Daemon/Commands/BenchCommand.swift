import ArgumentParser
import Engine
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one VGG forward + backward pass (image gradient) to a layer; a benchmark, not a test.",
        discussion: "Prints the median seconds over the runs, the achieved GFLOP/s and the process's peak memory."
    )

    @OptionGroup var location: ModelCommand.Location
    @Option(help: "The image's side in pixels (square).") var size = 512
    @Option(help: "The cached model to run.") var model = "vgg16"
    @Option(help: "The deepest layer evaluated.") var layer = "block5_conv1"
    @Option(help: "How many timed runs (after one warm-up).") var runs = 5
    @Option(help: "Cores to use (default: all).") var threads: Int?
    @Option(help: "The convolution algorithm: winograd or gemm (im2col).") var convolution = "winograd"
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        Parallel.setWorkers(threads ?? Parallel.workers)
        let algorithm: ConvolutionAlgorithm = switch convolution {
        case "gemm": GEMMConvolution()
        case "winograd": WinogradConvolution()
        default: throw ValidationError("--convolution is winograd or gemm")
        }
        let network = VGG(weights: try location.store.load(model), algorithm: algorithm)
        guard network.index(of: layer) != nil else { throw ValidationError("\(model) has no layer \(layer)") }
        var generator = SeededGenerator(seed: 1)
        let image = RGBImage(pixels: Tensor(channels: 3, height: size, width: size,
                                            data: (0..<3 * size * size).map { _ in Float.random(in: 0...255, using: &generator) }))
        var seconds: [Double] = []
        for run in 0...runs {
            let start = DispatchTime.now()
            let pass = network.forward(image, layers: [layer])
            let gradient = network.backward(pass, gradients: [layer: pass.activations[layer]!])
            precondition(gradient.count == image.pixels.count)
            if run > 0 { seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9) }
        }
        let median = seconds.sorted()[seconds.count / 2]
        let gflops = 2 * network.forwardFLOPs(to: layer, height: size, width: size) / median / 1e9
        let peak = peakMemoryBytes()
        if json {
            let record: [String: Any] = ["model": model, "convolution": convolution, "size": size, "layer": layer, "runs": runs, "threads": Parallel.workers,
                                         "median_seconds": median, "gflops": gflops, "peak_memory_bytes": peak]
            print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%@ (%@) %d×%d forward+backward to %@: median %.3f s over %d runs, %.1f GFLOP/s, peak memory %.0f MB (%d threads)",
                         model, convolution, size, size, layer, median, runs, gflops, Double(peak) / 1e6, Parallel.workers))
        }
    }
}

/// The process's peak resident memory (VmHWM), in bytes.
func peakMemoryBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else { return 0 }
    return kilobytes * 1024
}
