import Engine
import Foundation
import Testing

/// What a job can hand the engine that is legal but odd, or hostile: a render with nothing
/// to do, weights that overflow floating point, a safetensors header whose shape overflows,
/// a symbolic link where a file must be.
struct EngineInputTests {
    static func transfer(_ settings: ObjectiveSettings = ObjectiveSettings()) -> (StyleTransfer, content: RGBImage) {
        let network = VGG(weights: VGGWeights.random(.vgg16, seed: 60, widthDivisor: 16))
        let content = randomImage(width: 16, height: 16, seed: 61)
        return (StyleTransfer(network: network, settings: settings, content: content, styles: [(randomImage(width: 16, height: 16, seed: 62), 1)]), content)
    }

    /// No iterations: the start is still evaluated and reported (iteration 0), and returned as it is.
    @Test(arguments: [OptimizerKind.lbfgsb, .adam])
    func noIterationsReportTheStartAlone(optimizer: OptimizerKind) {
        let start = StyleTransfer.noise(width: 16, height: 16, seed: 4)
        var reports: [IterationReport] = []
        let result = Self.transfer().0.render(from: start, settings: RenderSettings(iterations: 0, optimizer: optimizer)) {
            reports.append($0)
            return true
        }
        #expect(reports.map(\.iteration) == [0])
        #expect(reports.allSatisfy { $0.terms.total.isFinite && $0.terms.total > 0 })
        #expect(result.image == start && result.stop == .iterations)
    }

    /// A weight so large that the loss (or, through float32, its gradient) overflows at the
    /// start: the render stops there, and no report carries the overflow.
    @Test(arguments: [OptimizerKind.lbfgsb, .adam], [
        ObjectiveSettings(styleWeight: 1e300), ObjectiveSettings(contentWeight: 1e300), ObjectiveSettings(tvWeight: 1e300),
        ObjectiveSettings(histogramWeight: 1e300), ObjectiveSettings(styleWeight: 1e40),
    ])
    func anOverflowAtTheStartStopsTheRenderUnreported(optimizer: OptimizerKind, settings: ObjectiveSettings) {
        var reports: [IterationReport] = []
        let result = Self.transfer(settings).0.render(from: StyleTransfer.noise(width: 16, height: 16, seed: 5),
                                                      settings: RenderSettings(objective: settings, iterations: 5, optimizer: optimizer)) {
            reports.append($0)
            return true
        }
        #expect(reports.isEmpty)
        #expect(result.stop == .nonFiniteLoss(iteration: 0))
    }

    /// From the content, a content weight near float32's largest gives a finite start (its
    /// content loss and gradient are 0) and overflows once the image moves: the render
    /// stops at iteration 1, after reporting only the start.
    @Test(arguments: [OptimizerKind.lbfgsb, .adam])
    func anOverflowLaterStopsAtItsIteration(optimizer: OptimizerKind) {
        let settings = ObjectiveSettings(contentWeight: 1e38)
        let (transfer, content) = Self.transfer(settings)
        var reports: [IterationReport] = []
        let result = transfer.render(from: content, settings: RenderSettings(objective: settings, iterations: 5, optimizer: optimizer)) {
            reports.append($0)
            return true
        }
        #expect(reports.map(\.iteration) == [0])
        #expect(result.stop == .nonFiniteLoss(iteration: 1))
    }

    /// A header whose shape multiplies past Int.max is malformed, not a wrapped count.
    @Test func aShapeThatOverflowsIsRefused() throws {
        let header = #"{"t": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 0]}}"#
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: header.utf8.count >> (8 * $0)) } + Array(header.utf8)
        #expect(throws: FileError.self) { try SafetensorsFile(bytes: bytes, path: "overflow.safetensors") }
    }

    /// Asked not to follow links, a read refuses a symbolic link (whatever it points to) and
    /// reads a regular file as ever.
    @Test func aLinkIsNotReadThroughWhenLinksAreNotFollowed() throws {
        let folder = try TemporaryFolder()
        let target = try folder.write(Array("secret\n".utf8), to: "target")
        try FileManager.default.createSymbolicLink(atPath: folder.path("link"), withDestinationPath: target)
        #expect(try readRegularFile(folder.path("link"), maxBytes: 100) == Array("secret\n".utf8))
        let error = #expect(throws: FileError.self) { try readRegularFile(folder.path("link"), maxBytes: 100, followLinks: false) }
        #expect(error?.code == ELOOP && error?.reason.contains("symbolic link") == true && error?.reason.contains("secret") == false)
        #expect(try readRegularFile(target, maxBytes: 100, followLinks: false) == Array("secret\n".utf8))
    }
}
