import Foundation

// Adam (Kingma & Ba), an alternative to L-BFGS-B: one evaluation per iteration, no line
// search, steps of about `learningRate` pixel values; the image is clamped to its bounds
// after each step.
public struct Adam: Sendable {
    public var learningRate: Double
    public var beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8

    public init(learningRate: Double = JobSettings.Defaults.learningRate) { self.learningRate = learningRate }

    /// Minimises like `LBFGSB.minimize`, resuming from a state it took after an iteration.
    public func minimize<Failure: Error>(x: inout [Double], lower: Double, upper: Double, iterations: Int, resume: OptimizerState? = nil,
                                         evaluate: ([Double], inout [Double]) throws(Failure) -> Double,
                                         onIteration: (_ iteration: Int, _ evaluations: Int, _ x: [Double], _ state: () -> OptimizerState) -> Bool) throws(Failure) -> StopReason {
        var g = [Double](repeating: 0, count: x.count)
        var first = g, second = g
        var begin = 0, evaluations = 0
        if let resume {
            guard resume.optimizer == .adam, let savedX = resume.reals("x", count: x.count),
                  let savedFirst = resume.reals("first", count: x.count), let savedSecond = resume.reals("second", count: x.count)
            else { return .abnormal("the saved Adam state does not fit this problem") }
            (x, first, second, begin, evaluations) = (savedX, savedFirst, savedSecond, resume.iteration, resume.evaluations)
        }
        if begin >= iterations { return .iterations }
        // Each iterate is evaluated before it is reported, so its loss terms are its own. A
        // resumed run evaluates its first iterate again (for the gradient) without reporting it.
        for iteration in begin...iterations {
            _ = try evaluate(x, &g)
            evaluations += 1
            if iteration > begin {
                let state = {
                    OptimizerState(optimizer: .adam, iteration: iteration, evaluations: evaluations,
                                   reals: ["x": x, "first": first, "second": second])
                }
                if !onIteration(iteration, evaluations, x, state) { return .cancelled }
            }
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
