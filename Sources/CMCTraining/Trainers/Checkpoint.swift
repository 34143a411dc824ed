import CMCSafeTensors
import CMCTensor
import Foundation

/// Resumable training state: module weights and buffers, optimizer moments, and a JSON record of
/// everything else (epoch, generator state, scheduler, history). Written atomically after each
/// epoch, so an interrupted run resumes from the last finished epoch with the same random stream.
public enum Checkpoint {
    public static func save<State: Encodable>(
        _ url: URL, modules: [(String, Module)], optimizer: Optimizer?, state: State
    ) throws {
        var tensors: [String: Tensor] = [:]
        for (prefix, m) in modules { for (k, v) in m.stateDict() { tensors["\(prefix).\(k)"] = v } }
        if let optimizer { for (k, v) in optimizer.state() { tensors["optimizer.\(k)"] = v } }
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SafeTensors.write(SafeTensors.File(tensors: tensors, metadata: ["cmc.checkpoint": json]), to: url)
    }

    /// Restores modules and optimizer from `url` and returns the saved state, or nil when there is no
    /// checkpoint. A checkpoint that does not fit the modules throws (it belongs to another run).
    public static func load<State: Decodable>(
        _ url: URL, modules: [(String, Module)], optimizer: Optimizer?,
        as: State.Type
    ) throws -> State? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let file = try SafeTensors.read(url)
        guard let json = file.metadata["cmc.checkpoint"] else {
            throw SafeTensors.FormatError(source: url.path, reason: "not a cmc checkpoint (no cmc.checkpoint metadata)")
        }
        let state = try JSONDecoder().decode(State.self, from: Data(json.utf8))
        for (prefix, m) in modules { try m.load(stateDict: file.tensors, prefix: prefix + ".", allowExtra: true) }
        if let optimizer {
            var s: [String: Tensor] = [:]
            for (k, v) in file.tensors where k.hasPrefix("optimizer.") {
                s[String(k.dropFirst("optimizer.".count))] = v
            }
            try optimizer.load(state: s)
        }
        return state
    }
}
