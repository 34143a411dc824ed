import CMCCore
import CMCData
import CMCModel
import CMCTensor
@testable import CMCTraining
import Foundation
import XCTest

final class TrainingTests: XCTestCase {
    let train = Synthetic.set("train", subjects: [1, 2], perClass: 6, seed: 1)
    let val = Synthetic.set("val", subjects: [3], perClass: 4, seed: 2)

    func tmp(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("cmc-test-\(getpid())-\(name)")
    }

    func simclrModules() -> (InertialEncoder, ProjectionHead) {
        var rng = SeededRNG(seed: 5)
        let e = InertialEncoder(Synthetic.tinyInertial, rng: &rng)
        return (e, ProjectionHead(inFeatures: e.outputSize, hidden: 16, out: 8, rng: &rng))
    }

    /// An interrupted run resumed from its checkpoint ends with exactly the weights of an uninterrupted one.
    func testCheckpointResumeIsExact() throws {
        var schedule = SSLSchedule(epochs: 4, batchSize: 8, temperature: 0.1)
        let aug = AugmentationConfig.utdMHAD
        let (e1, h1) = simclrModules()
        _ = try SSLStages.simclr(
            .inertial, encoder: e1, head: h1, set: train, val: nil, schedule: schedule,
            augmentation: aug, seed: 3, checkpoint: nil)
        let ckpt = tmp("resume.safetensors")
        defer { try? FileManager.default.removeItem(at: ckpt) }
        schedule.epochs = 2
        let (e2, h2) = simclrModules()
        _ = try SSLStages.simclr(
            .inertial, encoder: e2, head: h2, set: train, val: nil, schedule: schedule,
            augmentation: aug, seed: 3, checkpoint: ckpt)
        schedule.epochs = 4
        let (e3, h3) = simclrModules() // a fresh process: new modules, state only from the checkpoint
        let history = try SSLStages.simclr(
            .inertial, encoder: e3, head: h3, set: train, val: nil, schedule: schedule,
            augmentation: aug, seed: 3, checkpoint: ckpt)
        XCTAssertEqual(history.count, 4)
        XCTAssertEqual(e1.stateDict(), e3.stateDict())
        XCTAssertEqual(h1.stateDict(), h3.stateDict())
        // A checkpoint of another stage is refused, not silently reused.
        var rng = SeededRNG(seed: 1)
        let s = SkeletonEncoder(Synthetic.tinySkeleton, rng: &rng)
        XCTAssertThrowsError(
            try SSLStages.simclr(
                .skeleton, encoder: s, head: ProjectionHead(inFeatures: s.outputSize, rng: &rng),
                set: train, val: nil, schedule: schedule, augmentation: aug, seed: 3, checkpoint: ckpt))
    }

    /// A one-modality batch crops, preprocesses and augments that modality only, each view with a generator
    /// of its own forked in view order; a repeated index gets a view of its own each time.
    func testModalityBatchAugmentsOnlyThatModality() throws {
        let idx = [0, 3, 5, 3]
        let aug = AugmentationConfig.utdMHAD
        var r1 = SeededRNG(seed: 4)
        var r2 = SeededRNG(seed: 4)
        let skeleton = train.batch(idx, of: .skeleton, augmentation: aug, rng: &r1)
        let expected = idx.map { i in
            var g = r2.fork()
            return aug.skeleton.apply(train.inputs[i].skeleton!, rng: &g)
        }
        XCTAssertEqual(skeleton, Tensor.stacked(expected))
        XCTAssertEqual(r1.next(), r2.next(), "one draw per view was taken from the batch's generator")
        XCTAssertNotEqual(expected[1], expected[3], "the repeated index has two different views")
        // The inertial batch of the same seed: inertial augmentations alone, from the same per-view generators.
        var r3 = SeededRNG(seed: 4)
        var r4 = SeededRNG(seed: 4)
        XCTAssertEqual(
            train.batch(idx, of: .inertial, augmentation: aug, rng: &r3),
            Tensor.stacked(
                idx.map { i in
                    var g = r4.fork()
                    return aug.inertial.apply(train.inputs[i].inertial!, rng: &g)
                }))
        // A temporal crop is drawn per view and applied to the asked modality only: the same windows for
        // either modality of the same seed, as when both modalities are built in one batch.
        var cropping = AugmentationConfig.none
        cropping.temporalCrop = TemporalCrop(minFraction: 0.5)
        for m in Modality.allCases {
            var r5 = SeededRNG(seed: 9)
            var r6 = SeededRNG(seed: 9)
            let cropped = train.batch(idx, of: m, augmentation: cropping, rng: &r5)
            XCTAssertEqual(
                cropped,
                Tensor.stacked(
                    try idx.map { i in
                        var g = r6.fork()
                        let both = try train.preprocessor.augmentedInput(
                            train.samples[i], augmentations: cropping, rng: &g)
                        return both[m]!
                    }))
            XCTAssertNotEqual(cropped, train.batch(idx, of: m, rng: &r5), "the views are cropped")
        }
    }

    /// CMC-CMKM pre-training lowers its loss, and the supervised loop learns the synthetic classes.
    func testContrastiveAndSupervisedTrainingLearn() throws {
        var rng = SeededRNG(seed: 9)
        let ei = InertialEncoder(Synthetic.tinyInertial, rng: &rng)
        let es = SkeletonEncoder(Synthetic.tinySkeleton, rng: &rng)
        let ti = InertialEncoder(Synthetic.tinyInertial, rng: &rng)
        let ts = SkeletonEncoder(Synthetic.tinySkeleton, rng: &rng)
        let hi = ProjectionHead(inFeatures: ei.outputSize, hidden: 16, out: 8, rng: &rng)
        let hs = ProjectionHead(inFeatures: es.outputSize, hidden: 16, out: 8, rng: &rng)
        let history = try SSLStages.multimodal(
            inertial: ei, skeleton: es, inertialHead: hi, skeletonHead: hs, set: train, val: val,
            schedule: SSLSchedule(epochs: 8, batchSize: 12, temperature: 0.1), augmentation: .utdMHAD,
            cmkm: (CMKMLoss(), SSLStages.Teachers(inertial: ti, skeleton: ts)), seed: 4, checkpoint: nil)
        XCTAssertLessThan(history.last!.trainLoss, history.first!.trainLoss)
        XCTAssertNotNil(history.last!.valLoss)

        let clf = MultiModalClassifier(
            inertialFeatures: ei.outputSize, skeletonFeatures: es.outputSize, hidden: 16,
            classes: Synthetic.classes, rng: &rng)
        var schedule = ClassifierSchedule()
        schedule.epochs = 25
        schedule.batchSize = 12
        let outcome = try EvaluationProtocols.endToEnd(
            stage: "supervised", modules: [ei, es, clf], train: train, val: val, test: val,
            augmentation: nil, schedule: schedule, seed: 1
        ) { b, _ in
            [clf(inertial: ei(Variable(b.inertial)), skeleton: es(Variable(b.skeleton)))]
        }
        XCTAssertGreaterThanOrEqual(outcome.val!.accuracy, 0.9, "validation accuracy \(outcome.val!.accuracy)")
        XCTAssertEqual(outcome.test!.accuracy, outcome.val!.accuracy, "the same split scored twice must agree")
        XCTAssertLessThanOrEqual(outcome.bestEpoch, outcome.epochsRun)
    }

    func testFrozenClassifierOnFeatures() throws {
        var rng = SeededRNG(seed: 2)
        let ei = InertialEncoder(Synthetic.tinyInertial, rng: &rng)
        let es = SkeletonEncoder(Synthetic.tinySkeleton, rng: &rng)
        let f = FeatureSplits(encoders: [(ei, .inertial), (es, .skeleton)], train: train, val: val, test: val)
        XCTAssertEqual(f.train[0].shape, [train.count, ei.outputSize])
        let clf = MultiModalClassifier(
            inertialFeatures: ei.outputSize, skeletonFeatures: es.outputSize, hidden: 16,
            classes: 3, rng: &rng)
        var s = ClassifierSchedule()
        s.epochs = 40
        s.batchSize = 12
        let before = ei.stateDict()
        let o = try EvaluationProtocols.frozenClassifier(
            stage: "frozen", head: clf, features: f, classCount: 3, schedule: s, seed: 1
        ) {
            clf(inertial: $0[0], skeleton: $0[1])
        }
        XCTAssertEqual(ei.stateDict(), before, "frozen encoders must not change")
        // Random encoders still separate these classes well enough for a trained head.
        XCTAssertGreaterThan(o.val!.accuracy, 0.6)
        let limited = f.limitingTrain(to: [0, 1, 2])
        XCTAssertEqual(limited.train[1].shape[0], 3)
        XCTAssertEqual(limited.trainLabels, Array(f.trainLabels.prefix(3)))
    }

    /// Last-epoch selection (cross-validation's) trains the same head whatever the validation labels say;
    /// best-validation selection reports the peak it chose.
    func testLastEpochSelectionNeverLooksAtTheValidationLabels() throws {
        var rng = SeededRNG(seed: 3)
        let ei = InertialEncoder(Synthetic.tinyInertial, rng: &rng)
        let es = SkeletonEncoder(Synthetic.tinySkeleton, rng: &rng)
        let f = FeatureSplits(encoders: [(ei, .inertial), (es, .skeleton)], train: train, val: val, test: val)
        let scrambled = FeatureSplits(
            train: f.train, val: f.val, test: f.test, trainLabels: f.trainLabels,
            valLabels: f.valLabels.map { ($0 + 1) % 3 }, testLabels: f.testLabels)
        func fit(_ features: FeatureSplits, _ selection: ModelSelection) throws -> (ClassifierOutcome, [String: Tensor])
        {
            var headRNG = SeededRNG(seed: 4)
            let clf = MultiModalClassifier(
                inertialFeatures: ei.outputSize, skeletonFeatures: es.outputSize, hidden: 16, classes: 3, rng: &headRNG)
            var s = ClassifierSchedule()
            s.epochs = 30
            s.batchSize = 12
            s.plateauPatience = 2
            s.earlyStoppingPatience = 3
            s.selection = selection
            let o = try EvaluationProtocols.frozenClassifier(
                stage: "selection", head: clf, features: features, classCount: 3, schedule: s, seed: 1
            ) { clf(inertial: $0[0], skeleton: $0[1]) }
            return (o, clf.stateDict())
        }
        let (honest, weights) = try fit(f, .lastEpoch)
        let (blind, scrambledWeights) = try fit(scrambled, .lastEpoch)
        XCTAssertEqual(weights, scrambledWeights, "validation labels steered a last-epoch classifier")
        XCTAssertEqual(honest.bestEpoch, 30)
        XCTAssertEqual(honest.epochsRun, 30, "no early stop on the validation loss")
        XCTAssertEqual(blind.epochsRun, 30)
        let peak = try XCTUnwrap(honest.peakValAccuracy)
        XCTAssertGreaterThanOrEqual(peak, try XCTUnwrap(honest.val).accuracy)
        XCTAssertEqual(peak, honest.history.compactMap(\.valAccuracy).max())
        // The paper's protocol reports the epoch it chose on those labels: its figure is the peak.
        let (chosen, _) = try fit(f, .bestValidation)
        XCTAssertEqual(try XCTUnwrap(chosen.val).accuracy, try XCTUnwrap(chosen.peakValAccuracy), accuracy: 1e-12)
    }

    /// The cosine schedule starts at the base rate, halves it mid-way, ends near zero, and replaces the plateau
    /// scheduler (the recorded rates follow it exactly); files without the key read as before.
    func testCosineScheduleAnnealsTheClassifiersLearningRate() throws {
        var s = ClassifierSchedule()
        s.epochs = 10
        s.cosine = true
        XCTAssertEqual(s.cosineRate(epoch: 1), s.learningRate)
        XCTAssertEqual(s.cosineRate(epoch: 6), s.learningRate / 2, accuracy: 1e-9)
        XCTAssertLessThan(s.cosineRate(epoch: 10), s.learningRate * 0.03)
        var rng = SeededRNG(seed: 3)
        let ei = InertialEncoder(Synthetic.tinyInertial, rng: &rng)
        let es = SkeletonEncoder(Synthetic.tinySkeleton, rng: &rng)
        let f = FeatureSplits(encoders: [(ei, .inertial), (es, .skeleton)], train: train, val: val, test: val)
        let clf = MultiModalClassifier(
            inertialFeatures: ei.outputSize, skeletonFeatures: es.outputSize, hidden: 16, classes: 3, rng: &rng)
        s.batchSize = 12
        s.selection = .lastEpoch
        let o = try EvaluationProtocols.frozenClassifier(
            stage: "cosine", head: clf, features: f, classCount: 3, schedule: s, seed: 1
        ) { clf(inertial: $0[0], skeleton: $0[1]) }
        XCTAssertEqual(o.history.map(\.learningRate), (1...10).map { s.cosineRate(epoch: $0) })
        let old = try JSONDecoder().decode(
            ClassifierSchedule.self,
            from: Data(
                #"{"epochs":5,"batchSize":8,"learningRate":0.001,"earlyStoppingPatience":3,"plateauFactor":0.5}"#.utf8))
        XCTAssertFalse(old.cosine)
    }

    /// A recorded stage keeps its result unless its classifier was chosen another way, or lacks the validation
    /// curve cross-validation needs (then only the classifier is trained again).
    func testRecordedStagesRerunOnlyWhenTheirClassifierIsOutOfDate() {
        let config = ExperimentConfig(name: "x", dataset: .utdMHAD).selecting(.lastEpoch)
        var done = StageResult(stage: "cmc", wallSeconds: 1)
        done.selection = .lastEpoch
        done.val = ClassificationMetrics(predictions: [0], targets: [0], classCount: 2)
        XCTAssertEqual(config.rerunReason(.cmc, done), "recorded without its validation curve")
        done.classifierValCurve = [0.5, 1]
        XCTAssertNil(config.rerunReason(.cmc, done))
        done.selection = nil
        XCTAssertEqual(config.rerunReason(.cmc, done), "recorded with best-validation selection, wanted last-epoch")
        XCTAssertNil(ExperimentConfig(name: "x", dataset: .utdMHAD).rerunReason(.cmc, done), "the paper's protocol")
    }

    /// Files from before the selection existed read as the protocol they were trained with.
    func testScheduleWithoutSelectionReadsAsBestValidation() throws {
        var s = ClassifierSchedule()
        s.selection = .lastEpoch
        let encoded = try JSONEncoder().encode(s)
        XCTAssertEqual(try JSONDecoder().decode(ClassifierSchedule.self, from: encoded), s)
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        object["selection"] = nil
        let old = try JSONDecoder().decode(
            ClassifierSchedule.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(old.selection, .bestValidation)
        XCTAssertEqual(
            ExperimentConfig(name: "x", dataset: .utdMHAD).selecting(.lastEpoch).classifierSchedule(of: .fineTune)?
                .selection, .lastEpoch)
    }

    /// Modality dropout zeroes exactly one branch of a dropped example at the fusion (each modality sometimes),
    /// keeps the others whole, and does nothing at p = 0 or outside training.
    func testModalityDropoutZeroesOneBranchOfDroppedExamples() throws {
        var rng = SeededRNG(seed: 8)
        let clf = MultiModalClassifier(inertialFeatures: 6, skeletonFeatures: 5, hidden: 4, classes: 3, rng: &rng)
        let n = 64
        let xi = Variable(Tensor(shape: [n, 6], storage: (0..<(n * 6)).map { _ in Float(rng.normal()) }))
        let xs = Variable(Tensor(shape: [n, 5], storage: (0..<(n * 5)).map { _ in Float(rng.normal()) }))
        let hi = clf.inertial(xi).value
        let hs = clf.skeleton(xs).value
        let whole = clf.head(concat([Variable(hi), Variable(hs)], axis: 1)).value
        let noInertial = clf.head(concat([Variable(hi * 0), Variable(hs)], axis: 1)).value
        let noSkeleton = clf.head(concat([Variable(hi), Variable(hs * 0)], axis: 1)).value
        func row(_ t: Tensor, _ i: Int) -> [Float] { Array(t.storage[(i * 3)..<(i * 3 + 3)]) }
        func close(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 } }

        var dropRNG = SeededRNG(seed: 1)
        let kept = clf.training(inertial: xi, skeleton: xs, modalityDropout: 0, rng: &dropRNG).fused.value
        XCTAssertTrue(close(kept.storage, whole.storage), "p = 0 must be the plain fusion")
        let all = clf.training(inertial: xi, skeleton: xs, modalityDropout: 1, rng: &dropRNG).fused.value
        var lost = (inertial: 0, skeleton: 0)
        for i in 0..<n {
            if close(row(all, i), row(noInertial, i)) {
                lost.inertial += 1
            } else if close(row(all, i), row(noSkeleton, i)) {
                lost.skeleton += 1
            } else {
                XCTFail("example \(i) lost neither modality at p = 1")
            }
        }
        XCTAssertGreaterThan(lost.inertial, 16)
        XCTAssertGreaterThan(lost.skeleton, 16)
        let half = clf.training(inertial: xi, skeleton: xs, modalityDropout: 0.5, rng: &dropRNG).fused.value
        let intact = (0..<n).filter { close(row(half, $0), row(whole, $0)) }.count
        XCTAssertTrue((16...48).contains(intact), "\(intact) of \(n) examples kept both modalities at p = 0.5")
        clf.eval()
        let evaluated = clf.training(inertial: xi, skeleton: xs, modalityDropout: 1, rng: &dropRNG).fused.value
        XCTAssertEqual(evaluated.storage, clf(inertial: xi, skeleton: xs).value.storage, "nothing dropped in eval mode")
    }

    /// Auxiliary logits train their own heads (and the shared encoder) only with a positive unimodal loss
    /// weight; the decision's logits alone are what evaluation scores.
    func testAuxiliaryLossesTrainOnlyWithAPositiveWeight() throws {
        func fit(weight: Float) throws -> (auxiliaryChanged: Bool, firstLoss: Double) {
            var rng = SeededRNG(seed: 11)
            let ei = InertialEncoder(Synthetic.tinyInertial, rng: &rng)
            let head = Linear(ei.outputSize, Synthetic.classes, rng: &rng)
            let auxiliary = Linear(ei.outputSize, Synthetic.classes, rng: &rng)
            let before = auxiliary.stateDict()
            var s = ClassifierSchedule()
            s.epochs = 2
            s.batchSize = 12
            s.unimodalLossWeight = weight
            let o = try EvaluationProtocols.endToEnd(
                stage: "auxiliary", modules: [ei, head, auxiliary], train: train, val: val, test: val,
                augmentation: nil, schedule: s, seed: 1
            ) { b, _ in
                let f = ei(Variable(b.inertial))
                return [head(f), auxiliary(f)]
            }
            return (auxiliary.stateDict() != before, o.history[0].trainLoss)
        }
        let off = try fit(weight: 0)
        let on = try fit(weight: 1)
        XCTAssertFalse(off.auxiliaryChanged, "an auxiliary head learned with weight 0")
        XCTAssertTrue(on.auxiliaryChanged)
        // Two cross-entropies of near-chance logits: about twice the loss of one.
        XCTAssertGreaterThan(on.firstLoss, 1.5 * off.firstLoss)
    }

    /// The new schedule keys round-trip; files without them read as off (the paper's training).
    func testScheduleWithoutAuxiliaryKeysReadsAsOff() throws {
        var s = ClassifierSchedule()
        s.unimodalLossWeight = 0.5
        s.modalityDropout = 0.25
        XCTAssertEqual(try JSONDecoder().decode(ClassifierSchedule.self, from: JSONEncoder().encode(s)), s)
        let old = try JSONDecoder().decode(
            ClassifierSchedule.self,
            from: Data(
                #"{"epochs":5,"batchSize":8,"learningRate":0.001,"earlyStoppingPatience":3,"plateauFactor":0.5}"#.utf8))
        XCTAssertEqual(old.unimodalLossWeight, 0)
        XCTAssertEqual(old.modalityDropout, 0)
        let config = ExperimentConfig(name: "x", dataset: .utdMHAD)
        XCTAssertEqual(config.classifierSchedule(of: .supervisedSkeleton)?.plateauPatience, 10)
        XCTAssertEqual(
            ExperimentConfig.Stage.displayOrder.count, ExperimentConfig.Stage.allCases.count, "every stage listed")
    }

    /// The fusion-classifier protocol is the plain frozen-feature loop when its options are off (the same
    /// weights, bit for bit), and with modality dropout and auxiliary losses still learns the classes.
    func testFrozenFusionClassifierMatchesThePlainLoopWithItsOptionsOff() throws {
        var rng = SeededRNG(seed: 12)
        let ei = InertialEncoder(Synthetic.tinyInertial, rng: &rng)
        let es = SkeletonEncoder(Synthetic.tinySkeleton, rng: &rng)
        let f = FeatureSplits(encoders: [(ei, .inertial), (es, .skeleton)], train: train, val: val, test: val)
        func head() -> MultiModalClassifier {
            var r = SeededRNG(seed: 13)
            return MultiModalClassifier(
                inertialFeatures: ei.outputSize, skeletonFeatures: es.outputSize, hidden: 16, classes: 3, rng: &r)
        }
        var s = ClassifierSchedule()
        s.epochs = 15
        s.batchSize = 12
        let plain = head()
        _ = try EvaluationProtocols.frozenClassifier(
            stage: "plain", head: plain, features: f, classCount: 3, schedule: s, seed: 1
        ) { plain(inertial: $0[0], skeleton: $0[1]) }
        let fusion = head()
        _ = try EvaluationProtocols.frozenFusionClassifier(
            stage: "fusion", classifier: fusion, features: f, classCount: 3, schedule: s, seed: 1)
        XCTAssertEqual(plain.stateDict(), fusion.stateDict())

        s.epochs = 40
        s.modalityDropout = 0.5
        s.unimodalLossWeight = 1
        let balanced = head()
        let o = try EvaluationProtocols.frozenFusionClassifier(
            stage: "balanced", classifier: balanced, features: f, classCount: 3, schedule: s, seed: 1)
        XCTAssertNotEqual(balanced.stateDict(), plain.stateDict())
        XCTAssertGreaterThan(try XCTUnwrap(o.val).accuracy, 0.6)
    }
}
