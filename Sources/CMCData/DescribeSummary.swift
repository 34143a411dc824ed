extension DescribeReport {
    /// A one-screen human summary (the full lists are in the JSON).
    public func summary(maxProblems: Int = 8) -> String {
        var lines = [String]()
        lines.append("\(dataset) — \(samples) samples from \(directory)")
        lines.append("subjects present: \(list(subjects.present))")
        lines.append("split '\(split.name)': train \(counts.train) · val \(counts.val) · test \(counts.test)"
                     + (counts.unassigned > 0 ? " · unassigned \(counts.unassigned)" : ""))
        for part in SplitName.allCases {
            let listed = split.subjects(part)
            let have = listed.filter(subjects.present.contains)
            let missing = subjects.absent[part.rawValue] ?? []
            lines.append("  \(part.rawValue.padded(to: 5)) subjects \(list(have))" + (missing.isEmpty ? "" : "   (absent: \(list(missing)))"))
        }
        for (name, stats) in lengths.sorted(by: { $0.key < $1.key }) {
            var line = "\(name.padded(to: 8)) length min \(stats.min) · median \(fixed(stats.median, 1)) · max \(stats.max)"
            if let rate = stats.rate {
                line += "  (≈ \(fixed(Double(stats.min) / rate, 1))–\(fixed(Double(stats.max) / rate, 1)) s at \(fixed(rate, 0)) Hz nominal)"
            }
            lines.append(line)
        }
        let perClass = classes.map { "\($0.index):\($0.name)=\($0.total)" }
        lines.append("classes (\(classes.count)): " + perClass.prefix(14).joined(separator: " ") + (perClass.count > 14 ? " …" : ""))
        if perClass.count > 14 { lines.append("  " + perClass.dropFirst(14).joined(separator: " ")) }
        let emptyClasses = classes.filter { $0.total == 0 }.map(\.name)
        if !emptyClasses.isEmpty { lines.append("classes with no samples: \(emptyClasses.joined(separator: ", "))") }
        if problems.isEmpty {
            lines.append("problems: none")
        } else {
            let kinds = problemCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("problems (\(problems.count)): \(kinds)")
            for p in problems.prefix(maxProblems) { lines.append("  \(p.description.truncated(150))") }
            if problems.count > maxProblems { lines.append("  … \(problems.count - maxProblems) more (see --json)") }
        }
        for note in notes { lines.append("note: \(note)") }
        for warning in warnings { lines.append("WARNING: \(warning)") }
        return lines.joined(separator: "\n")
    }

    private func list(_ xs: [Int]) -> String { xs.isEmpty ? "none" : xs.map(String.init).joined(separator: ",") }
}

extension String {
    func padded(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func truncated(_ n: Int) -> String { count <= n ? self : String(prefix(n - 1)) + "…" }
}
