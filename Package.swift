// swift-tools-version:6.0
import PackageDescription

// Release builds keep Swift's safety checks (bounds, overflow, preconditions) everywhere but in the
// numeric kernels of CMCTensor, which index raw buffers whose sizes are validated once at each op's
// entry: the frame decoder, the MAT/CSV/safetensors/config parsers and the daemon read untrusted input,
// and a bug the fuzzer misses must trap (systemd restarts the daemon) instead of corrupting memory.
// Measured with `cmc-bench engine` (docs/results/safety-checks.md): checks on in CMCTensor too cost
// about 12 % of training throughput; off there alone, nothing measurable is lost.
let kernels: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
#if arch(x86_64)
    let vnni: [SwiftSetting] = [
        .unsafeFlags(["-Xcc", "-mavx512f", "-Xcc", "-mavx512bw", "-Xcc", "-mavx512vl", "-Xcc", "-mavx512vnni"])
    ]
#else
    let vnni: [SwiftSetting] = []
#endif

let package = Package(
    name: "cmc",
    products: [
        .executable(name: "cmc-bench", targets: ["cmc-bench"]),
        .executable(name: "cmc-train", targets: ["cmc-train"]),
        .executable(name: "cmcd", targets: ["cmcd"]),
        .executable(name: "cmc-replay", targets: ["cmc-replay"]),
        .executable(name: "cmc-record", targets: ["cmc-record"]),
        .executable(name: "cmc-proxy", targets: ["cmc-proxy"]),
        // For sensor gateways written in Swift: publish frames, receive labels and action events.
        .library(name: "CMCClient", targets: ["CMCClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libzmq3-dev, zlib1g-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"), // glibc mallopt
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"), // prefetch instructions (no library)

        .target(name: "CMCCore", dependencies: [logging]),
        // The int8 kernels on AVX512-VNNI, through Clang's intrinsics, and the float/byte conversions around
        // them. The flags let the compiler use AVX-512 anywhere in this module, so it holds those alone and
        // callers check the CPU first.
        .target(name: "CMCVNNI", dependencies: ["CPrefetch"], swiftSettings: vnni + kernels),
        .target(
            name: "CMCTensor", dependencies: ["CMCCore", "CBLAS", "CMalloc", "CMCVNNI"], swiftSettings: kernels),
        // The safetensors decoder reads model bundles and checkpoints from disk: checked, apart from the kernels.
        .target(name: "CMCSafeTensors", dependencies: ["CMCTensor"]),
        .target(name: "CMCData", dependencies: ["CMCCore", "CZlib"]),
        .target(name: "CMCModel", dependencies: ["CMCTensor", "CMCSafeTensors", "CMCData", "CMCCore"]),
        .target(name: "CMCTraining", dependencies: [logging, "CMCModel", "CMCSafeTensors", "CMCData", "CMCCore"]),
        .target(name: "CMCStream", dependencies: [logging, "CMCCore", "CZeroMQ", "CZlib"]),

        // What cmcd runs: configuration, life cycle, the model-bundle classifier on top of CMCStream.
        // The BuildInfo plugin gives `--version` the git commit being built.
        .target(
            name: "CMCDaemon",
            dependencies: [logging, "CMCStream", "CMCModel", "CMCData", "CMCTensor", "CMCCore", "CMalloc"],
            plugins: ["BuildInfo"]),
        .plugin(name: "BuildInfo", capability: .buildTool()),
        // What runs around cmcd, never linked into it: replay, evaluation, stream benchmark, soak.
        .target(
            name: "CMCHarness",
            dependencies: [
                logging, "CMCDaemon", "CMCStream", "CMCModel", "CMCSafeTensors", "CMCData", "CMCTensor", "CMCCore",
            ]),

        // Training for what cmcd sees: windows cut by the daemon's own code from simulated sessions.
        .target(
            name: "CMCStreamTraining",
            dependencies: [
                logging, "CMCHarness", "CMCTraining", "CMCDaemon", "CMCStream", "CMCModel", "CMCData",
                "CMCTensor", "CMCCore",
            ]),
        .target(name: "CMCClient", dependencies: ["CMCStream", "CMCCore"]),
        // What the executables share: typed arguments and option groups.
        .target(
            name: "CMCCommandLine",
            dependencies: [logging, "CMCHarness", "CMCDaemon", "CMCStream", "CMCData", argumentParser]),

        .executableTarget(
            name: "cmc-bench",
            dependencies: [logging, "CMCCommandLine", "CMCTraining", "CMCHarness", "CMCDaemon", argumentParser]),
        .executableTarget(name: "cmcd", dependencies: [logging, "CMCDaemon", "CMCStream", argumentParser]),
        .executableTarget(
            name: "cmc-replay",
            dependencies: [
                logging, "CMCCommandLine", "CMCHarness", "CMCDaemon", "CMCStream", "CMCData", argumentParser,
            ]),
        .executableTarget(
            name: "cmc-record", dependencies: [logging, "CMCCommandLine", "CMCDaemon", "CMCStream", argumentParser]),
        .executableTarget(
            name: "cmc-proxy", dependencies: [logging, "CMCCommandLine", "CMCDaemon", "CMCStream", argumentParser]),
        .executableTarget(
            name: "cmc-train",
            dependencies: [
                logging, "CMCCommandLine", "CMCTraining", "CMCStreamTraining", "CMCHarness", "CMCDaemon", "CMCData",
                "CMCModel",
                argumentParser,
            ]),

        // Shared by the test targets: PyTorch fixtures (float64, tools/make_fixtures.py), the parity and
        // finite-difference checkers, waiting on conditions.
        .target(
            name: "CMCTestSupport", dependencies: ["CMCSafeTensors", "CMCTensor", "CMCCore"],
            path: "Tests/CMCTestSupport",
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "CMCTensorTests", dependencies: ["CMCTestSupport", "CMCSafeTensors", "CMCTensor", "CMCCore"]),
        .testTarget(name: "CMCModelTests", dependencies: ["CMCTestSupport", "CMCModel", "CMCTensor", "CMCCore"]),
        .testTarget(
            name: "CMCTrainingTests",
            dependencies: [
                "CMCTestSupport", "CMCSafeTensors", "CMCTraining", "CMCModel", "CMCData", "CMCTensor", "CMCCore",
            ]),
        .testTarget(name: "CMCDataTests", dependencies: ["CMCData"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "CMCStreamTests", dependencies: ["CMCTestSupport", logging, "CMCStream", "CMCCore", "CMCClient"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "CMCTestSupport", logging, "CMCSafeTensors", "CMCHarness", "CMCStreamTraining", "CMCDaemon",
                "CMCStream", "CMCModel", "CMCData", "CMCTensor",
            ]),
        .testTarget(
            name: "FuzzTests",
            dependencies: [
                "CMCSafeTensors", "CMCData", "CMCTensor", "CMCModel", "CMCTraining", "CMCStream", "CMCDaemon",
                "CMCCore",
            ],
            resources: [.copy("Corpus")]),
    ]
)
