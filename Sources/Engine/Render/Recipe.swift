// A recipe is a set of defaults for the choices that change how a picture looks, not what
// it shows: every one of them is also a job field of its own, which overrides the recipe.
// `gatys` is the paper's objective exactly (docs/objective.md); `clean` is styled's default,
// chosen by how the pictures look side by side (README, "Clean pictures").

public enum Recipe: String, Sendable, Codable, CaseIterable {
    case gatys, clean

    /// Whether style images lose their flat borders (frames, scan margins) first.
    public var trimsStyles: Bool { self == .clean }

    public var edges: EdgePadding { self == .clean ? .replicate : .zero }

    public var pooling: Pooling { .max }

    public var gramNormalisation: GramNormalisation { self == .clean ? .positions : .none }

    public var styleLoss: StyleLossKind { .gram }

    /// The decay of the average of iterates shown (IterateAverage.swift); 0: the iterate itself.
    public var averageDecay: Double { 0 }

    /// The style layers' weights, shallowest first: 1/L each for the paper.
    public func styleLayerWeights(count: Int) -> [Double] {
        Array(repeating: 1 / Double(max(1, count)), count: count)
    }
}
