import Foundation
import CMCCore

/// A dense, row-major (C-contiguous) Float32 array with a shape.
///
/// `Tensor` is a value type: its storage is a Swift array, so copies are cheap until written
/// (copy-on-write). Every kernel in cmc works on contiguous tensors; layout changes such as
/// `permuted` materialise a new contiguous tensor, which keeps kernels simple and BLAS-friendly.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(
            shape.reduce(1, *) == storage.count,
            "shape \(shape) needs \(shape.reduce(1, *)) values, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, storage: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A rank-0 tensor.
    public init(scalar: Float) { self.init(shape: [], storage: [scalar]) }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// Uniform in [low, high).
    public static func uniform(_ shape: [Int], low: Float, high: Float, rng: inout SeededRNG) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = Float(rng.uniform(Double(low), Double(high))) }
        return Tensor(shape: shape, storage: values)
    }

    /// Normal with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout SeededRNG) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = Float(rng.normal(mean: Double(mean), std: Double(std))) }
        return Tensor(shape: shape, storage: values)
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// The value of a rank-0 or single-element tensor.
    public var scalar: Float {
        precondition(storage.count == 1, "scalar of a tensor with shape \(shape)")
        return storage[0]
    }

    /// Row-major strides, in elements.
    public var strides: [Int] { Tensor.strides(of: shape) }

    public static func strides(of shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// Resolves a possibly negative axis against this tensor's rank.
    public func axis(_ a: Int) -> Int {
        let r = a < 0 ? a + rank : a
        precondition(r >= 0 && r < max(rank, 1), "axis \(a) out of range for shape \(shape)")
        return r
    }

    /// Same values, new shape (one dimension may be -1).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: Tensor.resolve(newShape, count: count, from: shape), storage: storage)
    }

    static func resolve(_ newShape: [Int], count: Int, from old: [Int]) -> [Int] {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(old) to \(newShape)")
            s[i] = count / known
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(old) to \(newShape)")
        return s
    }

    /// True when every element is finite.
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = storage.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(head)\(storage.count > 8 ? ", …" : "")])"
    }
}
