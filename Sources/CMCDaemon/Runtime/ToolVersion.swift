import CMCModel

/// What `--version` prints on every cmc executable: the release, the model-bundle format it reads and
/// writes, and the wire protocol it speaks (docs/protocol.md).
public enum ToolVersion {
    public static let text = "cmc \(CMCVersion.string) (model bundle format \(BundleMetadata.currentVersion), wire protocol 1 revision 2)"
}
