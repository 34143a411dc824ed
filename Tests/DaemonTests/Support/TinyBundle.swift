import CMCData
import CMCDaemon
import CMCHarness
import CMCModel
import Foundation
import XCTest

/// Small bundles built by the tests themselves (random weights, real metadata), so nothing depends on
/// a trained model being present.
enum TinyBundle {
    static var inertial: InertialEncoder.Config {
        var c = InertialEncoder.Config()
        c.channels = [4, 4, 8]
        c.feedForward = 16
        return c
    }

    static var skeleton: SkeletonEncoder.Config {
        var c = SkeletonEncoder.Config()
        c.channels = [4, 28, 4, 4, 8, 8]
        return c
    }

    /// A UTD-MHAD-shaped bundle; `classPrefix` renames the classes so a test can tell two models apart.
    static func make(
        info: DatasetInfo = UTDMHAD.info, windowSeconds: Double = 1.0, classPrefix: String = "", seed: UInt64 = 1
    ) -> ModelBundle {
        var info = info
        if !classPrefix.isEmpty { info.classNames = info.classNames.map { classPrefix + $0 } }
        let pre = info.name == "smartfallmm" ? Preprocessor.smartFallMM : Preprocessor.utdMHAD
        return UntrainedBundle.make(
            info: info, preprocessing: pre, windowSeconds: windowSeconds, inertial: inertial, skeleton: skeleton,
            classifierHidden: 8, seed: seed)
    }

    /// Saved to a fresh file in `directory`.
    static func file(
        in directory: URL, name: String = "model.safetensors", classPrefix: String = "", seed: UInt64 = 1,
        windowSeconds: Double = 1.0
    ) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try make(windowSeconds: windowSeconds, classPrefix: classPrefix, seed: seed).save(to: url)
        return url
    }
}

/// A temporary directory removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "cmc-daemon-tests-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}
