import CMCSafeTensors
import CMCDaemon
import CMCData
import CMCTensor
import Foundation

/// A handful of dataset clips in one small file, so the main job can show the daemon at work where no
/// dataset has been downloaded (`cmc-replay --demo FILE`; the committed `demo/` file holds UTD-MHAD's
/// validation subject 7, which no model in this repository trained on).
///
/// Format: a safetensors file (float16 is plenty for g, °/s and metres at these magnitudes) with
/// tensors `clip.<k>.inertial` `(C, T)` and `clip.<k>.skeleton` `(C, F, J)` in the dataset's own
/// units, and metadata `cmc.demo` = JSON `{"info": DatasetInfo, "clips": [{"id", "label", "subject",
/// "trial"}]}`. It is read with the same validating decoder as model bundles.
public enum DemoClips {
    public static let metadataKey = "cmc.demo"

    struct Header: Codable {
        struct Clip: Codable {
            var id: String
            var label: Int
            var subject: Int
            var trial: Int
        }
        var info: DatasetInfo
        var clips: [Clip]
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public static func write(_ samples: [Sample], info: DatasetInfo, to url: URL, dtype: SafeTensors.DType = .f16)
        throws
    {
        var tensors: [String: Tensor] = [:]
        for (k, s) in samples.enumerated() {
            if let a = s.inertial { tensors["clip.\(k).inertial"] = Tensor(shape: a.shape, storage: a.values) }
            if let a = s.skeleton { tensors["clip.\(k).skeleton"] = Tensor(shape: a.shape, storage: a.values) }
        }
        let header = Header(
            info: info, clips: samples.map { .init(id: $0.id, label: $0.label, subject: $0.subject, trial: $0.trial) })
        let json = String(decoding: try JSONEncoder().encode(header), as: UTF8.self)
        try SafeTensors.write(SafeTensors.File(tensors: tensors, metadata: [metadataKey: json]), to: url, dtype: dtype)
    }

    /// The clips and their dataset description; throws naming the file and what is wrong with it.
    public static func load(_ url: URL) throws -> (info: DatasetInfo, samples: [Sample]) {
        let file = try SafeTensors.read(url)
        guard let json = file.metadata[metadataKey],
            let header = try? JSONDecoder().decode(Header.self, from: Data(json.utf8))
        else {
            throw Invalid(description: "\(url.path): no \(metadataKey) metadata: not a cmc demo file")
        }
        var samples: [Sample] = []
        for (k, clip) in header.clips.enumerated() {
            func array(_ kind: String, rank: Int) throws -> DataArray? {
                guard let t = file.tensors["clip.\(k).\(kind)"] else { return nil }
                guard t.shape.count == rank, t.shape.allSatisfy({ $0 > 0 }) else {
                    throw Invalid(description: "\(url.path): clip \(k) \(kind) has shape \(t.shape)")
                }
                return DataArray(shape: t.shape, values: t.storage)
            }
            let inertial = try array("inertial", rank: 2)
            let skeleton = try array("skeleton", rank: 3)
            guard inertial != nil || skeleton != nil else {
                throw Invalid(description: "\(url.path): clip \(k) has no data")
            }
            guard header.info.classNames.indices.contains(clip.label) else {
                throw Invalid(
                    description:
                        "\(url.path): clip \(k) has label \(clip.label) of \(header.info.classNames.count) classes")
            }
            if let i = inertial, i.shape[0] != header.info.inertialChannels.count {
                throw Invalid(
                    description:
                        "\(url.path): clip \(k) has \(i.shape[0]) IMU channels, the dataset \(header.info.inertialChannels.count)"
                )
            }
            samples.append(
                Sample(
                    id: clip.id, label: clip.label, subject: clip.subject, trial: clip.trial,
                    inertial: inertial, skeleton: skeleton, sources: [url.lastPathComponent]))
        }
        return (header.info, samples)
    }
}
