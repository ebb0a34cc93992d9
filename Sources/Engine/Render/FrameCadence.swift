/// Which iterations' images are frames of a render's animation: every `every`-th over the
/// whole render (0: none), and its end. Whoever writes, checkpoints or counts frames asks here.
public struct FrameCadence: Sendable, Equatable {
    public var every: Int

    public init(every: Int) { self.every = every }

    public var isOn: Bool { every > 0 }

    /// Whether the image after `iteration` is a frame. A later scale's start is not: it is the
    /// scale before's end enlarged, which has the same iteration and already was one.
    public func isFrame(_ iteration: Int, startsLaterScale: Bool = false) -> Bool {
        isOn && iteration % every == 0 && !startsLaterScale
    }

    /// How many frames a render of `iterations` makes at most: its start, every `every`-th, its end.
    public func count(iterations: Int) -> Int { isOn ? iterations / every + 2 : 0 }
}
