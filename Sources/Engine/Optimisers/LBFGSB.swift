import Foundation
import CLBFGSB

// L-BFGS-B (Byrd, Lu, Nocedal & Zhu; version 3.0 by Morales & Nocedal), the Fortran code
// SciPy also wraps, driven through its reverse-communication entry point `setulb_`: it
// returns with task "FG" when it wants f and g at x, "NEW_X" after each iteration, and
// anything else when it stops. It works in float64; the objective is float32, converted at
// this boundary only. Its work arrays are plain arrays owned here.
public struct LBFGSB: Sendable {
    /// How many correction pairs the limited memory keeps (m).
    public var history: Int
    /// Stop when the relative reduction of the loss in an iteration is below this
    /// (L-BFGS-B's factr · machine epsilon); 0 runs all iterations.
    public var tolerance: Double

    public init(history: Int = JobSettings.Defaults.history, tolerance: Double = JobSettings.Defaults.tolerance) {
        self.history = history
        self.tolerance = tolerance
    }

    /// Minimises f over x within [lower, upper] (the same bounds for every variable).
    /// `evaluate` returns f(x) and writes ∇f(x) into its second argument; `onIteration` is
    /// called after each iteration with its number, the evaluations so far, the iterate (the
    /// point evaluated last) and a way to take the optimiser's state there, and returns false
    /// to stop. Given the `resume` state taken after iteration k, the run goes on from k + 1
    /// exactly as it would have without the stop (x is taken from the state). An error thrown
    /// by `evaluate` ends the run.
    public func minimize<Failure: Error>(x: inout [Double], lower: Double, upper: Double, iterations: Int, resume: OptimizerState? = nil,
                                         evaluate: ([Double], inout [Double]) throws(Failure) -> Double,
                                         onIteration: (_ iteration: Int, _ evaluations: Int, _ x: [Double], _ state: () -> OptimizerState) -> Bool) throws(Failure) -> StopReason {
        var n = Int32(x.count), m = Int32(history)
        let lowerBounds = [Double](repeating: lower, count: x.count)
        let upperBounds = [Double](repeating: upper, count: x.count)
        let boundKinds = [Int32](repeating: 2, count: x.count)  // 2: both bounds
        var f = 0.0
        var g = [Double](repeating: 0, count: x.count)
        var factr = tolerance / Double.ulpOfOne, pgtol = 0.0
        let workSize = 2 * x.count * history + 5 * x.count + 11 * history * history + 8 * history
        var wa = [Double](repeating: 0, count: workSize)
        var iwa = [Int32](repeating: 0, count: 3 * x.count)
        var task = Self.field("START"), csave = Self.field("")
        var iprint: Int32 = -1
        var lsave = [Int32](repeating: 0, count: 4), isave = [Int32](repeating: 0, count: 44)
        var dsave = [Double](repeating: 0, count: 29)
        var iteration = 0, evaluations = 0
        if let resume {
            // All of setulb's memory between calls is in these arrays (it keeps nothing of its
            // own), so restoring them restores the run.
            guard resume.optimizer == .lbfgsb, let savedX = resume.reals("x", count: x.count), let savedG = resume.reals("g", count: x.count),
                  let savedF = resume.reals("f", count: 1), let savedWa = resume.reals("wa", count: workSize),
                  let savedIwa = resume.integers("iwa", count: iwa.count), let savedLsave = resume.integers("lsave", count: 4),
                  let savedIsave = resume.integers("isave", count: 44), let savedDsave = resume.reals("dsave", count: 29),
                  let savedTask = resume.texts["task"], let savedCsave = resume.texts["csave"]
            else { return .abnormal("the saved L-BFGS-B state does not fit this problem") }
            (x, g, f, wa, iwa, lsave, isave, dsave) = (savedX, savedG, savedF[0], savedWa, savedIwa, savedLsave, savedIsave, savedDsave)
            (task, csave) = (Self.field(savedTask), Self.field(savedCsave))
            (iteration, evaluations) = (resume.iteration, resume.evaluations)
        }
        while true {
            if iteration >= iterations { return .iterations }
            setulb_(&n, &m, &x, lowerBounds, upperBounds, boundKinds, &f, &g, &factr, &pgtol, &wa, &iwa,
                    &task, &iprint, &csave, &lsave, &isave, &dsave, 60, 60)
            let message = Self.text(task)
            if message.hasPrefix("FG") {
                f = try evaluate(x, &g)
                evaluations += 1
            } else if message.hasPrefix("NEW_X") {
                iteration += 1
                let state = {
                    OptimizerState(optimizer: .lbfgsb, iteration: iteration, evaluations: evaluations,
                                   reals: ["x": x, "g": g, "f": [f], "wa": wa, "dsave": dsave],
                                   integers: ["iwa": iwa, "lsave": lsave, "isave": isave],
                                   texts: ["task": Self.text(task), "csave": Self.text(csave)])
                }
                if !onIteration(iteration, evaluations, x, state) { return .cancelled }
            } else if message.hasPrefix("CONV") {
                return .converged(message)
            } else {
                return .abnormal(message)
            }
        }
    }

    /// A blank-padded Fortran CHARACTER*60.
    private static func field(_ text: String) -> [CChar] {
        var bytes = Array(text.utf8CString.dropLast())
        bytes += [CChar](repeating: 0x20, count: 60 - bytes.count)
        return bytes
    }

    private static func text(_ field: [CChar]) -> String {
        String(decoding: field.map { UInt8(bitPattern: $0) }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
}
