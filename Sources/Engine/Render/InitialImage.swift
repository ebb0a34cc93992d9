/// The image a render starts from. Written as the job's `init` is: "content", "noise",
/// "style" or the name of a file (whose picture the job hands over decoded).
public enum InitialImage: Sendable, Equatable {
    case content, noise, style
    case file(String)

    public init(_ text: String) {
        self = switch text {
        case "content": .content
        case "noise": .noise
        case "style": .style
        default: .file(text)
        }
    }

    public var text: String {
        switch self {
        case .content: "content"
        case .noise: "noise"
        case .style: "style"
        case .file(let name): name
        }
    }

    /// The file it names, if any.
    public var file: String? { if case .file(let name) = self { name } else { nil } }
}

extension InitialImage: Codable {
    public init(from decoder: Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
