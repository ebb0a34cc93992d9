import Engine
import Foundation

/// A running job's checkpoint, `state/processing/.<job>.checkpoint`: Engine's checkpoint
/// (for L-BFGS-B its work arrays, bit for bit, so the run goes on exactly) with what its
/// outputs need to go on: the job's resolved parameters, the log so far and the frames
/// written. One safetensors file: the arrays as F64/I32 tensors, the rest as JSON in its
/// metadata. Written whole, synced and renamed into place, so a crash leaves the last one.
struct SavedRender {
    var job: ResolvedJob
    var checkpoint: RenderCheckpoint
    var records: [LogRecord]
    var frames: [Int]

    /// The JSON half: everything but the arrays. Its iteration and evaluations are the
    /// optimiser's; the render's, over all scales, are its log's last record's.
    private struct Header: Codable {
        var job: ResolvedJob
        var scale: Int
        var records: [LogRecord]
        var frames: [Int]
        var width: Int
        var height: Int
        var seconds: Double
        var optimizer: OptimizerKind
        var iteration: Int
        var evaluations: Int
        var texts: [String: String]
    }

    private static let metadataKey = "styled_checkpoint"

    /// Returns the file's size.
    @discardableResult
    func write(to path: String) throws -> Int {
        let state = checkpoint.state
        let header = Header(job: job, scale: checkpoint.scale, records: records, frames: frames, width: checkpoint.width, height: checkpoint.height,
                            seconds: checkpoint.seconds, optimizer: state.optimizer, iteration: state.iteration,
                            evaluations: state.evaluations, texts: state.texts)
        let json = String(decoding: try JSONEncoder().encode(header), as: UTF8.self)
        let tensors = state.reals.map { SafetensorsFile.Stored("real.\($0.key)", shape: [$0.value.count], values: $0.value) }
            + state.integers.map { SafetensorsFile.Stored("int.\($0.key)", shape: [$0.value.count], values: $0.value) }
        try writeFileAtomically(to: path, durable: true) { try SafetensorsFile.write(tensors, metadata: [Self.metadataKey: json], to: $0) }
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    static func read(from path: String) throws -> SavedRender {
        let file = try SafetensorsFile(bytes: try readRegularFile(path, maxBytes: 1 << 40), path: path)
        guard let json = file.metadata[metadataKey], let header = try? JSONDecoder().decode(Header.self, from: Data(json.utf8)) else {
            throw FileError(path: path, reason: "not a styled checkpoint")
        }
        var reals: [String: [Double]] = [:], integers: [String: [Int32]] = [:]
        for name in file.entries.keys {
            if name.hasPrefix("real.") { reals[String(name.dropFirst(5))] = try file.values(name, as: Double.self, path: path) }
            if name.hasPrefix("int.") { integers[String(name.dropFirst(4))] = try file.values(name, as: Int32.self, path: path) }
        }
        // What a resumed render takes as it is: the scale it indexes, the log it goes on from (which
        // ends at the checkpoint's iteration) and the image it starts from (width × height pixels,
        // each channel within 0…255).
        let pixels = reals["x"] ?? []
        let settings = header.job.settings
        guard settings.scales.indices.contains(header.scale), let last = header.records.last,
              last.iteration == settings.firstIteration(ofScale: header.scale) + header.iteration, header.width > 0, header.height > 0,
              pixels.count % 3 == 0, pixels.count / 3 % header.width == 0, pixels.count / 3 / header.width == header.height,
              pixels.allSatisfy({ (0...255).contains($0) }) else {
            throw FileError(path: path, reason: "not a checkpoint of its job: its scale, log or image does not fit")
        }
        let state = OptimizerState(optimizer: header.optimizer, iteration: header.iteration, evaluations: header.evaluations,
                                   reals: reals, integers: integers, texts: header.texts)
        let checkpoint = RenderCheckpoint(scale: header.scale, width: header.width, height: header.height, iteration: last.iteration,
                                          evaluations: last.evaluations, seconds: header.seconds, state: state)
        return SavedRender(job: header.job, checkpoint: checkpoint, records: header.records, frames: header.frames)
    }
}
