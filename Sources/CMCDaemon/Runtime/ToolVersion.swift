import CMCModel

/// What `--version` prints on every cmc executable: the release, the model-bundle format it reads and
/// writes, and the wire protocol it speaks (docs/protocol.md).
public enum ToolVersion {
    public static let text =
        "cmc \(CMCVersion.string) (commit \(buildCommit), model bundle format \(BundleMetadata.currentVersion), "
        + "wire protocol 1 revision 2)"
    /// The git commit the executables were built from (`unknown` outside a checkout; `-modified` with local changes).
    public static let commit = buildCommit
}
