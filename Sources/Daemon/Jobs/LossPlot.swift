import Foundation

/// `loss.svg`: each loss term (weighted as it enters the total) against iteration, on a
/// log scale, with labelled axes and a legend. Written by hand: it is a few dozen lines of
/// SVG, and no Swift or Debian library here draws charts.
enum LossPlot {
    struct Series {
        var name: String
        var colour: String
        var values: [(iteration: Int, value: Double)]
    }

    /// A job's log: the total and each term weighted as the job weighs it (the histogram's when on).
    static func svg(_ records: [LogRecord], job: ResolvedJob, title: String) -> String {
        var series = [
            Series(name: "total", colour: "#000000", values: records.map { ($0.iteration, $0.loss) }),
            Series(name: "content × c", colour: "#1f77b4", values: records.map { ($0.iteration, $0.content * job.contentWeight) }),
            Series(name: "style × s", colour: "#d62728", values: records.map { ($0.iteration, $0.style * job.styleWeight) }),
            Series(name: "tv × v", colour: "#2ca02c", values: records.map { ($0.iteration, $0.tv * job.tvWeight) }),
        ]
        if job.histogramWeight > 0 {
            series.append(Series(name: "histogram × h", colour: "#9467bd", values: records.map { ($0.iteration, $0.histogram * job.histogramWeight) }))
        }
        return svg(series, title: title)
    }

    static func svg(_ series: [Series], title: String) -> String {
        let width = 720.0, height = 420.0, left = 80.0, right = 150.0, top = 40.0, bottom = 50.0
        let plotted = series.map { s in Series(name: s.name, colour: s.colour, values: s.values.filter { $0.value > 0 && $0.value.isFinite }) }
            .filter { !$0.values.isEmpty }
        let points = plotted.flatMap(\.values)
        let maxIteration = max(1, points.map(\.iteration).max() ?? 1)
        let low = floor(log10(points.map(\.value).min() ?? 1)), high = max(low + 1, ceil(log10(points.map(\.value).max() ?? 10)))
        func x(_ iteration: Int) -> Double { left + (width - left - right) * Double(iteration) / Double(maxIteration) }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (high - log10(value)) / (high - low) }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="24" font-size="14">\(escape(title))</text>

        """
        for decade in stride(from: low, through: high, by: 1) {
            let py = y(pow(10, decade))
            svg += "<line x1=\"\(left)\" y1=\"\(py)\" x2=\"\(width - right)\" y2=\"\(py)\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(left - 8)\" y=\"\(py + 4)\" text-anchor=\"end\">1e\(Int(decade))</text>\n"
        }
        for tick in 0...5 {
            let iteration = maxIteration * tick / 5, px = x(iteration)
            svg += "<line x1=\"\(px)\" y1=\"\(height - bottom)\" x2=\"\(px)\" y2=\"\(height - bottom + 5)\" stroke=\"black\"/>"
            svg += "<text x=\"\(px)\" y=\"\(height - bottom + 18)\" text-anchor=\"middle\">\(iteration)</text>\n"
        }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" fill=\"none\" stroke=\"black\"/>\n"
        svg += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">iteration</text>\n"
        svg += "<text transform=\"translate(20 \((top + height - bottom) / 2)) rotate(-90)\" text-anchor=\"middle\">loss (log scale)</text>\n"
        for (index, s) in plotted.enumerated() {
            let path = s.values.map { "\(x($0.iteration)),\(y($0.value))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
            let ly = top + 10 + Double(index) * 18
            svg += "<line x1=\"\(width - right + 12)\" y1=\"\(ly)\" x2=\"\(width - right + 32)\" y2=\"\(ly)\" stroke=\"\(s.colour)\" stroke-width=\"2\"/>"
            svg += "<text x=\"\(width - right + 38)\" y=\"\(ly + 4)\">\(escape(s.name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
