import CMCTensor
import CMCCore

/// CMC with Cross-Modal Knowledge Mining (method.md §4.3).
///
/// Frozen unimodal teachers give each sample its nearest neighbours within a modality; those become
/// extra positives — across modalities through the *other* modality's teacher, within a modality
/// through the same one — and the remaining same-modality samples become extra negatives.
public struct CMKMLoss: Sendable {
    public struct Options: Codable, Sendable, Equatable {
        public var temperature: Float = SSLSchedule.defaultCMKMTemperature // overwritten by the stage schedule
        /// Mined positives per anchor (k of top-k).
        public var k = 1
        /// Weight λ of the intra-modal negatives.
        public var intraNegativeWeight: Float = 1
        public var intraNegatives = true
        public var positiveMining = true
        /// The reference code does not divide intra-modal similarities by τ; `true` does.
        public var temperIntraTerms = false
        /// Ablation: use the union of both teachers' neighbours for cross and intra terms.
        public var symmetricMining = false
        /// Ablation: drop negatives whose mean teacher similarity (connectivity) exceeds γ.
        public var negativePruningThreshold: Float? = nil
        /// Ablation: scale each anchor's loss by exp(scale · connectivity).
        public var lossWeightingScale: Float? = nil
        public init() {}
    }

    public var options: Options
    public init(_ options: Options = Options()) { self.options = options }

    /// Teacher similarity structure of one batch.
    public struct Mining: Sendable {
        /// neighbours[m][i]: mined indices for anchor i from modality m's teacher (0 inertial, 1 skeleton).
        public var neighbours: [[[Int]]]
        /// connectivity[m][j] = mean_i A^m_ij.
        public var connectivity: [[Float]]
    }

    /// Mines neighbours from the teachers' features (N, D_m): top-k of the cosine matrix minus identity.
    public func mine(teacherInertial fi: Tensor, teacherSkeleton fs: Tensor) -> Mining {
        var neighbours: [[[Int]]] = []
        var connectivity: [[Float]] = []
        for f in [fi, fs] {
            let x = Variable(f.reshaped([f.shape[0], -1]))
            var a = cosineSimilarityMatrix(x, x).value
            let n = a.shape[0]
            connectivity.append((0..<n).map { j in (0..<n).reduce(Float(0)) { $0 + a.storage[$1 * n + j] } / Float(n) })
            for i in 0..<n { a.storage[i * n + i] -= 1 }
            neighbours.append(Kernels.topK(a, k: min(options.k, n)))
        }
        return Mining(neighbours: neighbours, connectivity: connectivity)
    }

    /// The training loss. Rows 0..<N anchor inertial embeddings, rows N..<2N skeleton ones.
    public func callAsFunction(_ zi: Variable, _ zs: Variable, mining: Mining) -> Variable {
        let n = zi.shape[0]
        let o = options
        let cross = cosineSimilarityMatrix(zi, zs) / o.temperature // S_ij, inertial anchors
        let crossT = cross.permuted([1, 0]) // skeleton anchors
        let intraScale: Float = o.temperIntraTerms ? 1 / o.temperature : 1
        let intra = [cosineSimilarityMatrix(zi, zi) * intraScale, cosineSimilarityMatrix(zs, zs) * intraScale]
        var rows: [Variable] = []
        for anchor in 0..<2 { // 0: inertial anchors, 1: skeleton anchors
            let other = 1 - anchor
            var posX = Tensor(shape: [n, n])
            var negX = Tensor(shape: [n, n], repeating: 1)
            var posIn = Tensor(shape: [n, n])
            var negIn = Tensor(shape: [n, n], repeating: o.intraNegativeWeight)
            for i in 0..<n {
                var crossPos = [i]
                var intraPos: [Int] = []
                if o.positiveMining {
                    let own = mining.neighbours[anchor][i]
                    let theirs = mining.neighbours[other][i]
                    if o.symmetricMining {
                        crossPos += own + theirs
                        intraPos = own + theirs
                    } else {
                        crossPos += theirs
                        intraPos = own
                    }
                }
                for j in crossPos {
                    posX.storage[i * n + j] = 1
                    negX.storage[i * n + j] = 0
                }
                negIn.storage[i * n + i] = 0
                for j in intraPos {
                    posIn.storage[i * n + j] = 1
                    negIn.storage[i * n + j] = 0
                }
                if let gamma = o.negativePruningThreshold {
                    for j in 0..<n {
                        if mining.connectivity[other][j] > gamma { negX.storage[i * n + j] = 0 }
                        if mining.connectivity[anchor][j] > gamma { negIn.storage[i * n + j] = 0 }
                    }
                }
            }
            let ex = (anchor == 0 ? cross : crossT).exp()
            var num = (ex * Variable(posX)).sum(axes: [1])
            var den = (ex * Variable(negX)).sum(axes: [1])
            if o.positiveMining || o.intraNegatives {
                let ein = intra[anchor].exp()
                if o.positiveMining { num = num + (ein * Variable(posIn)).sum(axes: [1]) }
                if o.intraNegatives { den = den + (ein * Variable(negIn)).sum(axes: [1]) }
            }
            var loss = (num + den).log() - num.log()
            if let scale = o.lossWeightingScale {
                let w = Tensor(
                    shape: [n], storage: mining.connectivity[anchor].map { Float(Foundation.exp(Double(scale * $0))) })
                loss = loss * Variable(w)
            }
            rows.append(loss)
        }
        return concat(rows, axis: 0).mean()
    }

    /// Without mining and intra-modal terms the loss is exactly CMC (used for validation).
    public func validation(_ zi: Variable, _ zs: Variable) -> Variable {
        ContrastiveLoss.cmc(zi, zs, temperature: options.temperature)
    }
}

import Foundation
