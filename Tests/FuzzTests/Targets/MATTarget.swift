import CMCData
import Foundation

/// The MAT v5 reader (`MATFile(bytes:source:)`, `array(named:)`, `rowMajor()`) and the UTD-MHAD
/// readers on top of it, which reinterpret `d_iner`/`d_skel` dimensions and index the values.
enum MATTarget: FuzzTarget {
    static let name = "mat"

    static func run(_ bytes: [UInt8]) -> String? {
        guard let mat = try? MATFile(bytes: bytes, source: "fuzz") else { return nil }
        for variable in mat.variables {
            guard case .numeric(let array) = variable.content else { continue }
            if let problem = check(array) { return "variable '\(variable.name)': \(problem)" }
        }
        _ = try? mat.array(named: nil)
        // The dataset readers only take paths; exercise them when the file has their variable.
        let names = Set(mat.variables.map(\.name))
        if names.contains("d_iner") || names.contains("d_skel"), let path = ScratchFile.write(bytes, tag: "utd.mat") {
            defer { try? FileManager.default.removeItem(atPath: path) }
            if let a = try? UTDMHAD.readInertial(path: path),
                a.shape.count != 2 || checkedProduct(a.shape) != a.values.count
            {
                return "readInertial returned shape \(a.shape) with \(a.values.count) values"
            }
            if let a = try? UTDMHAD.readSkeleton(path: path),
                a.shape.count != 3 || checkedProduct(a.shape) != a.values.count
            {
                return "readSkeleton returned shape \(a.shape) with \(a.values.count) values"
            }
        }
        return nil
    }

    static func check(_ array: MATArray) -> String? {
        guard array.dimensions.count >= 2 else { return "rank \(array.dimensions.count) < 2" }
        guard let count = checkedProduct(array.dimensions), count == array.values.count else {
            return "dimensions \(array.dimensions) but \(array.values.count) values"
        }
        let rm = array.rowMajor()
        guard rm.shape == array.dimensions, rm.values.count == count else { return "rowMajor() changed the shape" }
        // rowMajor is a transpose: the same multiset of values (compared as Float, as it stores them).
        if count <= 4096, rm.values.map(\.bitPattern).sorted() != array.values.map({ Float($0).bitPattern }).sorted() {
            return "rowMajor() lost or invented values"
        }
        return nil
    }

    /// Hand-built little- and big-endian files (the committed corpus adds scipy-written ones).
    static func seeds() -> [[UInt8]] {
        [
            MATWriter(bigEndian: false).file(name: "d_iner", dims: [3, 6], values: (0..<18).map(Double.init)),
            MATWriter(bigEndian: true).file(
                name: "d_skel", dims: [20, 3, 2], values: (0..<120).map { Double($0) / 8 }),
            MATWriter(bigEndian: false).file(name: "x", dims: [0, 0], values: []),
        ]
    }
}

/// Minimal MAT v5 writer for seeds: one uncompressed double matrix.
struct MATWriter {
    var bigEndian: Bool

    func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init) }
    func u16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init) }
    func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian, Array.init) }

    func element(_ type: UInt32, _ payload: [UInt8]) -> [UInt8] {
        u32(type) + u32(UInt32(payload.count)) + payload + [UInt8](repeating: 0, count: (8 - payload.count % 8) % 8)
    }

    func file(name: String, dims: [Int32], values: [Double]) -> [UInt8] {
        var header = Array("MATLAB 5.0 MAT-file, Platform: cmc fuzz seed".utf8)
        header += [UInt8](repeating: 0x20, count: 116 - header.count) + [UInt8](repeating: 0, count: 8)
        header += u16(0x0100) + (bigEndian ? Array("MI".utf8) : Array("IM".utf8))
        let body =
            element(6, u32(6) + u32(0)) // array flags: mxDOUBLE_CLASS
            + element(5, dims.flatMap { u32(UInt32(bitPattern: $0)) }) // dimensions
            + element(1, Array(name.utf8)) // name
            + element(9, values.flatMap { u64($0.bitPattern) }) // real part, miDOUBLE
        return header + element(14, body)
    }
}
