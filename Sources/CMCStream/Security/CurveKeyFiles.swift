import Foundation

/// A key or allow-list file that cannot be used. The message names the file and the problem, never
/// the file's contents (a secret key pasted into the wrong file must not end up in a log).
public struct CurveKeyError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: String
    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(path): \(problem)" }
}

/// Key files: Z85 text, one key per file, `#` comment lines allowed (the czmq naming convention:
/// `NAME.key` public, `NAME.key_secret` secret). Secret key files must be private to their owner.
public enum CurveKeyFiles {
    public static let publicSuffix = ".key"
    public static let secretSuffix = ".key_secret"

    /// Generates a key pair and writes `BASE.key` (mode 0644) and `BASE.key_secret` (mode 0600).
    /// Refuses to overwrite either file: replacing a key is a deliberate act (peers must be told).
    @discardableResult
    public static func generate(base: String) throws -> (pair: CurveKeyPair, publicPath: String, secretPath: String) {
        let pair = try CurveKeys.generate()
        let publicPath = base + publicSuffix
        let secretPath = base + secretSuffix
        for path in [publicPath, secretPath] where FileManager.default.fileExists(atPath: path) {
            throw CurveKeyError(path, "already exists; remove it first or choose another name")
        }
        try write(
            secretPath, mode: 0o600,
            "# cmc CURVE secret key (Z85). Keep it private: mode 0600, refer to it by path only.\n"
                + pair.secretKey.fileText + "\n")
        try write(
            publicPath, mode: 0o644,
            "# cmc CURVE public key (Z85). Add it to the allow-lists of the peers that must accept it.\n"
                + pair.publicKey.z85 + "\n")
        return (pair, publicPath, secretPath)
    }

    /// Reads a secret key file, refusing one that group or others may access: a key that others
    /// could read is no longer secret, and silently using it would hide that.
    public static func readSecret(path: String) throws -> CurveKeyPair {
        guard CurveKeys.isAvailable else { throw CurveKeyError(path, "this libzmq was built without CURVE support") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CurveKeyError(path, "cannot open the secret key file: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        // fstat on the opened file: the mode checked is the mode of what is read (no race with a rename).
        guard fstat(fd, &info) == 0 else {
            throw CurveKeyError(path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw CurveKeyError(path, "not a regular file") }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw CurveKeyError(
                path,
                "secret key file is accessible by group or others (mode \(String(mode, radix: 8))); "
                    + "refusing to use it: chmod 600 it")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= 65536 {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        if path.hasSuffix(publicSuffix) { throw CurveKeyError(path, publicGivenAsSecret) }
        return try parseSecret(String(decoding: bytes, as: UTF8.self), source: path)
    }

    /// The key pair of a secret key file's text (`source` names it in errors, which never quote the text).
    public static func parseSecret(_ text: String, source: String) throws -> CurveKeyPair {
        guard CurveKeys.isAvailable else { throw CurveKeyError(source, "this libzmq was built without CURVE support") }
        // A public key is 40 Z85 characters too: without this check a public key file (chmod 600 to get
        // past the mode check) would be taken for the secret, and every handshake would fail unexplained.
        if says(text, "public key") { throw CurveKeyError(source, publicGivenAsSecret) }
        guard let line = keyLine(text), let secret = CurveSecretKey(z85: line) else {
            throw CurveKeyError(source, "does not hold a Z85 CURVE secret key (40 characters)")
        }
        return CurveKeyPair(secretKey: secret)
    }

    private static let publicGivenAsSecret = "is a public key file; give the secret key file (NAME\(secretSuffix)) here"
    private static let secretGivenAsPublic =
        "is a secret key file; give the public key (NAME\(publicSuffix)) here, never the secret one"

    /// A public key given as the path of a public key file or as its Z85 text. An existing file wins:
    /// a 40-character path made of Z85 characters (`/tmp/…/proxy.key` can be one) is a valid Z85 string.
    public static func readPublic(_ keyOrPath: String) throws -> CurvePublicKey {
        if !FileManager.default.fileExists(atPath: keyOrPath), let key = CurvePublicKey(z85: keyOrPath) { return key }
        guard let data = FileManager.default.contents(atPath: keyOrPath) else {
            throw CurveKeyError(keyOrPath, "neither a Z85 public key (40 characters) nor a readable key file")
        }
        if keyOrPath.hasSuffix(secretSuffix) { throw CurveKeyError(keyOrPath, secretGivenAsPublic) }
        return try parsePublic(String(decoding: data, as: UTF8.self), source: keyOrPath)
    }

    /// The public key of a public key file's text (`source` names it in errors).
    public static func parsePublic(_ text: String, source: String) throws -> CurvePublicKey {
        // A secret key where a public one belongs would be handed to peers and allow-lists: refuse it.
        if says(text, "secret key") { throw CurveKeyError(source, secretGivenAsPublic) }
        guard let line = keyLine(text), let key = CurvePublicKey(z85: line) else {
            throw CurveKeyError(source, "does not hold a Z85 CURVE public key (40 characters)")
        }
        return key
    }

    /// Whether a `#` comment line of a key file says `phrase` (the files `generate` writes name their kind).
    static func says(_ text: String, _ phrase: String) -> Bool {
        text.split(whereSeparator: \.isNewline).contains { $0.hasPrefix("#") && $0.lowercased().contains(phrase) }
    }

    /// The first line that is neither blank nor a `#` comment, trimmed.
    static func keyLine(_ text: String) -> String? {
        text.split(whereSeparator: \.isNewline).lazy.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    private static func write(_ path: String, mode: mode_t, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CurveKeyError(path, "cannot create: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // The umask may only narrow the mode; fchmod makes it exact (a 0644 public key stays readable).
        guard fchmod(fd, mode) == 0 else {
            throw CurveKeyError(path, "cannot set mode: \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw CurveKeyError(path, "cannot write: \(String(cString: strerror(errno)))") }
            offset += n
        }
        guard fsync(fd) == 0 else { throw CurveKeyError(path, "cannot fsync: \(String(cString: strerror(errno)))") }
    }
}
