import CMCSafeTensors
import CMCTensor
import Foundation

/// `SafeTensors.decode`: the header length, the JSON header, dtypes, shapes and data offsets.
enum SafeTensorsTarget: FuzzTarget {
    static let name = "safetensors"

    static func run(_ bytes: [UInt8]) -> String? {
        guard let file = try? SafeTensors.decode(Data(bytes), source: "fuzz") else { return nil }
        return check(file)
    }

    /// Shapes must account for exactly the values held, and re-encoding must give the same tensors
    /// back (F16 inputs are widened on read, so the F32 re-encoding is lossless).
    static func check(_ file: SafeTensors.File) -> String? {
        for (name, t) in file.tensors {
            guard let count = checkedProduct(t.shape), count == t.storage.count else {
                return "tensor \"\(name)\" has shape \(t.shape) but \(t.storage.count) values"
            }
        }
        guard let back = try? SafeTensors.decode(SafeTensors.encode(file), source: "re-encoded") else {
            return "re-encoded file does not decode"
        }
        guard back.metadata == file.metadata, back.tensors.keys.sorted() == file.tensors.keys.sorted() else {
            return "re-encoding changed the names or metadata"
        }
        for (name, t) in file.tensors {
            let u = back.tensors[name]!
            if u.shape != t.shape || u.storage.map(\.bitPattern) != t.storage.map(\.bitPattern) {
                return "re-encoding changed tensor \"\(name)\""
            }
        }
        return nil
    }

    static func seeds() -> [[UInt8]] {
        let a = Tensor(shape: [2, 3], storage: [1, -2, 0.5, .infinity, -0.0, 3e-8])
        let b = Tensor(shape: [4], storage: [1, 2, 3, 4])
        let s = Tensor(scalar: 7)
        let e = Tensor(shape: [0, 5], storage: [])
        return [
            [UInt8](SafeTensors.encode(SafeTensors.File(tensors: ["a": a, "b": b], metadata: ["k": "v"]))),
            [UInt8](
                SafeTensors.encode(SafeTensors.File(tensors: ["w.weight": a, "scalar": s, "empty": e]), dtype: .f16)),
            [UInt8](SafeTensors.encode(SafeTensors.File(tensors: [:]))),
        ]
    }
}
