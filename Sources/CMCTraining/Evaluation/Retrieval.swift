import CMCTensor
import Foundation

/// Activity retrieval (the paper's protocol is not available; this one is documented in
/// docs/evaluation.md): each query clip ranks every gallery clip by cosine similarity of encoder
/// features; a gallery clip is relevant when it has the query's label. Reported: precision@k (share
/// of relevant clips among the k nearest) and mean average precision over the full ranking.
public struct RetrievalResult: Codable, Sendable, Equatable {
    public var queries: Int
    public var gallery: Int
    public var precisionAtK: [String: Double]
    public var mAP: Double

    public init(query: Tensor, queryLabels: [Int], gallery: Tensor, galleryLabels: [Int], ks: [Int] = [1, 5, 10]) {
        queries = queryLabels.count
        self.gallery = galleryLabels.count
        precisionAtK = [:]
        mAP = 0
        guard queries > 0, self.gallery > 0 else { return }
        let sims = GradMode.withoutGrad { cosineSimilarityMatrix(Variable(query), Variable(gallery)).value }
        let g = self.gallery
        var pk = [Double](repeating: 0, count: ks.count)
        var apSum = 0.0
        for q in 0..<queries {
            let row = sims.storage[(q * g)..<((q + 1) * g)]
            let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.map { $0 - q * g }
            let relevant = order.map { galleryLabels[$0] == queryLabels[q] }
            for (i, k) in ks.enumerated() {
                let kk = min(k, g)
                pk[i] += Double(relevant.prefix(kk).filter { $0 }.count) / Double(kk)
            }
            var hits = 0
            var ap = 0.0
            for (rank, r) in relevant.enumerated() where r {
                hits += 1
                ap += Double(hits) / Double(rank + 1)
            }
            apSum += hits > 0 ? ap / Double(hits) : 0
        }
        for (i, k) in ks.enumerated() { precisionAtK["P@\(k)"] = pk[i] / Double(queries) }
        mAP = apSum / Double(queries)
    }
}

/// Concatenates per-modality features after L2-normalising each, so both modalities weigh equally.
public func fusedFeatures(_ parts: [Tensor]) -> Tensor {
    let normalised = parts.map { part in GradMode.withoutGrad { Variable(part).l2Normalized(axis: 1).value } }
    return Kernels.concat(normalised, axis: 1)
}
