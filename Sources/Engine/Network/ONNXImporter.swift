import Foundation

// Reads the convolution weights out of an ONNX model (a protobuf `ModelProto`) by walking
// the wire format directly: ModelProto.graph (field 7) → GraphProto.initializer (field 5)
// → TensorProto { dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9 }.
// Only these few fields are needed, so no generated protobuf code is involved.
public enum ONNXImporter {
    public struct Initializer {
        public var name: String
        public var dims: [Int]
        public var values: [Float]
    }

    /// All float initializers of the model's graph.
    public static func initializers(in bytes: [UInt8], path: String) throws -> [Initializer] {
        var result: [Initializer] = []
        try bytes.withUnsafeBufferPointer { buffer in
            var model = WireReader(buffer, path: path)
            while let field = try model.nextField() {
                guard field.number == 7 else { try model.skip(field); continue }
                var graph = try model.subReader(field)
                while let g = try graph.nextField() {
                    guard g.number == 5 else { try graph.skip(g); continue }
                    var tensor = try graph.subReader(g)
                    if let initializer = try readTensor(&tensor) { result.append(initializer) }
                }
            }
        }
        return result
    }

    private static func readTensor(_ reader: inout WireReader) throws -> Initializer? {
        var dims: [Int] = [], dataType = 0, name = "", values: [Float] = []
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, 0): dims.append(Int(try reader.varint()))
            case (1, 2):
                var packed = try reader.subReader(field)
                while !packed.atEnd { dims.append(Int(try packed.varint())) }
            case (2, 0): dataType = Int(try reader.varint())
            case (4, 2), (9, 2):
                let bytes = try reader.bytes(field)
                values = stride(from: 0, to: bytes.count - 3, by: 4).map { i in
                    Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                }
            case (8, 2): name = String(decoding: try reader.bytes(field), as: UTF8.self)
            default: try reader.skip(field)
            }
        }
        guard dataType == 1, values.count == dims.reduce(1, *) else { return nil }
        return Initializer(name: name, dims: dims, values: values)
    }
}

/// A cursor over protobuf wire-format bytes.
struct WireReader {
    struct Field { var number: Int; var wireType: Int }

    private let buffer: UnsafeBufferPointer<UInt8>
    private var offset: Int
    private let end: Int
    private let path: String

    init(_ buffer: UnsafeBufferPointer<UInt8>, path: String) {
        self.init(buffer, range: 0..<buffer.count, path: path)
    }

    private init(_ buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>, path: String) {
        self.buffer = buffer
        offset = range.lowerBound
        end = range.upperBound
        self.path = path
    }

    var atEnd: Bool { offset >= end }

    private func fail(_ reason: String) -> FileError {
        FileError(path: path, reason: "malformed protobuf at byte \(offset): \(reason)")
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard offset < end else { throw fail("varint runs past the end") }
            let byte = buffer[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte < 0x80 { return value }
        }
        throw fail("varint longer than 10 bytes")
    }

    mutating func nextField() throws -> Field? {
        guard !atEnd else { return nil }
        let key = try varint()
        return Field(number: Int(key >> 3), wireType: Int(key & 7))
    }

    private mutating func lengthDelimited(_ field: Field) throws -> Range<Int> {
        guard field.wireType == 2 else { throw fail("field \(field.number) is not length-delimited") }
        let length = try varint()
        guard length <= UInt64(end - offset) else { throw fail("field \(field.number) runs past the end") }
        let range = offset..<offset + Int(length)
        offset = range.upperBound
        return range
    }

    mutating func subReader(_ field: Field) throws -> WireReader {
        WireReader(buffer, range: try lengthDelimited(field), path: path)
    }

    mutating func bytes(_ field: Field) throws -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: buffer[try lengthDelimited(field)])
    }

    mutating func skip(_ field: Field) throws {
        switch field.wireType {
        case 0: _ = try varint()
        case 1, 5:
            let width = field.wireType == 1 ? 8 : 4
            guard end - offset >= width else { throw fail("fixed field runs past the end") }
            offset += width
        case 2: _ = try lengthDelimited(field)
        default: throw fail("unsupported wire type \(field.wireType)")
        }
    }
}
