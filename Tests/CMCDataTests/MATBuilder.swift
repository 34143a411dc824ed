import Foundation

/// Writes MAT v5 files byte by byte, so reader tests control every tag, padding and length.
struct MATBuilder {
    var bigEndian = false

    func u16(_ v: UInt16) -> [UInt8] {
        bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)]
    }
    func u32(_ v: UInt32) -> [UInt8] {
        let le = (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) }
        return bigEndian ? le.reversed() : le
    }
    func u64(_ v: UInt64) -> [UInt8] {
        let le = (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) }
        return bigEndian ? le.reversed() : le
    }
    func doubles(_ xs: [Double]) -> [UInt8] { xs.flatMap { u64($0.bitPattern) } }
    func singles(_ xs: [Float]) -> [UInt8] { xs.flatMap { u32($0.bitPattern) } }
    func int16s(_ xs: [Int16]) -> [UInt8] { xs.flatMap { u16(UInt16(bitPattern: $0)) } }

    /// 116 bytes of text, 8 bytes subsystem offset, version, endian indicator.
    func header(text: String = "MATLAB 5.0 MAT-file, Platform: cmc tests", version: UInt16 = 0x0100) -> [UInt8] {
        var h = Array(text.utf8.prefix(116))
        h += [UInt8](repeating: 0x20, count: 116 - h.count)
        h += [UInt8](repeating: 0, count: 8)
        h += u16(version)
        h += bigEndian ? Array("MI".utf8) : Array("IM".utf8)
        return h
    }

    /// A data element: normal 8-byte tag + payload padded to 8, or the packed small form.
    func element(type: UInt32, _ payload: [UInt8], small: Bool = false) -> [UInt8] {
        if small {
            precondition(payload.count <= 4)
            return u32(UInt32(payload.count) << 16 | type) + payload + [UInt8](repeating: 0, count: 4 - payload.count)
        }
        let pad = (8 - payload.count % 8) % 8
        return u32(type) + u32(UInt32(payload.count)) + payload + [UInt8](repeating: 0, count: pad)
    }

    /// A complete `miMATRIX` element.
    func matrix(
        name: String, classCode: UInt8, dims: [Int32], dataType: UInt32, data: [UInt8],
        flagBits: UInt32 = 0, smallName: Bool = false, smallData: Bool = false
    ) -> [UInt8] {
        var body = element(type: 6, u32(flagBits << 8 | UInt32(classCode)) + u32(0))
        body += element(type: 5, dims.flatMap { u32(UInt32(bitPattern: $0)) })
        body += element(type: 1, Array(name.utf8), small: smallName)
        body += element(type: dataType, data, small: smallData)
        return element(type: 14, body)
    }

    /// A double matrix from column-major values.
    func doubleMatrix(_ name: String, dims: [Int32], _ values: [Double]) -> [UInt8] {
        matrix(name: name, classCode: 6, dims: dims, dataType: 9, data: doubles(values))
    }

    /// Wraps an element in `miCOMPRESSED` (a valid zlib stream made of stored deflate blocks).
    func compressed(_ element: [UInt8]) -> [UInt8] {
        let z = zlibStored(element)
        return u32(15) + u32(UInt32(z.count)) + z
    }

    func file(_ elements: [[UInt8]]) -> [UInt8] { header() + elements.flatMap { $0 } }
}

/// RFC 1950 stream holding `data` in uncompressed (stored) deflate blocks.
func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var chunks = stride(from: 0, to: data.count, by: 65_535).map { Array(data[$0..<min($0 + 65_535, data.count)]) }
    if chunks.isEmpty { chunks = [[]] }
    for (i, chunk) in chunks.enumerated() {
        let len = UInt16(chunk.count)
        let nlen = ~len
        out += [
            i == chunks.count - 1 ? 1 : 0, UInt8(len & 0xFF), UInt8(len >> 8), UInt8(nlen & 0xFF), UInt8(nlen >> 8),
        ]
        out += chunk
    }
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in data {
        a = (a + UInt32(byte)) % 65_521
        b = (b + a) % 65_521
    }
    let adler = b << 16 | a
    return out + [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
}

/// A fresh temporary directory, removed by the caller's `addTeardownBlock`.
func makeTempDirectory(_ name: String = "cmc-data-tests") throws -> String {
    let dir = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent,
        withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func writeText(_ path: String, _ text: String) throws { try writeFile(path, Array(text.utf8)) }
