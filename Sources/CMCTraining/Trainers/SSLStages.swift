import CMCCore
import CMCData
import CMCModel
import CMCTensor
import Foundation

/// The self-supervised stages: SimCLR per modality (the teachers), CMC, and CMC-CMKM.
public enum SSLStages {
    /// SimCLR (method.md §4.1, §5.1): two independently augmented views of each sample, NT-Xent.
    public static func simclr(
        _ modality: Modality, encoder: FeatureEncoder, head: ProjectionHead, set: TrainingSet,
        val: TrainingSet?, schedule: SSLSchedule, augmentation: AugmentationConfig, seed: UInt64,
        checkpoint: URL?
    ) throws -> [EpochRecord] {
        let loop = ContrastiveLoop(
            stage: "simclr-\(modality.rawValue)", schedule: schedule, seed: seed, checkpoint: checkpoint)
        // `indices + indices`: the first view of every sample, then the second (the rows simclrLoss expects).
        func loss(_ s: TrainingSet, _ idx: [Int], _ rng: inout SeededRNG) -> Variable {
            simclrLoss(
                encoder: encoder, head: head,
                views: s.batch(idx + idx, of: modality, augmentation: augmentation, rng: &rng),
                temperature: schedule.temperature)
        }
        func run() throws -> [EpochRecord] {
            try loop.run(
                modules: [("encoder", encoder), ("head", head)], trainable: [encoder, head], set: set, val: val,
                trainStep: { idx, rng in loss(set, idx, &rng) },
                valLoss: val.map { v in { idx, rng in loss(v, idx, &rng) } })
        }
        return try encoder.trainsOnBothCores ? Concurrently.withBothCores(run) : run()
    }

    /// The SimCLR loss of N samples whose two views are stacked as rows [views 1; views 2] (2N rows): one
    /// encoder and head pass over all 2N, so BatchNorm's batch statistics are over both views together, as
    /// in the reference (`torch.cat(batch[modality])` before its single forward), then NT-Xent.
    static func simclrLoss(encoder: FeatureEncoder, head: ProjectionHead, views: Tensor, temperature: Float)
        -> Variable
    {
        ContrastiveLoss.ntXent(head(encoder(Variable(views))), temperature: temperature)
    }

    /// Frozen SimCLR teachers for knowledge mining.
    public struct Teachers {
        public let inertial: FeatureEncoder, skeleton: FeatureEncoder
        public init(inertial: FeatureEncoder, skeleton: FeatureEncoder) {
            self.inertial = inertial
            self.skeleton = skeleton
            for t in [inertial, skeleton] as [Module] {
                t.eval()
                t.freeze()
            }
        }
    }

    /// CMC (method.md §4.2), or CMC-CMKM (§4.3) when teachers and the CMKM loss are given. Each
    /// modality of a sample gets one independently augmented view; the teachers see the same batch.
    public static func multimodal(
        inertial: FeatureEncoder, skeleton: FeatureEncoder, inertialHead: ProjectionHead,
        skeletonHead: ProjectionHead, set: TrainingSet, val: TrainingSet?, schedule: SSLSchedule,
        augmentation: AugmentationConfig, cmkm: (loss: CMKMLoss, teachers: Teachers)?, seed: UInt64,
        checkpoint: URL?
    ) throws -> [EpochRecord] {
        let stage = cmkm == nil ? "cmc" : "cmc-cmkm"
        let loop = ContrastiveLoop(stage: stage, schedule: schedule, seed: seed, checkpoint: checkpoint)
        // The modalities share no modules until the loss: each runs on its own core (forward and backward).
        func embed(_ b: TrainingSet.Batch) -> (Variable, Variable) {
            concurrentBranches(
                { inertialHead(inertial(Variable(b.inertial))) }, { skeletonHead(skeleton(Variable(b.skeleton))) })
        }
        func trainStep(_ idx: [Int], _ rng: inout SeededRNG) -> Variable {
            let b = set.batch(idx, augmentation: augmentation, rng: &rng)
            let (zi, zs) = embed(b)
            guard let (loss, teachers) = cmkm else {
                return ContrastiveLoss.cmc(zi, zs, temperature: schedule.temperature)
            }
            let (fi, fs) = GradMode.withoutGrad {
                Concurrently.run(
                    { teachers.inertial(Variable(b.inertial)).value }, { teachers.skeleton(Variable(b.skeleton)).value }
                )
            }
            return loss(zi, zs, mining: loss.mine(teacherInertial: fi, teacherSkeleton: fs))
        }
        return try loop.run(
            modules: [
                ("inertial", inertial), ("skeleton", skeleton), ("inertial_head", inertialHead),
                ("skeleton_head", skeletonHead),
            ],
            trainable: [inertial, skeleton, inertialHead, skeletonHead], set: set, val: val,
            trainStep: trainStep,
            valLoss: val.map { v in
                { idx, rng in
                    // Validation is plain CMC (CMKM's validation loss reduces to it exactly).
                    let (zi, zs) = embed(v.batch(idx, augmentation: augmentation, rng: &rng))
                    return ContrastiveLoss.cmc(zi, zs, temperature: schedule.temperature)
                }
            })
    }
}
