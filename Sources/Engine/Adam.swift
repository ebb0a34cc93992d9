import Foundation

// Adam (Kingma & Ba), an alternative to L-BFGS-B: one evaluation per iteration, no line
// search, steps of about `learningRate` pixel values; the image is clamped to its bounds
// after each step.
public struct Adam: Sendable {
    public var learningRate: Double
    public var beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8

    public init(learningRate: Double = 4) { self.learningRate = learningRate }

    public func minimize(x: inout [Double], lower: Double, upper: Double, iterations: Int,
                         evaluate: ([Double], inout [Double]) -> Double,
                         onIteration: (_ iteration: Int, _ evaluations: Int, _ x: [Double]) -> Bool) -> LBFGSB.Stop {
        var g = [Double](repeating: 0, count: x.count)
        var first = g, second = g
        // Each iterate is evaluated before it is reported, so its loss terms are its own.
        for iteration in 0...iterations {
            _ = evaluate(x, &g)
            if iteration > 0 && !onIteration(iteration, iteration + 1, x) { return .cancelled }
            if iteration == iterations { break }
            let t = Double(iteration + 1)
            let correction1 = 1 - pow(beta1, t), correction2 = 1 - pow(beta2, t)
            for i in x.indices {
                first[i] = beta1 * first[i] + (1 - beta1) * g[i]
                second[i] = beta2 * second[i] + (1 - beta2) * g[i] * g[i]
                let step = learningRate * (first[i] / correction1) / ((second[i] / correction2).squareRoot() + epsilon)
                x[i] = min(upper, max(lower, x[i] - step))
            }
        }
        return .iterations
    }
}
