/// A dense, row-major array of `Float` with an explicit shape.
///
/// CMCData deliberately does not depend on the tensor engine: readers, preprocessing and
/// augmentations all work on this plain value type, and the model code converts it to tensors.
/// Layouts used throughout:
/// - raw inertial `(C, T)`, raw skeleton `(C, T, J)` (channels = x, y, z);
/// - model inputs: inertial `(C, 50)`, skeleton `(C, 50, J)`.
public struct DataArray: Sendable, Equatable, Codable {
    public private(set) var shape: [Int]
    public var values: [Float]

    /// Creates an array; `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(
            shape.reduce(1, *) == values.count,
            "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A zero-filled array.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    private enum CodingKeys: String, CodingKey { case shape, values }

    /// Decoding validates the element count, so a damaged file cannot build an inconsistent array.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let shape = try container.decode([Int].self, forKey: .shape)
        let values = try container.decode([Float].self, forKey: .values)
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw DecodingError.dataCorruptedError(
                forKey: .values, in: container,
                debugDescription: "shape \(shape) does not match \(values.count) values")
        }
        self.init(shape: shape, values: values)
    }

    public var rank: Int { shape.count }
    public var count: Int { values.count }

    /// Row-major strides (in elements).
    public var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            s[d] = acc
            acc *= shape[d]
        }
        return s
    }

    /// Element access by full index (checked). Convenient in tests and plotting, not in hot loops.
    public subscript(_ index: Int...) -> Float {
        get { values[flatIndex(index)] }
        set { values[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index rank \(index.count) ≠ array rank \(shape.count)")
        var flat = 0
        for (d, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[d], "index \(index) out of bounds for shape \(shape)")
            flat = flat * shape[d] + i
        }
        return flat
    }

    /// The same values under a new shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> DataArray {
        DataArray(shape: newShape, values: values)
    }

    /// True when every value is finite (no NaN / ±inf).
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }
}

extension DataArray {
    /// Copies frames `start ..< start+length` along `axis` (e.g. time), keeping the other axes.
    public func slice(axis: Int, start: Int, length: Int) -> DataArray {
        precondition(axis >= 0 && axis < rank)
        precondition(
            start >= 0 && length >= 0 && start + length <= shape[axis],
            "slice \(start)..<\(start + length) out of 0..<\(shape[axis])")
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Float]()
        out.reserveCapacity(outer * length * inner)
        for o in 0..<outer {
            let base = (o * shape[axis] + start) * inner
            out.append(contentsOf: values[base..<base + length * inner])
        }
        var newShape = shape
        newShape[axis] = length
        return DataArray(shape: newShape, values: out)
    }

    /// Gathers frames along `axis` by index (indices may repeat: used for edge padding).
    public func gather(axis: Int, indices: [Int]) -> DataArray {
        precondition(axis >= 0 && axis < rank)
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Float]()
        out.reserveCapacity(outer * indices.count * inner)
        for o in 0..<outer {
            for i in indices {
                precondition(i >= 0 && i < shape[axis], "gather index \(i) out of 0..<\(shape[axis])")
                let base = (o * shape[axis] + i) * inner
                out.append(contentsOf: values[base..<base + inner])
            }
        }
        var newShape = shape
        newShape[axis] = indices.count
        return DataArray(shape: newShape, values: out)
    }
}
