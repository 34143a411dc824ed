import CMCTensor

/// The contrastive losses of method.md §4. Embeddings are rows; cosines are computed on
/// L2-normalised rows. Diagonal masking uses a large negative logit rather than removing entries,
/// which gives the same softmax and keeps every operation a dense, differentiable matrix op.
public enum ContrastiveLoss {
    static let masked: Float = -1e9

    /// SimCLR's NT-Xent over two views (N, D) each: every one of the 2N embeddings is an anchor whose
    /// positive is its other view and whose negatives are the remaining 2N − 2.
    public static func ntXent(_ z1: Variable, _ z2: Variable, temperature: Float) -> Variable {
        ntXent(concat([z1, z2], axis: 0), temperature: temperature)
    }

    /// NT-Xent over the 2N embeddings of both views stacked as rows [view 1 of samples 0..<N; view 2 of
    /// samples 0..<N] — the layout of the reference's `torch.cat(views)`: row k's positive is row (k + N) mod 2N.
    public static func ntXent(_ z: Variable, temperature: Float) -> Variable {
        precondition(z.shape.count == 2 && z.shape[0] % 2 == 0, "ntXent wants (2N, D) stacked views, got \(z.shape)")
        let n = z.shape[0] / 2
        var diagonal = Tensor(shape: [2 * n, 2 * n])
        for i in 0..<(2 * n) { diagonal.storage[i * 2 * n + i] = masked }
        let logits = cosineSimilarityMatrix(z, z) / temperature + Variable(diagonal)
        let targets = (0..<(2 * n)).map { $0 < n ? $0 + n : $0 - n }
        return crossEntropy(logits, targets: targets)
    }

    /// CMC with two modalities: each inertial embedding's positive is the skeleton embedding of the
    /// same sample and vice versa; no intra-modal terms.
    public static func cmc(_ zi: Variable, _ zs: Variable, temperature: Float) -> Variable {
        let n = zi.shape[0]
        let s = cosineSimilarityMatrix(zi, zs) / temperature
        let targets = Array(0..<n)
        return (crossEntropy(s, targets: targets) + crossEntropy(s.permuted([1, 0]), targets: targets)) * 0.5
    }
}
