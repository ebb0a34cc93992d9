/// One iteration's report, counted over the whole render (see `RenderPosition`). Iteration 0
/// is the start, and each later scale's start has the number the scale before ended on.
public struct IterationReport: Sendable {
    public var iteration: Int
    /// The scale it ran at: the image's longer side.
    public var scale: Int
    public var evaluations: Int
    public var terms: LossTerms
    /// Wall seconds since the render started.
    public var seconds: Double
    /// The image as the render presents it (a job's: with its colour put back).
    public var image: RGBImage
    /// Whether the image is a frame of the job's animation (see `FrameCadence`).
    public var isFrame = false
    /// The render's state after this iteration, when the caller asked for one here.
    public var checkpoint: RenderCheckpoint?
}
