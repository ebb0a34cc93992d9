import Engine
import Foundation
import Testing

/// styled against an independent implementation of the spec (benchmarks/reference_gatys.py:
/// PyTorch in float64, SciPy's L-BFGS-B), on fruits.jpg with starry_night.jpg at 256 px,
/// init = content, default weights. The reference's figures are committed beside the job in
/// benchmarks/gatys-256/reference.json.
@Suite struct ReferenceComparisonTests {
    struct Reference: Decodable {
        struct Terms: Decodable { var loss: Double; var content: Double; var style: Double; var tv: Double; var style_layers: [String: Double] }
        struct SciPy: Decodable { var iterations: Int; var loss: Double }
        var iteration0: Terms
        var scipy: SciPy
    }

    static let job = TestPaths.repository.appendingPathComponent("benchmarks/gatys-256")

    func transfer() throws -> (StyleTransfer, RGBImage, Reference) {
        let network = VGG(weights: try realVGG16())
        let content = try ImageFile.read(Self.job.appendingPathComponent("content.png").path)
        let style = try ImageFile.read(Self.job.appendingPathComponent("style.png").path)
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.job.appendingPathComponent("reference.json")))
        return (StyleTransfer(network: network, settings: ObjectiveSettings(), content: content, styles: [(style, 1)]), content, reference)
    }

    @Test func iterationZeroLossTermsAgreeWithTheReference() throws {
        let (transfer, content, reference) = try transfer()
        let terms = transfer.objective.evaluate(content).terms
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-4 * abs(b) }
        #expect(close(terms.total, reference.iteration0.loss), "total \(terms.total) vs \(reference.iteration0.loss)")
        #expect(close(terms.style, reference.iteration0.style), "style \(terms.style) vs \(reference.iteration0.style)")
        #expect(close(terms.tv, reference.iteration0.tv), "tv \(terms.tv) vs \(reference.iteration0.tv)")
        #expect(terms.content == 0 && reference.iteration0.content == 0)
        for (layer, value) in reference.iteration0.style_layers {
            #expect(close(terms.styleLayers[layer] ?? .nan, value), "\(layer): \(terms.styleLayers[layer] ?? .nan) vs \(value)")
        }
    }

    @Test func hundredLBFGSBIterationsReachSciPysLoss() throws {
        let (transfer, content, reference) = try transfer()
        var last: IterationReport?
        _ = transfer.render(from: content, settings: RenderSettings(iterations: reference.scipy.iterations)) { last = $0; return true }
        #expect(last?.iteration == reference.scipy.iterations)
        #expect(last!.terms.total <= 1.05 * reference.scipy.loss, "styled \(last!.terms.total) vs SciPy \(reference.scipy.loss)")
    }
}
