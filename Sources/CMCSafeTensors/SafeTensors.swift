import CMCTensor
import Foundation

/// Reading and writing the safetensors format: an 8-byte little-endian header length N, N bytes of
/// JSON (`{name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}`), then the data.
/// F32 and F16 tensors are supported (F16 is widened to Float32 on read); everything a file claims is
/// checked before it is trusted, and each problem is reported with the file and tensor it concerns.
public enum SafeTensors {
    public enum DType: String, Sendable { case f32 = "F32", f16 = "F16" }

    public struct File: Sendable {
        public var tensors: [String: Tensor]
        public var metadata: [String: String]
        public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }
    }

    public struct FormatError: Error, CustomStringConvertible {
        public let source: String, reason: String
        public init(source: String, reason: String) {
            self.source = source
            self.reason = reason
        }
        public var description: String { "\(source): not a valid safetensors file: \(reason)" }
    }

    // MARK: Writing

    /// Serialises tensors (sorted by name) with the given storage type.
    public static func encode(_ file: File, dtype: DType = .f32) -> Data {
        let names = file.tensors.keys.sorted()
        var header: [String: Any] = [:]
        var offset = 0
        let width = dtype == .f32 ? 4 : 2
        for name in names {
            let t = file.tensors[name]!
            header[name] = [
                "dtype": dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + t.count * width],
            ]
            offset += t.count * width
        }
        if !file.metadata.isEmpty { header["__metadata__"] = file.metadata }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while json.count % 8 != 0 { json.append(0x20) } // pad so the data section is 8-byte aligned
        var out = Data(capacity: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            let t = file.tensors[name]!
            switch dtype {
            case .f32:
                t.storage.withUnsafeBufferPointer { p in
                    // Float32 is little-endian on every platform cmc runs on.
                    out.append(
                        UnsafeBufferPointer(
                            start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self),
                            count: p.count * 4))
                }
            case .f16:
                var half = [UInt16](repeating: 0, count: t.count)
                for i in half.indices { half[i] = Float16(t.storage[i]).bitPattern.littleEndian }
                half.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Writes atomically (temporary file, then rename), so a reader never sees a half-written file.
    public static func write(_ file: File, to url: URL, dtype: DType = .f32) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        try encode(file, dtype: dtype).write(to: tmp)
        // POSIX rename replaces the destination atomically.
        guard rename(tmp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw FormatError(source: url.path, reason: "cannot write: \(reason)")
        }
    }

    // MARK: Reading

    public static func read(_ url: URL) throws -> File {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw FormatError(source: url.path, reason: "cannot read (\(error.localizedDescription))")
        }
        return try decode(data, source: url.path)
    }

    public static func decode(_ data: Data, source: String = "<memory>") throws -> File {
        func fail(_ r: String) -> FormatError { FormatError(source: source, reason: r) }
        guard data.count >= 8 else { throw fail("only \(data.count) bytes, shorter than the 8-byte header length") }
        let n = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(data.count - 8) else {
            throw fail("header length \(n) exceeds the \(data.count - 8) bytes that follow (truncated?)")
        }
        let headerData = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + Int(n)))
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let base = data.startIndex + 8 + Int(n)
        let dataLength = data.count - 8 - Int(n)
        var metadata: [String: String] = [:]
        if let meta = header["__metadata__"] {
            guard let m = meta as? [String: Any] else { throw fail("__metadata__ is not an object") }
            for (k, v) in m {
                guard let s = v as? String else { throw fail("__metadata__ value for \"\(k)\" is not a string") }
                metadata[k] = s
            }
        }
        var tensors: [String: Tensor] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, entry) in header where name != "__metadata__" {
            guard let e = entry as? [String: Any] else { throw fail("entry \"\(name)\" is not an object") }
            guard let dt = e["dtype"] as? String else { throw fail("tensor \"\(name)\" has no dtype") }
            guard let dtype = DType(rawValue: dt) else {
                throw fail("tensor \"\(name)\" has unsupported dtype \(dt) (F32, F16 are read)")
            }
            guard let shapeAny = e["shape"] as? [Any],
                let shape = shapeAny.map({ ($0 as? NSNumber)?.intValue }) as? [Int],
                shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 })
            else { throw fail("tensor \"\(name)\" has an invalid shape") }
            guard let offAny = e["data_offsets"] as? [Any], offAny.count == 2,
                let begin = (offAny[0] as? NSNumber)?.intValue, let end = (offAny[1] as? NSNumber)?.intValue,
                begin >= 0, end >= begin, end <= dataLength
            else {
                throw fail("tensor \"\(name)\" has data_offsets outside the \(dataLength)-byte data section")
            }
            // Checked products: a wrapped count (e.g. shape [2^30, 2^30, 16] wraps to 0) would match the
            // data offsets and then trap in Tensor.init, or go negative and trap in the allocation.
            let width = dtype == .f32 ? 4 : 2
            var count = 1
            var countOverflow = false
            for d in shape {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                count = p
                countOverflow = countOverflow || o
            }
            let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: width)
            guard !countOverflow, !byteOverflow else { throw fail("tensor \"\(name)\" of shape \(shape) is too large") }
            guard byteCount == end - begin else {
                throw fail(
                    "tensor \"\(name)\" of shape \(shape) needs \(byteCount) bytes, data_offsets give \(end - begin)")
            }
            ranges.append((begin, end, name))
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                let p = raw.baseAddress! + (base - data.startIndex) + begin
                switch dtype {
                case .f32:
                    values.withUnsafeMutableBytes {
                        $0.copyMemory(from: UnsafeRawBufferPointer(start: p, count: count * 4))
                    }
                case .f16:
                    for i in 0..<count {
                        let bits =
                            UInt16(p.load(fromByteOffset: 2 * i, as: UInt8.self))
                            | UInt16(p.load(fromByteOffset: 2 * i + 1, as: UInt8.self)) << 8
                        values[i] = Float(Float16(bitPattern: bits))
                    }
                }
            }
            tensors[name] = Tensor(shape: shape, storage: values)
        }
        // Ties on the start offset put empty tensors first: an empty tensor may share its offset with
        // the next tensor (the encoder writes that), and sorting on the start alone made acceptance
        // depend on dictionary order.
        ranges.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var cursor = 0
        for (b, e, name) in ranges {
            guard b == cursor else {
                throw fail(
                    b < cursor
                        ? "tensor \"\(name)\" overlaps another tensor"
                        : "gap before tensor \"\(name)\" in the data section")
            }
            cursor = e
        }
        guard cursor == dataLength else {
            throw fail("\(dataLength - cursor) trailing bytes not covered by any tensor")
        }
        return File(tensors: tensors, metadata: metadata)
    }
}
