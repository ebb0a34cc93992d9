// An exponential moving average of the optimiser's iterates, bias-corrected as Adam's
// moments are (crowsonkb's style-transfer-pytorch): what a render shows and returns is the
// average, while the optimiser goes on from its own iterate. Adam's iterates jitter by about
// a step from one iteration to the next, and the average keeps that noise out of the
// picture. A decay of 0 turns it off: the iterate itself is shown.

struct IterateAverage {
    let decay: Double
    /// Σ (1 − decay) decayᵗ⁻ⁱ xᵢ over the iterates so far.
    private var sum: [Double]
    /// decayᵗ: the part of the weight not yet given to any iterate, corrected for by dividing.
    private var unassigned: Double

    /// Starts from the first image, or from the average kept in `resume`'s state.
    init(decay: Double, start: [Double], resume: OptimizerState?) {
        self.decay = decay
        if decay > 0, let resume, let sum = resume.reals("average", count: start.count),
           let unassigned = resume.reals("average_unassigned", count: 1) {
            (self.sum, self.unassigned) = (sum, unassigned[0])
        } else {
            (sum, unassigned) = ([], 1)
            add(start)
        }
    }

    mutating func add(_ x: [Double]) {
        guard decay > 0 else { return }
        if sum.isEmpty { sum = [Double](repeating: 0, count: x.count) }
        for i in x.indices { sum[i] = decay * sum[i] + (1 - decay) * x[i] }
        unassigned *= decay
    }

    /// The image to show for the iterate `x`: the average, or `x` when averaging is off.
    func shown(_ x: [Double]) -> [Double] {
        guard decay > 0 else { return x }
        let weight = 1 - unassigned
        return sum.map { $0 / weight }
    }

    /// `state` with the average in it, so that a resumed render averages on exactly.
    func saved(in state: OptimizerState) -> OptimizerState {
        guard decay > 0 else { return state }
        var state = state
        state.reals["average"] = sum
        state.reals["average_unassigned"] = [unassigned]
        return state
    }
}
