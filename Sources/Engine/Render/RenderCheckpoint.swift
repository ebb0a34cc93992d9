/// Where a render stood after an iteration, complete enough to go on exactly as if it had
/// never stopped: the scale it was in, its place in the whole render (as that iteration's
/// report gave it), the image's shape and the optimiser's state within the scale.
public struct RenderCheckpoint: Sendable, Equatable {
    /// The scale's index among the render's scales.
    public var scale: Int
    public var width: Int
    public var height: Int
    /// Counted over the whole render, as the report of its iteration.
    public var iteration: Int
    public var evaluations: Int
    public var seconds: Double
    /// The optimiser's, whose counts are the scale's own.
    public var state: OptimizerState

    public init(scale: Int, width: Int, height: Int, iteration: Int, evaluations: Int, seconds: Double, state: OptimizerState) {
        self.scale = scale
        self.width = width
        self.height = height
        self.iteration = iteration
        self.evaluations = evaluations
        self.seconds = seconds
        self.state = state
    }

    /// The image at the checkpoint.
    public var image: RGBImage {
        RGBImage(pixels: Tensor(channels: 3, height: height, width: width, data: (state.reals["x"] ?? []).map { Float($0) }))
    }
}
