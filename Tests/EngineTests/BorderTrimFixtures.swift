import Engine
import Foundation

/// A frame's widths, in the order top, right, bottom, left (as CSS gives margins).
typealias FrameWidths = (top: Int, right: Int, bottom: Int, left: Int)

/// Pictures without a border to put frames around. The starry_night copy loses its outer 16 px
/// (its scan border and canvas edge are under 8 at this size); fruits loses its bottom 10 rows,
/// a shadow whose lines darken and lose texture towards the edge over ~9 px (luma 108 → 52),
/// which beside a dark frame reads exactly as a scan ramp would, so no true width exists there.
func interior(_ name: String) throws -> RGBImage {
    switch name {
    case "starry":
        let image = try ImageFile.read(TestPaths.image("starry_night_376.jpg"))
        return image.cropped(to: PixelBox(x: 16, y: 16, width: image.width - 32, height: image.height - 32))
    case "fruits":
        let image = try ImageFile.read(TestPaths.image("fruits.jpg"))
        return image.cropped(to: PixelBox(x: 0, y: 0, width: image.width, height: image.height - 10))
    default:
        return try ImageFile.read(TestPaths.image(name + ".jpg"))
    }
}

/// `picture` inside a frame of `colour`, `sides` pixels wide; with a ramp, the picture's outer
/// `ramp` lines on each framed side blend from the frame's colour into it.
func framed(_ picture: RGBImage, _ sides: FrameWidths, colour: SIMD3<Float>, ramp: Int = 0) -> RGBImage {
    let width = picture.width + sides.left + sides.right, height = picture.height + sides.top + sides.bottom
    var image = RGBImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            let px = x - sides.left, py = y - sides.top
            let inside = px >= 0 && px < picture.width && py >= 0 && py < picture.height
            var alpha: Float = inside ? 1 : 0
            if inside && ramp > 0 {
                for (present, distance) in [(sides.top > 0, py), (sides.bottom > 0, picture.height - 1 - py),
                                            (sides.left > 0, px), (sides.right > 0, picture.width - 1 - px)] where present {
                    alpha = min(alpha, Float(distance + 1) / Float(ramp + 1))
                }
            }
            for c in 0..<3 {
                let paint = inside ? picture.pixels[c, py, px] : 0
                image.pixels[c, y, x] = alpha * paint + (1 - alpha) * colour[c]
            }
        }
    }
    return image
}

/// The top `rows` rows of `image` at `factor` of their brightness, or (fading) at a factor that
/// rises linearly from `factor` on the top row to 1 on the last of them.
func darkened(_ image: RGBImage, rows: Int, to factor: Float, fading: Bool) -> RGBImage {
    var out = image
    for y in 0..<rows {
        let scale = fading && rows > 1 ? factor + (1 - factor) * Float(y) / Float(rows - 1) : factor
        for c in 0..<3 { for x in 0..<image.width { out.pixels[c, y, x] *= scale } }
    }
    return out
}

func whole(_ image: RGBImage) -> PixelBox { PixelBox(x: 0, y: 0, width: image.width, height: image.height) }

/// Whether `box`, in an image of that size, cuts each side within 1 px of `truth`.
func close(_ box: PixelBox, _ truth: FrameWidths, width: Int, height: Int) -> Bool {
    abs(box.y - truth.top) <= 1 && abs(box.x - truth.left) <= 1
        && abs(width - box.x - box.width - truth.right) <= 1 && abs(height - box.y - box.height - truth.bottom) <= 1
}

/// The mean luma of each line from one edge inwards (rows from the top, or from the bottom when
/// reversed; columns from the left, or the right).
func lineLumas(_ image: RGBImage, rows: Bool, reversed: Bool) -> [Float] {
    let count = rows ? image.height : image.width, length = rows ? image.width : image.height
    return (0..<count).map { step in
        let line = reversed ? count - 1 - step : step
        var sum: Float = 0
        for i in 0..<length {
            let (y, x) = rows ? (line, i) : (i, line)
            sum += 0.299 * image.pixels[0, y, x] + 0.587 * image.pixels[1, y, x] + 0.114 * image.pixels[2, y, x]
        }
        return sum / Float(length)
    }
}
