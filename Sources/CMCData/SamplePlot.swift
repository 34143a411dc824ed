/// Renders one sample as an SVG page: IMU channels over time (one panel per sensor, raw and
/// resampled), skeleton poses as stick figures in the x–y plane (raw and preprocessed), and joint
/// trajectories. Used by `cmc-train data show` to eyeball readers and preprocessing.
public enum SamplePlot {
    static let width = 1200.0
    static let margin = 60.0

    public static func svg(sample: Sample, info: DatasetInfo, preprocessor: Preprocessor) throws -> String {
        let input = try preprocessor(sample)
        let sensors = sensorGroups(info)
        let imuRows = sample.inertial == nil ? 0 : sensors.count
        let hasSkeleton = sample.skeleton != nil
        let height = 60 + Double(imuRows) * 180 + (hasSkeleton ? 2 * 230 + 290 : 0) + 20
        var c = SVGCanvas(width: width, height: height)
        let className = info.classNames.indices.contains(sample.label) ? info.classNames[sample.label] : "?"
        c.text(
            "\(info.name) · \(sample.id) · class \(sample.label) \(className) · subject \(sample.subject) · trial \(sample.trial)",
            x: margin, y: 26, size: 16, bold: true)
        c.text(
            "IMU: \(info.imuPlacement(forClass: sample.label)); resampled to \(preprocessor.length) steps by FFT; skeleton normalisation: \(describe(preprocessor.skeletonNormalization))",
            x: margin, y: 46, size: 11, color: "#555")

        var top = 60.0
        let half = (width - 2 * margin - 40) / 2
        if let raw = sample.inertial, let processed = input.inertial {
            let rate = info.inertialSampleRate ?? 1
            for (sensor, channels) in sensors {
                let names = channels.map { "\(info.inertialChannels[$0].name) (\(info.inertialChannels[$0].unit))" }
                let unit = info.inertialChannels[channels[0]].unit
                let rawX = (0..<raw.shape[1]).map { Double($0) / rate }
                linePanel(
                    &c, x: margin, y: top, w: half, h: 140, title: "\(sensor), raw (\(raw.shape[1]) samples)",
                    xs: rawX, series: channels.map { row(raw, $0) }, names: names,
                    xLabel: info.inertialSampleRate == nil ? "sample" : "time (s)", yLabel: unit)
                linePanel(
                    &c, x: margin + half + 40, y: top, w: half, h: 140,
                    title: "\(sensor), resampled to \(processed.shape[1])",
                    xs: (0..<processed.shape[1]).map(Double.init), series: channels.map { row(processed, $0) },
                    names: names, xLabel: "step", yLabel: unit)
                top += 180
            }
        }
        if let raw = sample.skeleton, let processed = input.skeleton {
            let yUp = isYUp(raw, info: info)
            let unit = info.skeletonUnit ?? "units"
            poseStrip(
                &c, x: margin, y: top, w: width - 2 * margin, h: 190,
                title: "skeleton — raw frames (x–y plane, \(unit)), \(raw.shape[1]) frames",
                skeleton: raw, bones: info.bones, yUp: yUp)
            top += 230
            poseStrip(
                &c, x: margin, y: top, w: width - 2 * margin, h: 190,
                title: "skeleton — normalised and resampled to \(processed.shape[1]) frames",
                skeleton: processed, bones: info.bones, yUp: yUp)
            top += 230
            trajectoryPanel(
                &c, x: margin, y: top, w: half, h: 250, title: "joint trajectories — raw (\(unit))",
                skeleton: raw, bones: info.bones, yUp: yUp)
            trajectoryPanel(
                &c, x: margin + half + 40, y: top, w: half, h: 250,
                title: "joint trajectories — preprocessed", skeleton: processed, bones: info.bones, yUp: yUp)
        }
        return c.render()
    }

    /// Channel indices grouped by sensor, in first-appearance order.
    static func sensorGroups(_ info: DatasetInfo) -> [(String, [Int])] {
        var groups = [(String, [Int])]()
        for (i, ch) in info.inertialChannels.enumerated() {
            if let g = groups.firstIndex(where: { $0.0 == ch.sensor }) {
                groups[g].1.append(i)
            } else {
                groups.append((ch.sensor, [i]))
            }
        }
        return groups
    }

    static func row(_ a: DataArray, _ r: Int) -> [Float] {
        Array(a.values[r * a.shape[1]..<(r + 1) * a.shape[1]])
    }

    static func describe(_ n: SkeletonNormalization) -> String {
        switch n {
        case .none: return "none"
        case .recenter(let c): return "recentre on joint \(c) at frame 0"
        case .recenterAndScale(let c, let a, let b): return "recentre on joint \(c), divide by |j\(a)−j\(b)| at frame 0"
        }
    }

    /// Whether +y points up in the data (Kinect v1) or down (Azure Kinect), from head vs feet.
    static func isYUp(_ s: DataArray, info: DatasetInfo) -> Bool {
        guard let names = info.jointNames, s.shape[0] >= 2,
            let head = names.firstIndex(where: { $0.contains("head") })
        else { return true }
        let feet = names.indices.filter { names[$0].contains("foot") || names[$0].contains("ankle") }
        guard !feet.isEmpty else { return true }
        let (T, J) = (s.shape[1], s.shape[2])
        func meanY(_ j: Int) -> Double { (0..<T).map { Double(s.values[(T + $0) * J + j]) }.reduce(0, +) / Double(T) }
        return meanY(head) > feet.map(meanY).reduce(0, +) / Double(feet.count)
    }

    static func linePanel(
        _ c: inout SVGCanvas, x: Double, y: Double, w: Double, h: Double, title: String,
        xs: [Double], series: [[Float]], names: [String], xLabel: String, yLabel: String
    ) {
        c.text(title, x: x, y: y + 12, size: 12, bold: true)
        let py = y + 20
        let ph = h - 20
        c.rect(x: x, y: py, w: w, h: ph)
        let all = series.flatMap { $0 }.map(Double.init)
        var lo = all.min() ?? 0
        var hi = all.max() ?? 1
        if hi - lo < 1e-12 {
            lo -= 1
            hi += 1
        }
        let pad = (hi - lo) * 0.05
        lo -= pad
        hi += pad
        let x0 = xs.first ?? 0
        let x1 = max(xs.last ?? 1, x0 + 1e-9)
        func sx(_ v: Double) -> Double { x + (v - x0) / (x1 - x0) * w }
        func sy(_ v: Double) -> Double { py + ph - (v - lo) / (hi - lo) * ph }
        for t in niceTicks(lo, hi, target: 4) {
            c.line(x, sy(t), x + w, sy(t), stroke: "#ddd", width: 0.5)
            c.text(tickLabel(t), x: x - 4, y: sy(t) + 4, size: 9, anchor: .end, color: "#555")
        }
        for t in niceTicks(x0, x1, target: 8) {
            c.line(sx(t), py + ph, sx(t), py + ph + 4, stroke: "#555", width: 0.5)
            c.text(tickLabel(t), x: sx(t), y: py + ph + 14, size: 9, anchor: .middle, color: "#555")
        }
        c.text(xLabel, x: x + w, y: py + ph + 26, size: 9, anchor: .end, color: "#555")
        c.text(yLabel, x: x - 40, y: py + ph / 2, size: 9, anchor: .middle, color: "#555", rotate: true)
        for (i, s) in series.enumerated() {
            let color = SVGCanvas.palette[i % SVGCanvas.palette.count]
            c.polyline(zip(xs, s).map { (sx($0), sy(Double($1))) }, stroke: color, width: 1)
            // Legend on the title row, right-aligned, so it never hides data.
            let lx = x + w - Double(series.count - i) * 92
            let ly = y + 12
            c.line(lx, ly - 4, lx + 14, ly - 4, stroke: color, width: 2)
            c.text(names[i], x: lx + 18, y: ly, size: 10)
        }
    }
}
