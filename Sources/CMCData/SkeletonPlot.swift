/// Skeleton drawings for `SamplePlot`: stick-figure strips and joint trajectories (x–y plane).
extension SamplePlot {
    /// (x, y) of joint j in frame f of a `(C, T, J)` array.
    static func point(_ s: DataArray, _ f: Int, _ j: Int) -> (Double, Double) {
        let (T, J) = (s.shape[1], s.shape[2])
        return (Double(s.values[f * J + j]), Double(s.values[(T + f) * J + j]))
    }

    /// Maps data coordinates into a box with one scale for both axes (shapes are not distorted).
    struct Frame2D {
        var minX: Double, maxX: Double, minY: Double, maxY: Double
        var scale: Double, originX: Double, originY: Double, yUp: Bool

        init(points: [(Double, Double)], x: Double, y: Double, w: Double, h: Double, yUp: Bool) {
            minX = points.map(\.0).min() ?? 0
            maxX = points.map(\.0).max() ?? 1
            minY = points.map(\.1).min() ?? 0
            maxY = points.map(\.1).max() ?? 1
            let spanX = max(maxX - minX, 1e-9)
            let spanY = max(maxY - minY, 1e-9)
            scale = min(w / spanX, h / spanY) * 0.9
            originX = x + w / 2 - (minX + maxX) / 2 * scale
            originY = y + h / 2
            self.yUp = yUp
        }

        func map(_ p: (Double, Double)) -> (Double, Double) {
            let cy = (minY + maxY) / 2
            return (originX + p.0 * scale, originY + (yUp ? -(p.1 - cy) : (p.1 - cy)) * scale)
        }
    }

    static func drawPose(
        _ c: inout SVGCanvas, _ s: DataArray, frame f: Int, bones: [[Int]], frame2D: Frame2D,
        dx: Double, color: String, width: Double = 1.6, opacity: Double = 1
    ) {
        let J = s.shape[2]
        func p(_ j: Int) -> (Double, Double) {
            let q = frame2D.map(point(s, f, j))
            return (q.0 + dx, q.1)
        }
        for bone in bones where bone.count == 2 && bone.allSatisfy({ $0 < J }) {
            let a = p(bone[0])
            let b = p(bone[1])
            c.line(a.0, a.1, b.0, b.1, stroke: color, width: width, opacity: opacity)
        }
        if opacity >= 1 {
            for j in 0..<J {
                let q = p(j)
                c.circle(q.0, q.1, r: 1.6, fill: color)
            }
        }
    }

    /// Six evenly spaced frames side by side, on one common scale.
    static func poseStrip(
        _ c: inout SVGCanvas, x: Double, y: Double, w: Double, h: Double, title: String,
        skeleton s: DataArray, bones: [[Int]], yUp: Bool
    ) {
        c.text(title, x: x, y: y + 12, size: 12, bold: true)
        let py = y + 20
        let ph = h - 20
        c.rect(x: x, y: py, w: w, h: ph)
        let (T, J) = (s.shape[1], s.shape[2])
        let k = min(6, T)
        let frames = (0..<k).map { k == 1 ? 0 : Int((Double($0) * Double(T - 1) / Double(k - 1)).rounded()) }
        let cellW = w / Double(k)
        let pts = frames.flatMap { f in (0..<J).map { point(s, f, $0) } }
        // Fit one cell with the union of all shown poses, so sizes and drift stay comparable.
        let frame2D = Frame2D(points: pts, x: x, y: py + 4, w: cellW, h: ph - 22, yUp: yUp)
        for (i, f) in frames.enumerated() {
            let dx = Double(i) * cellW
            if bones.isEmpty {
                for j in 0..<J {
                    let q = frame2D.map(point(s, f, j))
                    c.circle(q.0 + dx, q.1, r: 2, fill: "#1f77b4")
                }
            } else {
                drawPose(&c, s, frame: f, bones: bones, frame2D: frame2D, dx: dx, color: "#1f77b4")
            }
            c.text("frame \(f)", x: x + dx + cellW / 2, y: py + ph - 6, size: 10, anchor: .middle, color: "#555")
        }
    }

    /// Every joint's path over the clip, with the first pose (grey) and last pose (black) for reference.
    static func trajectoryPanel(
        _ c: inout SVGCanvas, x: Double, y: Double, w: Double, h: Double, title: String,
        skeleton s: DataArray, bones: [[Int]], yUp: Bool
    ) {
        c.text(title, x: x, y: y + 12, size: 12, bold: true)
        let py = y + 20
        let ph = h - 20
        c.rect(x: x, y: py, w: w, h: ph)
        let (T, J) = (s.shape[1], s.shape[2])
        let pts = (0..<T).flatMap { f in (0..<J).map { point(s, f, $0) } }
        let frame2D = Frame2D(points: pts, x: x, y: py, w: w, h: ph, yUp: yUp)
        if !bones.isEmpty {
            drawPose(&c, s, frame: 0, bones: bones, frame2D: frame2D, dx: 0, color: "#aaa", width: 1.2, opacity: 0.9)
            drawPose(
                &c, s, frame: T - 1, bones: bones, frame2D: frame2D, dx: 0, color: "#333", width: 1.2, opacity: 0.9)
        }
        for j in 0..<J {
            let path = (0..<T).map { frame2D.map(point(s, $0, j)) }
            c.polyline(path, stroke: SVGCanvas.palette[j % SVGCanvas.palette.count], width: 1, opacity: 0.75)
        }
        c.text(
            "grey: first frame · black: last frame · coloured: joint paths", x: x + 6, y: py + ph - 6, size: 9,
            color: "#555")
    }
}
