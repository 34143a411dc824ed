import Foundation

/// Accuracy, macro-averaged precision / recall / F1 and the confusion matrix of a set of predictions.
///
/// Macro averages run over the classes that occur in the targets or the predictions (a class with no
/// true positives, false positives or false negatives has no defined F1 and is left out, as
/// torchmetrics does); `classCount` fixes the confusion matrix size.
public struct ClassificationMetrics: Codable, Sendable, Equatable {
    public var accuracy: Double
    public var macro_f1: Double
    public var macro_precision: Double
    public var macro_recall: Double
    public var count: Int
    /// confusion[t][p]: samples of true class t predicted as p.
    public var confusion: [[Int]]

    public init(predictions: [Int], targets: [Int], classCount: Int) {
        precondition(
            predictions.count == targets.count, "\(predictions.count) predictions for \(targets.count) targets")
        var cm = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (p, t) in zip(predictions, targets) where (0..<classCount).contains(p) && (0..<classCount).contains(t) {
            cm[t][p] += 1
        }
        confusion = cm
        count = targets.count
        let correct = zip(predictions, targets).filter { $0 == $1 }.count
        accuracy = count == 0 ? 0 : Double(correct) / Double(count)
        var f1s: [Double] = []
        var precisions: [Double] = []
        var recalls: [Double] = []
        for c in 0..<classCount {
            let tp = Double(cm[c][c])
            let fp = Double((0..<classCount).reduce(0) { $0 + ($1 == c ? 0 : cm[$1][c]) })
            let fn = Double((0..<classCount).reduce(0) { $0 + ($1 == c ? 0 : cm[c][$1]) })
            guard tp + fp + fn > 0 else { continue }
            let precision = tp + fp > 0 ? tp / (tp + fp) : 0
            let recall = tp + fn > 0 ? tp / (tp + fn) : 0
            precisions.append(precision)
            recalls.append(recall)
            f1s.append(precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0)
        }
        func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
        macro_f1 = mean(f1s)
        macro_precision = mean(precisions)
        macro_recall = mean(recalls)
    }

    /// The confusion matrix as CSV with a header row and a label column.
    public func confusionCSV(classNames: [String]) -> String {
        var s = "true\\predicted," + classNames.joined(separator: ",") + "\n"
        for (i, row) in confusion.enumerated() {
            s +=
                (i < classNames.count ? classNames[i] : "\(i)") + "," + row.map(String.init).joined(separator: ",")
                + "\n"
        }
        return s
    }
}
