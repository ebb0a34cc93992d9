// An optimiser's whole state after an iteration (for L-BFGS-B, its work arrays), complete
// enough to go on exactly as if it had never stopped, as plain named arrays, so that whoever
// stores it needs to know nothing about either optimiser.

/// An optimiser's state after an iteration. `reals["x"]` is the iterate, the image's pixels.
public struct OptimizerState: Sendable, Equatable {
    public var optimizer: OptimizerKind
    public var iteration: Int
    public var evaluations: Int
    public var reals: [String: [Double]]
    public var integers: [String: [Int32]]
    public var texts: [String: String]

    public init(optimizer: OptimizerKind, iteration: Int, evaluations: Int,
                reals: [String: [Double]], integers: [String: [Int32]] = [:], texts: [String: String] = [:]) {
        self.optimizer = optimizer
        self.iteration = iteration
        self.evaluations = evaluations
        self.reals = reals
        self.integers = integers
        self.texts = texts
    }

    /// The array named `name` with `count` values, or nil: a state that does not fit the
    /// problem (another size, another optimiser) is not resumed from.
    func reals(_ name: String, count: Int) -> [Double]? { reals[name].flatMap { $0.count == count ? $0 : nil } }
    func integers(_ name: String, count: Int) -> [Int32]? { integers[name].flatMap { $0.count == count ? $0 : nil } }
}
