import Foundation

/// A rectangle of an image, in its pixels: the part of a picture to keep.
public struct PixelBox: Sendable, Codable, Equatable {
    public var x, y, width, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }
}

// Finding the flat border (a frame, a margin, a dark scan border) around a painting, so that
// its long straight edges stay out of the style's Gram statistics. Written by hand: no Debian
// library offers border detection on a float tensor.
//
// Each side is scanned inwards one row or column (a "line") at a time and compared with the
// picture's own interior (medians over the middle half of the lines). The rule, and why:
// - Border lines are nearly uniform (spread ≤ 3 levels of 255 and ≤ 0.15× the interior's) and
//   share one colour: a frame is flat, a picture is not.
// - The flatness ends sharply: a textured line (spread ≥ 0.3× the interior's) within `window`
//   lines. A dark sky or a plain wall is texture-poor too, but fades into the picture over many
//   lines or is never as flat as a scan border. A flat run of a quarter of the side is no border.
// - The border's colour is rare in the picture: near at most a quarter of the interior's pixels,
//   and under half of those just past the cut. A strip of clear sky or of one brick face along
//   an edge is the picture's own colour.
// - A scan border ramps into the painting: lines whose spread and distance from the border's
//   colour are both well below the next lines' (as a blend of the two is) go too, and so do the
//   lines a tilted border still enters from one end.
// A false trim costs more than a missed one: every doubt keeps the side. Images under 16 px, or
// whose interior's spread is under 4 levels, are kept whole.
public enum BorderTrim {
    /// Neither trim leaves a side shorter than this (unless the image already is).
    public static let minimumSide = 16

    /// The box to keep: the whole image when no border is found.
    public static func detect(_ image: RGBImage) -> PixelBox {
        let width = image.width, height = image.height
        guard width >= minimumSide, height >= minimumSide else { return PixelBox(x: 0, y: 0, width: width, height: height) }
        let rows = Lines(image, rows: true), columns = Lines(image, rows: false)
        let sides = [rows, rows.reversed(), columns, columns.reversed()]  // top, bottom, left, right
        let found = sides.map(border)
        var cut = found.map { $0?.cut ?? 0 }
        // A tilted border still runs into the lines past its cut from one end (where the middle
        // halves do not look): lines that start or end with 5 % of its colour go too.
        for s in 0..<4 {
            guard let border = found[s] else { continue }
            let across = s < 2 ? cut[2]..<width - cut[3] : cut[0]..<height - cut[1]
            while cut[s] < border.limit, sides[s].endRun(near: border.colour, line: cut[s], across: across) >= max(3, across.count / 20) {
                cut[s] += 1
            }
        }
        if height - cut[0] - cut[1] < minimumSide { (cut[0], cut[1]) = (0, 0) }
        if width - cut[2] - cut[3] < minimumSide { (cut[2], cut[3]) = (0, 0) }
        return PixelBox(x: cut[2], y: cut[0], width: width - cut[2] - cut[3], height: height - cut[0] - cut[1])
    }

    /// The box left after cutting the given number of pixels off each side, or nil when a count
    /// is negative or the cut would leave a side shorter than `minimumSide` (or than the image's
    /// own side, for an image smaller than that).
    public static func fixed(top: Int, right: Int, bottom: Int, left: Int, of image: RGBImage) -> PixelBox? {
        let width = image.width, height = image.height
        guard top >= 0, right >= 0, bottom >= 0, left >= 0,
              top <= height, bottom <= height, left <= width, right <= width else { return nil }
        let box = PixelBox(x: left, y: top, width: width - left - right, height: height - top - bottom)
        guard box.width >= min(minimumSide, width), box.height >= min(minimumSide, height),
              box.width > 0, box.height > 0 else { return nil }
        return box
    }

    /// A border found on one side: how many lines to cut, its colour, and how far the cut may go.
    struct Border { var cut: Int, colour: SIMD3<Double>, limit: Int }

    /// The border on the side whose lines `lines` lists from the edge inwards, if there is one.
    static func border(_ lines: Lines) -> Border? {
        let n = lines.count
        guard n >= minimumSide else { return nil }
        let interior = n / 4..<(3 * n) / 4
        let texture = median(lines.middleSpread[interior])
        guard texture >= 4 else { return nil }
        let maxFlat = n / 4, window = max(8, n / 48)

        // The flat run: lines as uniform as a frame, all of the first line's colour.
        let flat = min(0.15 * texture, 3)
        var run = 0
        while run < maxFlat, lines.spread[run] <= flat, distance(lines.mean[run], lines.mean[0]) <= 12 { run += 1 }
        guard run > 0, run < maxFlat else { return nil }
        // It must end sharply: a textured line soon after.
        let limit = min(run + 2 * window, n / 3)
        let textured = (run..<min(run + window, limit)).first { lines.middleSpread[$0] >= 0.3 * texture }
        guard let textured else { return nil }
        // The ramp: lines whose spread and distance from the border's colour are both well below
        // those of the next 3 lines (their geometric mean under 0.85 of theirs).
        let colour = lines.mean[0..<run].reduce(SIMD3<Double>(), +) / Double(run)
        let fromBorder = lines.middleMean.map { distance($0, colour) }
        var cut = textured
        for k in run..<max(run, min(limit, n - 4)) {
            let nextSpread = median(lines.middleSpread[k + 1...k + 3]), nextDistance = median(fromBorder[k + 1...k + 3])
            let spreadRatio = min(1, lines.middleSpread[k] / max(nextSpread, 1e-3))
            let distanceRatio = nextDistance >= 40 ? min(1, (fromBorder[k] + 6) / (nextDistance + 6)) : 1
            if (spreadRatio * distanceRatio).squareRoot() >= 0.85 { cut = k; break }
        }
        // A scan often shows a strip of bare canvas or paper between the scanner's dark lid and
        // the paint, bright and crooked, so neither flat nor of the border's colour: lines past
        // the ramp that stand further from the border's colour than the painting beyond them
        // (by 40 levels) go too, if they are smoother than it or touch the ramp (a crooked
        // strip's first lines cross lid, canvas and paint, so they are not smoother). Once such
        // a strip has begun, lines that still stand apart go with it even where they are not
        // smoother (a crooked strip crosses them), as does a single line between two of them.
        // The strip may begin within the ramp, so the search starts where the flat run ends.
        var line = run, misses = 0, inStrip = false
        while line < limit, line + 9 <= n, misses < 2 {
            let beyond = line + 3..<line + 9
            let apart = fromBorder[line] - median(fromBorder[beyond])
            let smoother = lines.middleSpread[line] < 0.75 * median(lines.middleSpread[beyond])
            if apart > 40 && (inStrip || smoother || line <= cut) {
                (cut, misses, inStrip) = (max(cut, line + 1), 0, true)
            } else if inStrip || line >= cut {
                misses += 1
            }
            line += 1
        }
        // The border's colour must be rare in the picture, and just past the cut.
        let usual = lines.share(near: colour, in: interior)
        guard usual <= 0.25, lines.share(near: colour, in: cut..<min(n, cut + window)) < 0.5 else { return nil }
        return Border(cut: cut, colour: colour, limit: limit)
    }

    static func distance(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { ((a - b) * (a - b)).sum().squareRoot() }

    static func median(_ values: ArraySlice<Double>) -> Double {
        let sorted = values.sorted(), mid = sorted.count / 2
        return sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Per line (row or column), from one edge to the other: the mean colour and the spread (the
    /// root-mean-square distance from that mean, over the three channels) of the whole line and
    /// of its middle half. The middle half keeps a frame on the neighbouring sides out of the
    /// measures of the picture; the flatness test takes the whole line.
    struct Lines {
        var mean: [SIMD3<Double>] = [], spread: [Double] = []
        var middleMean: [SIMD3<Double>] = [], middleSpread: [Double] = []
        let pixels: Tensor, rows: Bool
        var fromEnd = false
        var count: Int { mean.count }
        var middle: Range<Int> { let length = rows ? pixels.width : pixels.height; return length / 4..<max(length / 4 + 1, (3 * length) / 4) }

        init(_ image: RGBImage, rows: Bool) {
            (pixels, self.rows) = (image.pixels, rows)
            for line in 0..<(rows ? pixels.height : pixels.width) {
                var sum = SIMD3<Double>(), squares = SIMD3<Double>()
                var middleSum = SIMD3<Double>(), middleSquares = SIMD3<Double>()
                let length = rows ? pixels.width : pixels.height, middle = middle
                for i in 0..<length {
                    let v = pixel(line, i)
                    sum += v
                    squares += v * v
                    if middle.contains(i) { middleSum += v; middleSquares += v * v }
                }
                Self.append(sum, squares, Double(length), to: &mean, &spread)
                Self.append(middleSum, middleSquares, Double(middle.count), to: &middleMean, &middleSpread)
            }
        }

        /// Pixel `i` along line `line` (counted from the edge this list starts at).
        func pixel(_ line: Int, _ i: Int) -> SIMD3<Double> {
            let line = fromEnd ? count - 1 - line : line
            let index = rows ? line * pixels.width + i : i * pixels.width + line
            return SIMD3(Double(pixels.data[index]), Double(pixels.data[pixels.plane + index]), Double(pixels.data[2 * pixels.plane + index]))
        }

        /// The share of the pixels in the middle halves of `lines` within 24 levels of `colour`.
        func share(near colour: SIMD3<Double>, in lines: Range<Int>) -> Double {
            let middle = middle
            var near = 0
            for line in lines { for i in middle where distance(pixel(line, i), colour) <= 24 { near += 1 } }
            return Double(near) / Double(max(1, lines.count * middle.count))
        }

        /// How many pixels at the start or at the end of `line`'s part `across`, the more of the
        /// two, lie within 24 levels of `colour`.
        func endRun(near colour: SIMD3<Double>, line: Int, across: Range<Int>) -> Int {
            func near(_ i: Int) -> Bool { distance(pixel(line, i), colour) <= 24 }
            return max(across.prefix(while: near).count, across.reversed().prefix(while: near).count)
        }

        private static func append(_ sum: SIMD3<Double>, _ squares: SIMD3<Double>, _ n: Double,
                                   to means: inout [SIMD3<Double>], _ spreads: inout [Double]) {
            // Values outside 0...255 (NaN, infinities) make statistics that trim nothing, not a trap.
            let m = sum / n
            let spread = max(0, (squares / n - m * m).sum() / 3).squareRoot()
            let finite = spread.isFinite && (m * m).sum().isFinite
            means.append(finite ? m : SIMD3<Double>())
            spreads.append(finite ? spread : .greatestFiniteMagnitude)
        }

        func reversed() -> Lines {
            var r = self
            (r.mean, r.spread, r.fromEnd) = (mean.reversed(), spread.reversed(), !fromEnd)
            (r.middleMean, r.middleSpread) = (middleMean.reversed(), middleSpread.reversed())
            return r
        }
    }
}

extension RGBImage {
    /// The part of the image inside `box` (clipped to the image; empty if they do not meet).
    public func cropped(to box: PixelBox) -> RGBImage {
        func clip(_ start: Int, _ size: Int, _ limit: Int) -> Range<Int> {
            let (end, overflow) = start.addingReportingOverflow(max(0, size))
            let lower = min(max(start, 0), limit)
            return lower..<max(lower, min(overflow ? limit : end, limit))
        }
        let xs = clip(box.x, box.width, width), ys = clip(box.y, box.height, height)
        if xs.count == width && ys.count == height { return self }
        if xs.isEmpty || ys.isEmpty { return RGBImage(width: xs.count, height: ys.count) }
        let source = pixels
        let out = Tensor(channels: 3, height: ys.count, width: xs.count) { out in
            var o = 0
            for c in 0..<3 {
                for y in ys {
                    let base = (c * source.height + y) * source.width
                    for x in xs { out[o] = source.data[base + x]; o += 1 }
                }
            }
        }
        return RGBImage(pixels: out)
    }
}
