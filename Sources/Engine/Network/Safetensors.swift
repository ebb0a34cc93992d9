import Foundation

// safetensors: an 8-byte little-endian header length, a JSON header mapping each tensor's
// name to its dtype, shape and byte range, then the raw little-endian tensor bytes.
// The optional "__metadata__" entry is a string-to-string map.
public struct SafetensorsFile {
    public struct Entry {
        public var dtype: String
        public var shape: [Int]
        public var range: Range<Int>  // within `payload`
    }

    public var metadata: [String: String]
    public var entries: [String: Entry]
    public var payload: [UInt8]

    public init(metadata: [String: String], entries: [String: Entry], payload: [UInt8]) {
        self.metadata = metadata
        self.entries = entries
        self.payload = payload
    }

    public init(bytes: [UInt8], path: String) throws {
        func fail(_ reason: String) -> FileError { FileError(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw fail("too short for a safetensors header") }
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard headerLength > 0, headerLength <= bytes.count - 8, headerLength < 100 << 20 else {
            throw fail("header length \(headerLength) does not fit the file")
        }
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<8 + headerLength])) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        payload = Array(bytes[(8 + headerLength)...])
        metadata = (header["__metadata__"] as? [String: String]) ?? [:]
        entries = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int],
                  offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= payload.count,
                  let count = Self.count(of: shape), count <= payload.count
            else { throw fail("malformed header entry for \(name)") }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
    }

    /// The number of values of a shape; nil for a negative side or a product too large to be
    /// a count (so that a hostile header cannot overflow the arithmetic on it).
    private static func count(of shape: [Int]) -> Int? {
        shape.reduce(1 as Int?) { count, side in
            guard let count, side >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: side)
            return overflow ? nil : product
        }
    }

    /// A tensor's values as float32, converting from F16 or BF16 where stored so.
    public func floats(_ name: String, path: String) throws -> [Float] {
        guard let entry = entries[name] else { throw FileError(path: path, reason: "no tensor named \(name)") }
        let count = entry.shape.reduce(1, *)
        let bytes = payload[entry.range]
        let width = ["F32": 4, "F16": 2, "BF16": 2][entry.dtype]
        guard let width, bytes.count == count * width else {
            throw FileError(path: path, reason: "tensor \(name) has dtype \(entry.dtype) and \(bytes.count) bytes for shape \(entry.shape)")
        }
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { i in
                switch entry.dtype {
                case "F32": Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                case "F16": Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                default: Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                }
            }
        }
    }

    /// A tensor stored as it is in memory: F64 or I32, read back bit for bit (checkpoints).
    public func values<Scalar: BitwiseCopyable>(_ name: String, as type: Scalar.Type, path: String) throws -> [Scalar] {
        let dtype = Self.dtype(of: type)
        guard let entry = entries[name] else { throw FileError(path: path, reason: "no tensor named \(name)") }
        let count = entry.shape.reduce(1, *)
        guard entry.dtype == dtype, entry.range.count == count * MemoryLayout<Scalar>.stride else {
            throw FileError(path: path, reason: "tensor \(name) is \(entry.dtype) of \(entry.range.count) bytes, not \(count) \(dtype)")
        }
        return payload[entry.range].withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<Scalar>.stride, as: Scalar.self) } }
    }

    private static func dtype<Scalar>(of type: Scalar.Type) -> String {
        switch type {
        case is Float.Type: "F32"
        case is Double.Type: "F64"
        case is Int32.Type: "I32"
        default: fatalError("no safetensors dtype for \(type)")
        }
    }

    /// One tensor to serialize: its name, shape and values in host (little-endian) order. It
    /// keeps the values' array itself (a checkpoint's vectors are too large to copy).
    public struct Stored {
        let name: String, dtype: String, shape: [Int], byteCount: Int
        let withBytes: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void

        public init<Scalar: BitwiseCopyable>(_ name: String, shape: [Int], values: [Scalar]) {
            self.name = name
            self.dtype = SafetensorsFile.dtype(of: Scalar.self)
            self.shape = shape
            byteCount = values.count * MemoryLayout<Scalar>.stride
            withBytes = { body in try values.withUnsafeBytes(body) }
        }
    }

    /// The file's bytes, tensors in name order, each stored as F32.
    public static func serialize(tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String]) -> [UInt8] {
        serialize(tensors.map { Stored($0.name, shape: $0.shape, values: $0.values) }, metadata: metadata)
    }

    /// The file's bytes, tensors in name order.
    public static func serialize(_ tensors: [Stored], metadata: [String: String]) -> [UInt8] {
        var bytes: [UInt8] = []
        try! write(tensors, metadata: metadata) { part in bytes.append(contentsOf: part) }  // appending to memory does not throw
        return bytes
    }

    /// Writes the file to `file`, each tensor straight from its array.
    public static func write(_ tensors: [Stored], metadata: [String: String], to file: OutputFile) throws {
        try write(tensors, metadata: metadata) { try file.append($0) }
    }

    /// The file in parts, in order: the header's length, the header, each tensor's bytes.
    private static func write(_ tensors: [Stored], metadata: [String: String], part: (UnsafeRawBufferPointer) throws -> Void) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        let ordered = tensors.sorted(by: { $0.name < $1.name })
        var offset = 0
        for tensor in ordered {
            header[tensor.name] = ["dtype": tensor.dtype, "shape": tensor.shape, "data_offsets": [offset, offset + tensor.byteCount]]
            offset += tensor.byteCount
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad so tensors start 8-byte aligned
        let length = (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) }
        try length.withUnsafeBytes(part)
        try json.withUnsafeBytes(part)
        for tensor in ordered { try tensor.withBytes(part) }
    }
}
