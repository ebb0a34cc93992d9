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

    public init(history: Int = 10, tolerance: Double = 0) {
        self.history = history
        self.tolerance = tolerance
    }

    public enum Stop: Equatable, Sendable {
        case iterations, converged(String), cancelled, abnormal(String)
    }

    /// Minimises f over x within [lower, upper] (the same bounds for every variable).
    /// `evaluate` returns f(x) and writes ∇f(x) into its second argument; `onIteration` is
    /// called after each iteration with its number, the evaluations so far and the iterate
    /// (the point evaluated last), and returns false to stop.
    public func minimize(x: inout [Double], lower: Double, upper: Double, iterations: Int,
                         evaluate: ([Double], inout [Double]) -> Double,
                         onIteration: (_ iteration: Int, _ evaluations: Int, _ x: [Double]) -> Bool) -> Stop {
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
        while true {
            setulb_(&n, &m, &x, lowerBounds, upperBounds, boundKinds, &f, &g, &factr, &pgtol, &wa, &iwa,
                    &task, &iprint, &csave, &lsave, &isave, &dsave, 60, 60)
            let message = Self.text(task)
            if message.hasPrefix("FG") {
                f = evaluate(x, &g)
                evaluations += 1
            } else if message.hasPrefix("NEW_X") {
                iteration += 1
                if !onIteration(iteration, evaluations, x) { return .cancelled }
                if iteration >= iterations { return .iterations }
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
