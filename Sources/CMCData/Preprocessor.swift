/// The fixed-length model inputs made from one sample.
public struct ModelInput: Sendable, Equatable {
    public var id: String
    public var label: Int
    public var subject: Int
    /// `(C, length)`.
    public var inertial: DataArray?
    /// `(C, length, J)` — the reference's `Permute([1, 2, 0])` layout.
    public var skeleton: DataArray?

    public init(id: String, label: Int, subject: Int, inertial: DataArray?, skeleton: DataArray?) {
        self.id = id
        self.label = label
        self.subject = subject
        self.inertial = inertial
        self.skeleton = skeleton
    }
}

/// Turns raw samples (or live windows) into model inputs. Shared by training and the real-time
/// daemon, so both feed the network exactly the same transformation:
/// inertial `(C, T)` → FFT-resample to `length` → `(C, length)` (no normalisation, raw units);
/// skeleton `(C, T, J)` → normalise → FFT-resample frames to `length` → `(C, length, J)`.
public struct Preprocessor: Sendable, Equatable, Codable {
    /// Time steps per modality after resampling (50 in the reference).
    public var length: Int
    public var skeletonNormalization: SkeletonNormalization

    public init(length: Int = 50, skeletonNormalization: SkeletonNormalization) {
        self.length = length
        self.skeletonNormalization = skeletonNormalization
    }

    public static let utdMHAD = Preprocessor(skeletonNormalization: .utdMHAD)
    public static let smartFallMM = Preprocessor(skeletonNormalization: .smartFallMM)

    /// `(C, T)` → `(C, length)`.
    public func inertial(_ raw: DataArray, sampleID: String = "inertial") throws -> DataArray {
        guard raw.rank == 2, raw.shape[1] >= 1 else {
            throw DataError.degenerate(sample: sampleID, reason: "inertial shape \(raw.shape) is not (C, T ≥ 1)")
        }
        return raw.resampled(axis: 1, to: length)
    }

    /// `(C, T, J)` → `(C, length, J)`; throws `DataError.degenerate` if normalisation is impossible.
    public func skeleton(_ raw: DataArray, sampleID: String = "skeleton") throws -> DataArray {
        let normalised = try skeletonNormalization.apply(raw, sampleID: sampleID)
        return normalised.resampled(axis: 1, to: length)
    }

    /// Both modalities of a sample (absent modalities stay nil).
    public func callAsFunction(_ sample: Sample) throws -> ModelInput {
        ModelInput(
            id: sample.id, label: sample.label, subject: sample.subject,
            inertial: try sample.inertial.map { try inertial($0, sampleID: sample.id) },
            skeleton: try sample.skeleton.map { try skeleton($0, sampleID: sample.id) })
    }

    /// Preprocesses many samples; those that fail are skipped and reported, never fatal.
    public func prepare(_ samples: [Sample]) -> (inputs: [ModelInput], problems: [DataProblem]) {
        var inputs = [ModelInput]()
        var problems = [DataProblem]()
        inputs.reserveCapacity(samples.count)
        for sample in samples {
            do {
                inputs.append(try self(sample))
            } catch {
                problems.append(DataProblem(kind: .degenerate, file: sample.id, message: "\(error)", skipped: true))
            }
        }
        return (inputs, problems)
    }
}
