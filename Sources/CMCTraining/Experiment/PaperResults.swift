/// The reference figures of method.md §7 (UTD-MHAD test accuracy, subjects 2, 4, 6, 8), shown next
/// to ours in summaries.
public enum PaperResults {
    public static let utdMHADTestAccuracy: [String: Double] = [
        "simclr-inertial": 0.7209, "simclr-skeleton": 0.9511, "cmc": 0.9604, "cmc-cmkm": 0.9767, "supervised": 0.9721,
        "supervised-inertial": 0.7674, "supervised-skeleton": 0.9465,
    ]
}
