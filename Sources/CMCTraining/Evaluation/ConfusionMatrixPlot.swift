import Foundation

/// Draws a confusion matrix as an SVG heat map: rows are true classes, columns predictions, each cell
/// shaded by its share of the row (recall) and labelled with its count.
public enum ConfusionMatrixPlot {
    public static func svg(_ metrics: ClassificationMetrics, classNames: [String], title: String) -> String {
        let n = metrics.confusion.count
        let cell = n > 20 ? 22.0 : 30.0
        let left = 150.0
        let top = 150.0
        let width = left + cell * Double(n) + 40
        let height = top + cell * Double(n) + 60
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(width / 2))" y="24" text-anchor="middle" font-size="16">\(esc(title))</text>
            <text x="\(Int(width / 2))" y="44" text-anchor="middle" font-size="12">accuracy \(String(format: "%.2f", metrics.accuracy * 100)) %, macro-F1 \(String(format: "%.2f", metrics.macro_f1 * 100)) %, n = \(metrics.count)</text>
            <text x="\(Int(left + cell * Double(n) / 2))" y="\(Int(height - 12))" text-anchor="middle" font-size="12">predicted</text>
            <text x="14" y="\(Int(top + cell * Double(n) / 2))" font-size="12" transform="rotate(-90 14 \(Int(top + cell * Double(n) / 2)))" text-anchor="middle">true</text>

            """
        for i in 0..<n {
            let name = esc(i < classNames.count ? classNames[i] : "\(i)")
            let y = top + cell * Double(i) + cell * 0.65
            s += "<text x=\"\(Int(left - 6))\" y=\"\(Int(y))\" text-anchor=\"end\" font-size=\"11\">\(name)</text>\n"
            let x = left + cell * Double(i) + cell * 0.6
            s +=
                "<text x=\"\(Int(x))\" y=\"\(Int(top - 6))\" font-size=\"11\" transform=\"rotate(-60 \(Int(x)) \(Int(top - 6)))\">\(name)</text>\n"
        }
        for (t, row) in metrics.confusion.enumerated() {
            let total = max(row.reduce(0, +), 1)
            for (p, c) in row.enumerated() {
                let share = Double(c) / Double(total)
                let shade = Int(255 - share * 200)
                let color = t == p ? "rgb(\(shade),\(min(255, shade + 40)),255)" : "rgb(255,\(shade),\(shade))"
                let x = left + cell * Double(p)
                let y = top + cell * Double(t)
                s +=
                    "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(c == 0 ? "white" : color)\" stroke=\"#ddd\"/>\n"
                if c > 0 {
                    s +=
                        "<text x=\"\(x + cell / 2)\" y=\"\(y + cell * 0.65)\" text-anchor=\"middle\" font-size=\"10\">\(c)</text>\n"
                }
            }
        }
        return s + "</svg>\n"
    }
}
