import Engine
import TOMLKit

/// What is cut from a style image's sides before rendering (`style_trim`): its flat borders
/// as `BorderTrim` finds them, nothing, or given pixel counts. A scan's frame or margin would
/// otherwise teach the optimiser long straight edges, painted everywhere.
enum StyleTrim: Equatable {
    case auto
    case none
    case pixels(top: Int, right: Int, bottom: Int, left: Int)

    /// The box of `image` to keep; nil when the given counts leave a side shorter than
    /// `BorderTrim.minimumSide`.
    func box(for image: RGBImage) -> PixelBox? {
        switch self {
        case .auto: BorderTrim.detect(image)
        case .none: PixelBox(x: 0, y: 0, width: image.width, height: image.height)
        case .pixels(let top, let right, let bottom, let left): BorderTrim.fixed(top: top, right: right, bottom: bottom, left: left, of: image)
        }
    }
}

extension StyleTrim: Codable {
    /// The words a job may give, each way: the one mapping behind report.json and job.toml.
    init?(word: String) {
        switch word {
        case "auto": self = .auto
        case "none": self = .none
        default: return nil
        }
    }

    var word: String? {
        switch self {
        case .auto: "auto"
        case .none: "none"
        case .pixels: nil
        }
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let sides = try? container.decode([Int].self), sides.count == 4 {
            self = .pixels(top: sides[0], right: sides[1], bottom: sides[2], left: sides[3])
        } else {
            let text = try container.decode(String.self)
            guard let trim = StyleTrim(word: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown style_trim `\(text)`")
            }
            self = trim
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .pixels(let top, let right, let bottom, let left): try container.encode([top, right, bottom, left])
        default: try container.encode(word)
        }
    }

    /// From job.toml: "auto", "none", a pixel count for every side, or [top, right, bottom, left].
    init?(toml value: TOMLValueConvertible) {
        if let text = value.string {
            guard let trim = StyleTrim(word: text) else { return nil }
            self = trim
        } else if let count = value.int, (0...4096).contains(count) {
            self = .pixels(top: count, right: count, bottom: count, left: count)
        } else if let array = value.array, array.count == 4 {
            let counts = array.compactMap(\.int)
            guard counts.count == 4, counts.allSatisfy((0...4096).contains) else { return nil }
            self = .pixels(top: counts[0], right: counts[1], bottom: counts[2], left: counts[3])
        } else {
            return nil
        }
    }
}
