import CZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// A CURVE public key (Curve25519), held as its 40-character Z85 text. Public keys identify peers:
/// they may be logged, listed in allow-lists and passed on command lines.
public struct CurvePublicKey: Sendable, Hashable, CustomStringConvertible {
    public let z85: String

    /// Accepts exactly 40 Z85 characters that decode to 32 bytes.
    public init?(z85 text: String) {
        guard CurveKeys.isZ85Key(text) else { return nil }
        z85 = text
    }

    /// From the 32 raw bytes a ZAP request carries.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&text, bytes, 32) != nil else { return nil }
        z85 = CurveKeys.text(text)
    }

    /// The 32 raw bytes (as a ZAP request carries them).
    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = zmq_z85_decode(&out, z85)
        return out
    }

    public var description: String { z85 }
}

/// A CURVE secret key. Its text is deliberately hard to print: `description`, `debugDescription` and
/// reflection (`dump`, `print` of a containing struct) show a placeholder, so interpolating a key
/// pair into a log line or an error can never leak it. Only `ZMQSocket`'s CURVE setup reads it.
public struct CurveSecretKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    let z85: String

    /// Nil unless `text` is a Z85 key and libzmq has CURVE (without it no public key can be derived).
    public init?(z85 text: String) {
        guard CurveKeys.isAvailable, CurveKeys.isZ85Key(text) else { return nil }
        z85 = text
    }

    public var description: String { "<CURVE secret key>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// The public key that belongs to this secret key (`zmq_curve_public`).
    public var publicKey: CurvePublicKey {
        var out = [CChar](repeating: 0, count: 41)
        // Cannot fail: init checked the Z85 text and that libzmq has CURVE.
        _ = zmq_curve_public(&out, z85)
        return CurvePublicKey(z85: CurveKeys.text(out))!
    }

    /// The Z85 text, for writing the key file only (`CurveKeyFiles.write`).
    var fileText: String { z85 }
}

/// A process's own key pair: the secret never leaves it, the public key is handed to peers.
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: CurvePublicKey
    public let secretKey: CurveSecretKey

    /// The pair of `secret` (the public half is derived, so the two cannot disagree).
    public init(secretKey: CurveSecretKey) {
        self.secretKey = secretKey
        publicKey = secretKey.publicKey
    }
}

public enum CurveKeys {
    /// Whether this libzmq was built with CURVE (Debian's is, through libsodium).
    public static var isAvailable: Bool { zmq_has("curve") != 0 }

    /// A fresh key pair from libzmq's generator (libsodium's CSPRNG).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        guard isAvailable else {
            throw ZMQError(code: ENOTSUP, operation: "curve_keypair: libzmq was built without CURVE")
        }
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQError.last("curve_keypair") }
        return CurveKeyPair(secretKey: CurveSecretKey(z85: text(sec))!)
    }

    /// The 85 characters of ZeroMQ's Z85 alphabet (RFC 32).
    static let alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// The text of a NUL-terminated C buffer filled by libzmq.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func isZ85Key(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 40, bytes.allSatisfy(alphabet.contains) else { return false }
        var out = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&out, text) != nil
    }
}
