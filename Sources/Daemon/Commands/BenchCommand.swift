import ArgumentParser
import Engine
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one VGG forward + backward pass (image gradient) to a layer, or with --max-memory-gb a whole evaluation of the objective; a benchmark, not a test.",
        discussion: """
        Prints the median seconds over the runs, the achieved GFLOP/s and the process's peak memory. With --max-memory-gb, \
        it evaluates the default objective (content and style losses to block5_conv1, the clean recipe) on a random image of \
        --size px a side, with a 512 px style (its size does not change an evaluation's cost), in the tiles a render within that \
        budget would use (Adam's memory planned for: a print render's top scale), and times every run (an evaluation allocates \
        afresh each time, as in a render); a large budget gives the whole-image path.
        """
    )

    @OptionGroup var location: ModelCommand.Location
    @Option(help: "The image's side in pixels (square).") var size = 512
    @Option(help: "The cached model to run.") var model = "vgg16"
    @Option(help: "The deepest layer evaluated.") var layer = "block5_conv1"
    @Option(help: "How many timed runs (after one warm-up, for the pass).") var runs = 5
    @Option(help: "Cores to use (default: all).") var threads: Int?
    @Option(help: "The convolution algorithm: winograd (F(4×4, 3×3) on large layers, F(2×2, 3×3) on small ones: the default), winograd4, winograd2 or gemm (im2col).")
    var convolution = "winograd"
    @Option(help: "Time a whole evaluation of the objective within this memory budget, in GB (tiled where it needs to be).")
    var maxMemoryGb: Double?
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        Parallel.setWorkers(threads ?? Parallel.workers)
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        let algorithm: ConvolutionAlgorithm = switch convolution {
        case "gemm": GEMMConvolution()
        case "winograd": WinogradConvolution(tile: .bySize)
        case "winograd4": WinogradConvolution(tile: .f4x4)
        case "winograd2": WinogradConvolution(tile: .f2x2)
        default: throw ValidationError("--convolution is winograd, winograd4, winograd2 or gemm")
        }
        let weights = try location.store.load(model)
        let image = StyleTransfer.noise(width: size, height: size, seed: 1)
        var record: [String: Any] = ["model": model, "convolution": convolution, "size": size, "runs": runs, "threads": Parallel.workers]
        let median: Double
        if let maxMemoryGb {
            guard maxMemoryGb > 0 && maxMemoryGb < 1e9 else { throw ValidationError("--max-memory-gb must be a positive number of GB") }
            let (objective, plan) = try Self.objective(weights: weights, algorithm: algorithm, size: size, budget: UInt64(maxMemoryGb * 1e9))
            let tiling = objective.tiling(width: size, height: size)
            median = Self.median((0..<runs).map { _ in Self.seconds { _ = objective.evaluate(image) } })
            record.merge(["what": "evaluation", "max_memory_gb": maxMemoryGb, "tile_core": plan.tileCore ?? 0, "tiles": tiling.tiles.count,
                          "planned_bytes": plan.bytes]) { $1 }
        } else {
            let network = VGG(weights: weights, algorithm: algorithm)
            guard network.index(of: layer) != nil else { throw ValidationError("\(model) has no layer \(layer)") }
            let times = (0...runs).map { _ in
                Self.seconds {
                    let pass = network.forward(image, layers: [layer])
                    _ = network.backward(pass, gradients: [layer: pass.activations[layer]!])
                }
            }
            median = Self.median(Array(times.dropFirst()))
            record.merge(["what": "pass", "layer": layer,
                          "gflops": 2 * network.forwardFLOPs(to: layer, height: size, width: size) / median / 1e9]) { $1 }
        }
        record.merge(["median_seconds": median, "peak_memory_bytes": peakMemoryBytes(), "blas_kernels": BLAS.kernels]) { $1 }
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
        } else {
            let detail = record["what"] as? String == "pass"
                ? String(format: "forward+backward to %@: %.1f GFLOP/s", layer, record["gflops"] as? Double ?? 0)
                : "whole evaluation, \(record["tiles"] ?? 1) tile(s) of core \(record["tile_core"] ?? 0) px (0: whole)"
            print(String(format: "%@ (%@) %d×%d %@: median %.3f s over %d runs, peak memory %.0f MB (%d threads, OpenBLAS %@ kernels)",
                         model, convolution, size, size, detail, median, runs, Double(peakMemoryBytes()) / 1e6, Parallel.workers, BLAS.kernels))
        }
    }

    /// The default objective for a `size`² content and a 512 px style, planned within `budget`.
    static func objective(weights: VGGWeights, algorithm: ConvolutionAlgorithm, size: Int,
                          budget: UInt64) throws -> (Objective, MemoryPlan.Scale) {
        typealias Defaults = JobSettings.Defaults
        let recipe = Defaults.recipe
        let objective = ObjectiveSettings(styleLayerWeights: recipe.styleLayerWeights(count: Defaults.styleLayers.count),
                                          gramNormalisation: recipe.gramNormalisation, styleLoss: recipe.styleLoss)
        let settings = JobSettings(scales: [ScaleStep(size: size, iterations: 1)], objective: objective, initial: .content, seed: 0, model: "",
                                   pooling: recipe.pooling, edges: recipe.edges, styleScale: 1, optimizer: .adam, lbfgsb: LBFGSB(), adam: Adam(),
                                   preserveColors: .none, frames: FrameCadence(every: 0))
        let network = VGG(weights: weights, pooling: settings.pooling, edges: settings.edges, algorithm: algorithm)
        let content = StyleTransfer.noise(width: size, height: size, seed: 2), style = StyleTransfer.noise(width: 512, height: 512, seed: 3)
        let plan: MemoryPlan
        do { plan = try MemoryPlan(settings: settings, network: network, content: content, styles: [style], budget: budget) } catch {
            throw ValidationError("\(error.field): \(error.reason)")
        }
        let transfer = StyleTransfer(network: network, settings: objective, content: content, styles: [(style, 1)], tileCore: plan.scales[0].tileCore)
        return (transfer.objective, plan.scales[0])
    }

    static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now()
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
