/// Where one optimisation stands in a whole render, so that its reports and checkpoints
/// count over the render: the one place a render's iteration numbers are made. The
/// optimiser counts its iterations and evaluations within its scale; these are added to them,
/// and `seconds` to the wall time since the optimisation began.
public struct RenderPosition: Sendable, Equatable {
    /// The scale's index among the render's scales.
    public var scale: Int
    /// The number of the scale's start (`JobSettings.firstIteration(ofScale:)`).
    public var iteration: Int
    public var evaluations: Int
    public var seconds: Double

    /// A render of one scale, counted from zero.
    public init(scale: Int = 0, iteration: Int = 0, evaluations: Int = 0, seconds: Double = 0) {
        self.scale = scale
        self.iteration = iteration
        self.evaluations = evaluations
        self.seconds = seconds
    }

    /// Going on from a checkpoint: its counts less the optimiser's, its seconds as they were.
    public init(resuming checkpoint: RenderCheckpoint) {
        self.init(scale: checkpoint.scale, iteration: checkpoint.iteration - checkpoint.state.iteration,
                  evaluations: checkpoint.evaluations - checkpoint.state.evaluations, seconds: checkpoint.seconds)
    }

    /// The render's number for the optimiser's `iteration`.
    public func iteration(_ iteration: Int) -> Int { self.iteration + iteration }

    public func evaluations(_ evaluations: Int) -> Int { self.evaluations + evaluations }
}
