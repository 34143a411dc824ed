extension DescribeReport {
    /// A one-screen human summary (the full lists are in the JSON).
    public func summary(examplesPerKind: Int = 3) -> String {
        var lines = [String]()
        lines.append("\(dataset) — \(samples) samples from \(directory)")
        lines.append("subjects present: \(list(subjects.present))")
        lines.append(
            "split '\(split.name)': train \(counts.train) · val \(counts.val) · test \(counts.test)"
                + (counts.unassigned > 0 ? " · unassigned \(counts.unassigned)" : ""))
        for part in SplitName.allCases {
            let listed = split.subjects(part)
            let have = listed.filter(subjects.present.contains)
            let missing = subjects.absent[part.rawValue] ?? []
            lines.append(
                "  \(part.rawValue.padded(to: 5)) subjects \(list(have))"
                    + (missing.isEmpty ? "" : "   (absent: \(list(missing)))"))
        }
        for (name, stats) in lengths.sorted(by: { $0.key < $1.key }) {
            var line =
                "\(name.padded(to: 8)) length min \(stats.min) · median \(fixed(stats.median, 1)) · max \(stats.max)"
            if let rate = stats.rate {
                line +=
                    "  (≈ \(fixed(Double(stats.min) / rate, 1))–\(fixed(Double(stats.max) / rate, 1)) s at \(fixed(rate, 0)) Hz nominal)"
            }
            lines.append(line)
        }
        let perClass = classes.map { "\($0.index):\($0.name)=\($0.total)" }
        lines.append(contentsOf: wrap("classes (\(classes.count)):", perClass, width: 110))
        let emptyClasses = classes.filter { $0.total == 0 }.map(\.name)
        if !emptyClasses.isEmpty { lines.append("classes with no samples: \(emptyClasses.joined(separator: ", "))") }
        if problems.isEmpty {
            lines.append("problems: none")
        } else {
            let kinds = problemCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("problems (\(problems.count)): \(kinds)")
            // A few examples of each kind, so one noisy kind does not hide the others.
            for kind in DataProblem.Kind.allCases {
                let ofKind = problems.filter { $0.kind == kind }
                for p in ofKind.prefix(examplesPerKind) { lines.append("  \(p.description.truncated(150))") }
                if ofKind.count > examplesPerKind {
                    lines.append("  … \(ofKind.count - examplesPerKind) more \(kind.rawValue) (see --json)")
                }
            }
        }
        for note in notes { lines.append("note: \(note)") }
        for warning in warnings { lines.append("WARNING: \(warning)") }
        return lines.joined(separator: "\n")
    }

    /// Greedy word wrap of `items` after `head`, continuation lines indented.
    private func wrap(_ head: String, _ items: [String], width: Int) -> [String] {
        var out = [String]()
        var line = head
        for item in items {
            if line.count + 1 + item.count > width && line != head {
                out.append(line)
                line = "  " + item
            } else {
                line += " " + item
            }
        }
        out.append(line)
        return out
    }

    private func list(_ xs: [Int]) -> String { xs.isEmpty ? "none" : xs.map(String.init).joined(separator: ",") }
}

extension String {
    func padded(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func truncated(_ n: Int) -> String { count <= n ? self : String(prefix(n - 1)) + "…" }
}
