/// Bounds shared by the code that writes model bundles and the code that serves them, so that what
/// one accepts the other does too.
public enum Limits {
    /// Longest window a model may ask the daemon to cut (its ring buffers hold about 10 s at 50 Hz).
    public static let maxWindowSeconds = 60.0
}
