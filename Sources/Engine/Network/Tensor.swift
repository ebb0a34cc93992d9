// A tensor holds one image's worth of activations: `channels × height × width` float32
// values, contiguous, channel-major ("CHW"): element (c, y, x) is at
// `(c * height + y) * width + x`. There is no batch dimension: styled optimises one image.
public struct Tensor: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var data: [Float]

    public init(channels: Int, height: Int, width: Int, data: [Float]) {
        precondition(data.count == channels * height * width, "tensor data does not match its shape")
        self.channels = channels
        self.height = height
        self.width = width
        self.data = data
    }

    public init(channels: Int, height: Int, width: Int, repeating value: Float = 0) {
        self.init(channels: channels, height: height, width: width,
                  data: [Float](repeating: value, count: channels * height * width))
    }

    /// A tensor whose every element `fill` writes (the memory is not zeroed first).
    public init(channels: Int, height: Int, width: Int, fill: (UnsafeMutablePointer<Float>) -> Void) {
        self.channels = channels
        self.height = height
        self.width = width
        data = [Float](unsafeUninitializedCapacity: channels * height * width) { buffer, count in
            fill(buffer.baseAddress!)
            count = buffer.count
        }
    }

    public var count: Int { data.count }
    public var plane: Int { height * width }

    /// Channel c's values, position by position (a view, not a copy).
    public func channel(_ c: Int) -> ArraySlice<Float> { data[c * plane..<(c + 1) * plane] }

    public subscript(c: Int, y: Int, x: Int) -> Float {
        get { data[(c * height + y) * width + x] }
        set { data[(c * height + y) * width + x] = newValue }
    }
}

extension Tensor {
    /// self += other, elementwise.
    public mutating func add(_ other: Tensor, scaled factor: Float = 1) {
        precondition(other.count == count, "adding tensors of different shapes")
        data.withUnsafeMutableBufferPointer { a in
            other.data.withUnsafeBufferPointer { b in
                let ap = a.baseAddress!, bp = b.baseAddress!
                Parallel.forEachRange(a.count) { range in
                    for i in range { ap[i] += factor * bp[i] }
                }
            }
        }
    }
}

extension Tensor {
    /// The part of every channel within `rows` × `columns` (a copy; the tensor itself when that is all of it).
    public func cropped(rows: Range<Int>, columns: Range<Int>) -> Tensor {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= height && columns.lowerBound >= 0 && columns.upperBound <= width,
                     "cropping outside a tensor")
        if rows.count == height && columns.count == width { return self }
        if rows.isEmpty || columns.isEmpty { return Tensor(channels: channels, height: rows.count, width: columns.count) }
        return Tensor(channels: channels, height: rows.count, width: columns.count) { out in
            data.withUnsafeBufferPointer { source in
                var o = 0
                for c in 0..<channels {
                    for y in rows {
                        let start = (c * height + y) * width + columns.lowerBound
                        (out + o).update(from: source.baseAddress! + start, count: columns.count)
                        o += columns.count
                    }
                }
            }
        }
    }

    /// self[c, top + y, left + x] += factor · part[c, y, x]: `part` added in at that place
    /// (all of self in parallel, where the part covers it).
    public mutating func add(_ part: Tensor, scaled factor: Float = 1, top: Int, left: Int) {
        precondition(part.channels == channels && top >= 0 && left >= 0 && top + part.height <= height && left + part.width <= width,
                     "adding a part outside a tensor")
        if part.count == count { return add(part, scaled: factor) }
        let (h, w) = (height, width)
        data.withUnsafeMutableBufferPointer { target in
            part.data.withUnsafeBufferPointer { source in
                for c in 0..<part.channels {
                    for y in 0..<part.height {
                        let to = (c * h + top + y) * w + left, from = (c * part.height + y) * part.width
                        for x in 0..<part.width { target[to + x] += factor * source[from + x] }
                    }
                }
            }
        }
    }
}
