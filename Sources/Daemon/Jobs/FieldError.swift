/// A file that cannot be used, with the field at fault (nil: the file as a whole) and why:
/// a job's manifest (`ManifestError`) or the daemon's configuration (`ConfigError`), which
/// fail differently but say so alike.
protocol FieldError: Error, CustomStringConvertible {
    var file: String { get }
    var field: String? { get }
    var reason: String { get }
}

extension FieldError {
    var description: String { field.map { "\(file): field `\($0)`: \(reason)" } ?? "\(file): \(reason)" }
}
