import Engine
import Foundation
import Testing

/// Planning a render within a memory budget (MemoryPlan.swift): the estimate's figures are
/// checked against measured peaks by benchmark runs (README, "Print sizes"); here, the choices.
@Suite struct MemoryPlanTests {
    static let network = VGG(weights: VGGWeights.random(.vgg16, seed: 81))
    static let content = RGBImage(width: 512, height: 512), style = RGBImage(width: 512, height: 409)

    static func settings(size: Int, scales: Int, optimizer: OptimizerKind = .lbfgsb, top: OptimizerKind? = nil, histogram: Double = 0) -> JobSettings {
        JobSettings(scales: CoarseToFine.schedule(size: size, scales: scales, iterations: 8, minimumSize: 64),
                    objective: ObjectiveSettings(histogramWeight: histogram), initial: .content, seed: 0, model: "vgg16", pooling: .max,
                    styleScale: 1, optimizer: optimizer, topOptimizer: top, lbfgsb: LBFGSB(), adam: Adam(),
                    preserveColors: .none, frames: FrameCadence(every: 0))
    }

    static func plan(_ settings: JobSettings, gigabytes: Double?) throws(JobSettings.Invalid) -> MemoryPlan {
        try MemoryPlan(settings: settings, network: network, content: content, styles: [style], budget: gigabytes.map { UInt64($0 * 1e9) })
    }

    @Test func withoutABudgetEveryScaleIsWhole() throws {
        let plan = try Self.plan(Self.settings(size: 4096, scales: 3), gigabytes: nil)
        #expect(plan.scales.map(\.size) == [1024, 2048, 4096])
        #expect(plan.scales.allSatisfy { $0.tileCore == nil })
        #expect(plan.peakBytes > 30_000_000_000, "a whole 4096² pass and L-BFGS-B: \(plan.peakBytes)")
    }

    /// A print render: the small scales whole, the large ones in the largest tiles that fit.
    @Test func scalesThatDoNotFitWholeAreTiledWithinTheBudget() throws {
        let plan = try Self.plan(Self.settings(size: 4096, scales: 3, top: .adam), gigabytes: 6)
        #expect(plan.scales[0].tileCore == nil)
        for scale in plan.scales.dropFirst() {
            let core = try #require(scale.tileCore)
            #expect(core % 16 == 0 && core >= 128 && core < scale.size)
            #expect(scale.bytes <= 6_000_000_000)
        }
        // Whole, the top scale would not fit.
        let whole = try Self.plan(Self.settings(size: 4096, scales: 3, top: .adam), gigabytes: 1000)
        #expect(whole.scales.allSatisfy { $0.tileCore == nil })
        #expect(whole.scales[2].bytes > 6_000_000_000)
    }

    @Test func aRenderThatCannotFitEvenInTilesIsRefusedWithItsFigures() {
        #expect {
            try Self.plan(Self.settings(size: 4096, scales: 3), gigabytes: 6)  // L-BFGS-B at 4096²: 12.5 GB for the optimiser alone
        } throws: { error in
            let invalid = error as? JobSettings.Invalid
            return invalid?.field == "size" && invalid!.reason.contains("the optimiser lbfgs alone 12.5 GB")
                && invalid!.reason.contains("memory budget of 6.0 GB") && invalid!.reason.contains("top_optimizer")
        }
    }

    /// The histogram loss needs a whole layer's features at once, so a render that must be tiled cannot have it.
    @Test func theHistogramLossIsRefusedWhereTilesAreNeeded() throws {
        _ = try Self.plan(Self.settings(size: 512, scales: 1, histogram: 1), gigabytes: 6)
        #expect {
            try Self.plan(Self.settings(size: 4096, scales: 3, top: .adam, histogram: 1), gigabytes: 6)
        } throws: { error in
            (error as? JobSettings.Invalid)?.field == "histogram_weight"
        }
    }
}

/// A job's render within a budget that needs tiles: more styles than scales, and the loss it
/// starts from is the whole render's.
@Suite struct BudgetedRenderTests {
    @Test func aRenderInTilesWithTwoStylesStartsFromTheWholeRendersLoss() throws {
        let weights = VGGWeights.random(.vgg16, seed: 82)
        let content = randomImage(width: 320, height: 240, seed: 83)
        let styles = [StyleImage(name: "a", image: randomImage(width: 200, height: 160, seed: 84), weight: 1),
                      StyleImage(name: "b", image: randomImage(width: 160, height: 200, seed: 85), weight: 2)]
        var settings = MemoryPlanTests.settings(size: 320, scales: 1)
        settings.scales = [ScaleStep(size: 320, iterations: 1)]
        let whole = try JobRender(settings: settings, weights: weights, content: content, styles: styles, maxPixels: 1 << 30)
        // The largest budget that needs tiles.
        var budget = whole.memory.peakBytes
        var tiled: JobRender?
        while tiled == nil && budget > 1 << 28 {
            budget -= 10_000_000
            let render = try? JobRender(settings: settings, weights: weights, content: content, styles: styles, maxPixels: 1 << 30, memoryBudget: budget)
            if render?.memory.scales[0].tileCore != nil { tiled = render }
        }
        let render = try #require(tiled)
        #expect(render.memory.peakBytes <= budget)
        func startLoss(_ render: JobRender) -> Double {
            var loss = 0.0
            let outcome = render.run { report in
                if report.iteration == 0 { loss = report.terms.total }
                return true
            }
            #expect(outcome.stop == .iterations)
            return loss
        }
        let (a, b) = (startLoss(render), startLoss(whole))
        #expect(abs(a - b) / b < 1e-4, "tiled \(a), whole \(b)")
    }
}
