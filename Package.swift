// swift-tools-version:6.0
import PackageDescription

// Release builds of the numeric code run with bounds checks off: the kernels index raw buffers whose
// sizes are validated once at each op's entry (shape checks), not per element.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "cmc",
    products: [
        .executable(name: "cmc-bench", targets: ["cmc-bench"]),
        .executable(name: "cmc-train", targets: ["cmc-train"]),
        .executable(name: "cmcd", targets: ["cmcd"]),
        .executable(name: "cmc-replay", targets: ["cmc-replay"]),
        .executable(name: "cmc-record", targets: ["cmc-record"]),
        .executable(name: "cmc-proxy", targets: ["cmc-proxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libzmq3-dev, zlib1g-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),   // glibc mallopt

        .target(name: "CMCCore", swiftSettings: fast),
        .target(name: "CMCTensor", dependencies: ["CMCCore", "CBLAS", "CMalloc"], swiftSettings: fast),
        .target(name: "CMCData", dependencies: ["CMCCore", "CZlib"], swiftSettings: fast),
        .target(name: "CMCModel", dependencies: ["CMCTensor", "CMCData"], swiftSettings: fast),
        .target(name: "CMCTraining", dependencies: ["CMCModel", "CMCData"], swiftSettings: fast),
        .target(name: "CMCStream", dependencies: ["CMCCore", "CZeroMQ", "CZlib"], swiftSettings: fast),

        // What cmcd runs: configuration, life cycle, the model-bundle classifier on top of CMCStream.
        .target(name: "CMCDaemon", dependencies: ["CMCStream", "CMCModel", "CMCData", "CMCTensor", "CMCCore", "CMalloc"], swiftSettings: fast),
        // What runs around cmcd, never linked into it: replay, evaluation, stream benchmark, soak.
        .target(name: "CMCHarness", dependencies: ["CMCDaemon", "CMCStream", "CMCModel", "CMCData", "CMCTensor", "CMCCore"],
                swiftSettings: fast),

        .executableTarget(name: "cmc-bench", dependencies: ["CMCTraining", "CMCHarness", "CMCDaemon", argumentParser], swiftSettings: fast),
        .executableTarget(name: "cmcd", dependencies: ["CMCDaemon", "CMCStream", argumentParser], swiftSettings: fast),
        .executableTarget(name: "cmc-replay", dependencies: ["CMCHarness", "CMCDaemon", "CMCStream", "CMCData", argumentParser],
                          swiftSettings: fast),
        .executableTarget(name: "cmc-record", dependencies: ["CMCDaemon", "CMCStream", argumentParser], swiftSettings: fast),
        .executableTarget(name: "cmc-proxy", dependencies: ["CMCDaemon", "CMCStream", argumentParser], swiftSettings: fast),
        .executableTarget(name: "cmc-train", dependencies: ["CMCTraining", "CMCData", "CMCModel", argumentParser], swiftSettings: fast),

        .testTarget(name: "CMCTensorTests", dependencies: ["CMCTensor", "CMCModel", "CMCTraining"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CMCTrainingTests", dependencies: ["CMCTraining", "CMCModel", "CMCData", "CMCTensor", "CMCCore"]),
        .testTarget(name: "CMCDataTests", dependencies: ["CMCData"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CMCStreamTests", dependencies: ["CMCStream", "CMCCore"]),
        .testTarget(name: "DaemonTests", dependencies: ["CMCHarness", "CMCDaemon", "CMCStream", "CMCModel", "CMCData", "CMCTensor"]),
        .testTarget(name: "FuzzTests", dependencies: ["CMCData", "CMCTensor", "CMCModel", "CMCTraining", "CMCStream", "CMCCore"],
                    resources: [.copy("Corpus")]),
    ]
)
