import CMCDaemon
import CMCHarness
import CMCModel
import CMCStream
import CMCTensor
import XCTest

final class DaemonConfigTests: XCTestCase {
    func testDefaultsAreAStandaloneLocalhostDaemon() throws {
        let c = DaemonConfig()
        XCTAssertEqual(c.model, "models/utd-mhad-cmkm.safetensors")
        XCTAssertEqual(c.problems(), [])
        let p = try c.pipelineConfig()
        XCTAssertEqual(p.imuEndpoints, [.bind("tcp://127.0.0.1:5555")])
        XCTAssertEqual(p.skeletonEndpoints, [.bind("tcp://127.0.0.1:5556")])
        XCTAssertEqual(p.labelEndpoints, [.bind("tcp://127.0.0.1:5557")])
        XCTAssertEqual(c.metricsPort, 9557)
        XCTAssertNil(p.subjects)
        XCTAssertEqual(p.clock.mode, .aligned)
    }

    func testFileOverridesDefaultsAndTyposAreRefused() throws {
        let dir = try temporaryDirectory(self)
        let good = dir.appendingPathComponent("a.json")
        try Data(
            #"""
            {"subjects": "1-3,7", "hop_seconds": 0.25, "clock": "shared", "labels": ["connect:tcp://127.0.0.1:5560"],
             "smoothing_windows": 1}
            """#.utf8
        ).write(to: good)
        let c = try DaemonConfig.load(path: good.path)
        XCTAssertEqual(c.subjects?.ids, [1, 2, 3, 7])
        XCTAssertEqual(c.subjects?.description, "1-3,7")
        XCTAssertEqual(c.imu, [DaemonConfig.defaultIMU], "absent keys keep their defaults")
        let p = try c.pipelineConfig()
        XCTAssertEqual(p.subjects, [1, 2, 3, 7])
        XCTAssertEqual(p.hopSeconds, 0.25)
        XCTAssertEqual(p.clock.mode, .shared)
        XCTAssertEqual(p.smoothing.windows, 1)
        XCTAssertEqual(p.labelEndpoints, [.connect("tcp://127.0.0.1:5560")])

        let typo = dir.appendingPathComponent("b.json")
        try Data(#"{"hop_secs": 0.25}"#.utf8).write(to: typo)
        XCTAssertThrowsError(try DaemonConfig.load(path: typo.path)) {
            XCTAssertTrue("\($0)".contains("hop_secs"), "\($0)")
        }
        let wrongType = dir.appendingPathComponent("c.json")
        try Data(#"{"workers": "two"}"#.utf8).write(to: wrongType)
        XCTAssertThrowsError(try DaemonConfig.load(path: wrongType.path)) {
            XCTAssertTrue("\($0)".contains("workers"), "\($0)")
        }
    }

    func testConfigFileErrorsNameTheFileTheLineAndTheReason() throws {
        let dir = try temporaryDirectory(self)
        let syntax = dir.appendingPathComponent("syntax.json")
        try Data("{\n  \"hop_seconds\": 0.5,\n  \"workers\": x\n}\n".utf8).write(to: syntax)
        XCTAssertThrowsError(try DaemonConfig.load(path: syntax.path)) {
            XCTAssertTrue(
                "\($0)".contains("syntax.json: not valid JSON: unexpected \"x\" at line 3, column 14"), "\($0)")
        }
        let truncated = dir.appendingPathComponent("truncated.json")
        try Data("{\"workers\": 2,".utf8).write(to: truncated)
        XCTAssertThrowsError(try DaemonConfig.load(path: truncated.path)) {
            XCTAssertTrue("\($0)".contains("unexpected the end of the file at line 1, column 15"), "\($0)")
        }
        XCTAssertThrowsError(try DaemonConfig.load(path: dir.appendingPathComponent("absent.json").path)) {
            XCTAssertTrue("\($0)".contains("absent.json: cannot read it: No such file or directory"), "\($0)")
        }
        XCTAssertThrowsError(try DaemonConfig.load(path: dir.path)) {
            XCTAssertTrue("\($0)".contains("is a folder"), "\($0)")
        }
        let array = dir.appendingPathComponent("array.json")
        try Data("[1, 2]".utf8).write(to: array)
        XCTAssertThrowsError(try DaemonConfig.load(path: array.path)) {
            XCTAssertTrue("\($0)".contains("top level must be a JSON object"), "\($0)")
        }
    }

    func testEnvironmentOverridesTheFileAndNamesWhatItSet() throws {
        var file = DaemonConfig()
        file.workers = 1
        let (c, keys) = try file.overlaid(environment: [
            "CMC_MODEL": "/m.safetensors", "CMC_METRICS_PORT": "9999", "CMC_HOP_SECONDS": "0.25",
            "CMC_IMU": "bind:tcp://0.0.0.0:7000, connect:tcp://127.0.0.1:1",
            "CMC_SUBJECTS": "1-3", "PATH": "/usr/bin", "CMC_UNRELATED_THING": "x",
        ])
        XCTAssertEqual(Set(keys), ["model", "metrics_port", "hop_seconds", "imu", "subjects"])
        XCTAssertEqual(c.model, "/m.safetensors")
        XCTAssertEqual(c.metricsPort, 9999)
        XCTAssertEqual(c.hopSeconds, 0.25)
        XCTAssertEqual(c.imu, ["bind:tcp://0.0.0.0:7000", "connect:tcp://127.0.0.1:1"])
        XCTAssertEqual(c.subjects?.ids, [1, 2, 3])
        XCTAssertEqual(c.workers, 1, "what the environment does not name keeps the file's value")
        // "1e400" and "nan" parse as Doubles JSON cannot hold: refused naming the variable, not as a JSON writer error.
        for text in ["two", "1e400", "-inf", "nan"] {
            XCTAssertThrowsError(try file.overlaid(environment: ["CMC_WORKERS": text])) {
                XCTAssertTrue($0 is DaemonConfig.Invalid, "\(type(of: $0)): \($0)")
                XCTAssertTrue("\($0)".contains("CMC_WORKERS=\(text)"), "\($0)")
            }
        }
        XCTAssertEqual(try file.overlaid(environment: [:]).config, file)
    }

    func testMaxSubjectsMustFitInMemory() throws {
        let memory = try XCTUnwrap(DaemonConfig.memoryLimitBytes())
        var c = DaemonConfig()
        XCTAssertEqual(c.problems(), [], "the default (1024 subjects, ~160 MiB) fits")
        c.maxSubjects = min(1_000_000, Int(Double(memory) / DaemonConfig.bytesPerStreamingSubject) + 1)
        if Double(c.maxSubjects) * DaemonConfig.bytesPerStreamingSubject > 0.75 * Double(memory) {
            XCTAssertTrue(
                c.problems().contains { $0.hasPrefix("max_subjects:") && $0.contains("GiB") }, "\(c.problems())")
        }
    }

    func testProblemsAreNamed() {
        var c = DaemonConfig()
        c.imu = ["tcp://nowhere"]
        c.hopSeconds = 0
        c.clock = "gps"
        c.unknownThreshold = 2
        let problems = c.problems().joined(separator: "\n")
        for key in ["imu", "hop_seconds", "clock", "unknown_threshold"] {
            XCTAssertTrue(problems.contains(key), problems)
        }
        XCTAssertThrowsError(try c.pipelineConfig())
    }

    /// `inference_precision` takes float32 or int8; int8 only where the CPU runs it, refused at start-up otherwise.
    func testInferencePrecisionIsNamedAndChecked() throws {
        let file = try temporaryDirectory(self).appendingPathComponent("p.json")
        try Data(#"{"inference_precision": "int8"}"#.utf8).write(to: file)
        let c = try DaemonConfig.load(path: file.path)
        XCTAssertEqual(c.precisionValue, .int8)
        let problems = c.problems().joined(separator: "\n")
        if CPUFeatures.avx512VNNI {
            XCTAssertEqual(problems, "")
        } else {
            XCTAssertTrue(
                problems.contains("inference_precision: int8 inference needs a CPU with AVX512-VNNI"), problems)
        }
        XCTAssertEqual(DaemonConfig().precisionValue, .float32, "the default")
        var wrong = DaemonConfig()
        wrong.inferencePrecision = "fp16"
        XCTAssertNil(wrong.precisionValue)
        XCTAssertTrue(
            wrong.problems().contains("inference_precision: \"fp16\" is not float32 or int8"), "\(wrong.problems())")
        let (overlaid, keys) = try DaemonConfig().overlaid(environment: ["CMC_INFERENCE_PRECISION": "int8"])
        XCTAssertEqual(overlaid.precisionValue, .int8)
        XCTAssertEqual(keys, ["inference_precision"])
    }

    func testHeadsAreNamedAndChecked() throws {
        let file = try temporaryDirectory(self).appendingPathComponent("h.json")
        try Data(#"{"heads": "fused+skeleton"}"#.utf8).write(to: file)
        XCTAssertEqual(try DaemonConfig.load(path: file.path).headsValue, .fusedAndSkeleton)
        XCTAssertEqual(DaemonConfig().headsValue, Recognizer.HeadCombination.default)
        var wrong = DaemonConfig()
        wrong.heads = "skeleton"
        XCTAssertTrue(
            wrong.problems().contains("heads: \"skeleton\" is not fused or fused+skeleton"), "\(wrong.problems())")
    }

    func testSubjectLists() throws {
        XCTAssertEqual(try SubjectList(parsing: "5, 1-3").ids, [1, 2, 3, 5])
        XCTAssertThrowsError(try SubjectList(parsing: "3-1"))
        XCTAssertThrowsError(try SubjectList(parsing: "x"))
        XCTAssertThrowsError(try SubjectList(parsing: ""))
        XCTAssertEqual(SubjectList([9, 1, 2, 3]).description, "1-3,9")
    }
}
