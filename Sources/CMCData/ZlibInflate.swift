import CZlib

/// Inflates a zlib (RFC 1950) stream, as found in MAT v5 `miCOMPRESSED` elements.
///
/// `uncompress()` needs the output size up front, which MAT files do not record, so this streams
/// through `inflate()` with a growing buffer. `limit` bounds the output so a corrupt or hostile
/// length cannot exhaust memory.
func zlibInflate(_ input: ArraySlice<UInt8>, file: String, limit: Int = 1 << 30) throws -> [UInt8] {
    var stream = z_stream()
    // `inflateInit` is a C macro; Swift sees only the underlying function.
    let initStatus = inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard initStatus == Z_OK else {
        throw DataError.malformed(file: file, reason: "zlib init failed (\(initStatus))")
    }
    defer { inflateEnd(&stream) }

    var output = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: max(4096, min(input.count * 4, 1 << 24)))
    let chunkSize = chunk.count
    var status: Int32 = Z_OK
    try input.withUnsafeBufferPointer { inBuf in
        // zlib never writes through next_in; the mutable cast is what its C signature demands.
        stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
        stream.avail_in = UInt32(inBuf.count)
        repeat {
            status = chunk.withUnsafeMutableBufferPointer { outBuf -> Int32 in
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(chunkSize)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunkSize - Int(stream.avail_out)
            output.append(contentsOf: chunk[0..<produced])
            if output.count > limit {
                throw DataError.malformed(file: file, reason: "compressed element inflates beyond \(limit) bytes")
            }
            switch status {
            case Z_OK, Z_STREAM_END:
                break
            case Z_BUF_ERROR where produced > 0:
                break
            case Z_BUF_ERROR:
                throw DataError.malformed(file: file, reason: "truncated zlib stream")
            default:
                let msg = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                throw DataError.malformed(file: file, reason: "zlib error: \(msg)")
            }
            // Input exhausted without the end marker: the stream was cut short.
            if status != Z_STREAM_END && stream.avail_in == 0 && produced < chunkSize {
                throw DataError.malformed(file: file, reason: "truncated zlib stream")
            }
        } while status != Z_STREAM_END
    }
    return output
}
