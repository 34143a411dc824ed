import Foundation

/// A minimal hand-written SVG builder (no dependencies): enough for line plots and stick figures.
struct SVGCanvas {
    let width: Double, height: Double
    private var body: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static let palette = ["#d62728", "#2ca02c", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    mutating func rect(x: Double, y: Double, w: Double, h: Double, fill: String = "none", stroke: String = "#999") {
        body.append(
            "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"0.5\"/>"
        )
    }

    mutating func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
        stroke: String, width: Double = 1, opacity: Double = 1, dash: String? = nil
    ) {
        body.append(
            "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
                + (opacity < 1 ? " stroke-opacity=\"\(n(opacity))\"" : "")
                + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1, opacity: Double = 1) {
        guard points.count > 1 else { return }
        let pts = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        body.append(
            "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
                + (opacity < 1 ? " stroke-opacity=\"\(n(opacity))\"" : "") + " stroke-linejoin=\"round\"/>")
    }

    mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String) {
        body.append("<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(r))\" fill=\"\(fill)\"/>")
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(
        _ s: String, x: Double, y: Double, size: Double = 11, anchor: Anchor = .start,
        color: String = "#222", bold: Bool = false, rotate: Bool = false
    ) {
        let transform = rotate ? " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" : ""
        body.append(
            "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor.rawValue)\" fill=\"\(color)\""
                + (bold ? " font-weight=\"bold\"" : "") + transform + ">\(escape(s))</text>")
    }

    func render() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + body.joined(separator: "\n") + "\n</svg>\n"
    }

    private func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// "Nice" axis ticks (1-2-5 steps) covering `lo…hi`; at least 3 whenever a finer step allows it.
func niceTicks(_ lo: Double, _ hi: Double, target: Int = 5) -> [Double] {
    let ticks = niceTicksOnce(lo, hi, target: target)
    return ticks.count >= 3 ? ticks : niceTicksOnce(lo, hi, target: 2 * target + 1)
}

private func niceTicksOnce(_ lo: Double, _ hi: Double, target: Int) -> [Double] {
    guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
    let raw = (hi - lo) / Double(max(target, 1))
    let mag = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
    var ticks = [Double]()
    var t = ceil(lo / step) * step
    while t <= hi + step * 1e-9 {
        ticks.append(abs(t) < step * 1e-9 ? 0 : t)
        t += step
    }
    return ticks
}

func tickLabel(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
    let a = abs(v)
    return a >= 100 ? fixed(v, 0) : a >= 1 ? fixed(v, 1) : a >= 0.01 ? fixed(v, 2) : String(format: "%.1e", v)
}
