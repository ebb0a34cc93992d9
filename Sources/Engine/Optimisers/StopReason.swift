import Foundation

/// Why a render stopped; `nonFiniteLoss` names the iteration whose loss or gradient
/// overflowed (0 is the start), which is never reported.
public enum StopReason: Equatable, Sendable {
    case iterations, converged(String), cancelled, abnormal(String), nonFiniteLoss(iteration: Int)
}

/// Written as Swift spells the case (`iterations`, `converged("…")`, `nonFiniteLoss(iteration: 3)`),
/// which is how `report.json` has always shown it.
extension StopReason: CustomStringConvertible, Codable {
    public var description: String {
        switch self {
        case .iterations: "iterations"
        case .cancelled: "cancelled"
        case .converged(let message): "converged(\(String(reflecting: message)))"
        case .abnormal(let message): "abnormal(\(String(reflecting: message)))"
        case .nonFiniteLoss(let iteration): "nonFiniteLoss(iteration: \(iteration))"
        }
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        func argument(of name: String) -> String? {
            text.hasPrefix(name + "(") && text.hasSuffix(")") ? String(text.dropFirst(name.count + 1).dropLast()) : nil
        }
        // A message is a quoted string with Swift's escapes, which for L-BFGS-B's plain ASCII are JSON's.
        func message(_ quoted: String) -> String { (try? JSONDecoder().decode(String.self, from: Data(quoted.utf8))) ?? quoted }
        if text == "iterations" { self = .iterations } else if text == "cancelled" { self = .cancelled }
        else if let quoted = argument(of: "converged") { self = .converged(message(quoted)) }
        else if let quoted = argument(of: "abnormal") { self = .abnormal(message(quoted)) }
        else if let count = argument(of: "nonFiniteLoss").flatMap({ Int($0.dropFirst("iteration: ".count)) }) { self = .nonFiniteLoss(iteration: count) }
        else { throw DecodingError.dataCorruptedError(in: try decoder.singleValueContainer(), debugDescription: "not a stop reason: \(text)") }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
