// swift-tools-version: 6.2
import PackageDescription

// Every target of ours builds in Swift 6 language mode (complete concurrency checking)
// and treats warnings as errors, so "no warnings" is enforced by the compiler, not by review.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "InfraMind",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "inframind", targets: ["inframind"]),
        // scripts/fuzz builds these with `-sanitize=fuzzer` (docs/fuzzing.md); they ship nowhere.
        .executable(name: "inframind-fuzz", targets: ["InfraMindFuzz"]),
        .executable(name: "inframind-fuzz-http", targets: ["InfraMindFuzzHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // No traits: the default ones (configuration support, "full Foundation") would link the whole of
        // Foundation, which nothing of ours needs (see Storage/SQLiteConnection.swift).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        // Already resolved through Hummingbird: HTTPAPI's connection guards sit in its HTTP pipeline.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
    ],
    targets: [
        // Bytes: the frame format, pure and fuzzable (no channels).
        .target(
            name: "Wire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            // The codec's state is one class per encode/decode, used from one thread; dynamic
            // exclusivity checks on it cost a fifth of encoding time (measured with perf).
            swiftSettings: strict + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        // Calls: the DistributedActorSystem over NIO + mutual TLS.
        .target(
            name: "ClusterSystem",
            dependencies: [
                "Wire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The transport benchmark (`inframind bench transport`): a library so it stays out of tests.
        .target(
            name: "TransportBenchmark",
            dependencies: [
                "ClusterSystem", "Wire", "Printf",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The membership shell: timers and the transport around the pure SWIM instance. Kept apart
        // so that the state machine's module cannot do I/O at all.
        .target(
            name: "MembershipShell",
            dependencies: [
                "Membership", "ClusterSystem", "Wire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // Members: SWIM + Lifeguard as a pure state machine (no I/O, no dependencies).
        .target(name: "Membership", swiftSettings: strict),
        // Deterministic simulation of many Membership instances on a virtual clock.
        .target(name: "Simulation", dependencies: ["Membership"], swiftSettings: strict),
        .testTarget(
            name: "MembershipTests",
            dependencies: ["Membership", "Simulation"],
            swiftSettings: strict
        ),
        // The system's SQLite (libsqlite3-dev), which Storage speaks to directly.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Durable assessment records and the agent-result journal; below Coordination, so it knows
        // nothing of the cluster or the domain (requests and reports are opaque bytes here).
        .target(
            name: "Storage",
            dependencies: ["CSQLite", .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "CSQLite"],
            swiftSettings: strict
        ),
        // Work: placement, leases, replication and takeover as a pure state machine (CoordinatorCore),
        // I/O-free, so the simulation runs the very code the nodes run.
        .target(
            name: "Coordination",
            dependencies: ["Membership", "Storage"],
            swiftSettings: strict
        ),
        // The node that drives the core: clock, store, worker tasks, outboxes to peers, `/coordinator`.
        .target(
            name: "CoordinationShell",
            dependencies: [
                "Coordination", "ClusterSystem", "Wire", "Membership", "MembershipShell", "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CoordinationShellTests",
            dependencies: [
                "Coordination", "CoordinationShell", "ClusterSystem", "Membership", "MembershipShell", "Storage",
                "Wire", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The whole coordination layer of a cluster on a virtual clock: real cores, real SWIM instances
        // (through the membership simulator), stores that survive crashes, faults and invariants on a seed.
        .target(
            name: "CoordinationSimulation",
            dependencies: ["Coordination", "Membership", "Simulation", "Storage", "Printf"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CoordinationTests",
            dependencies: ["Coordination", "CoordinationSimulation", "Membership", "Storage"],
            swiftSettings: strict
        ),
        // Domain: request validation, the shipped catalog, the eleven pure agents, the report.
        // C's printf for the few figures printed with a fixed format (String(format:) is Foundation's).
        .target(name: "Printf", swiftSettings: strict),
        .target(
            name: "Assessment",
            // Wire: requests and agent results cross the cluster and sit in the store in its binary
            // form (docs/performance.md, "The data path").
            dependencies: [
                "Printf", "Wire", .product(name: "NIOCore", package: "swift-nio"),
                // The finished report is kept and sent in gzip (StoredReport).
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            // Embedded in the binary (`PackageResources`): a copied bundle needs Foundation's `Bundle`
            // to find, and a binary that finds its catalog wherever it is copied is easier to deploy.
            resources: [
                .embedInCode("Resources/catalog/catalog.json"), .embedInCode("Resources/catalog/compliance.json"),
                .embedInCode("Resources/catalog/gpus.csv"), .embedInCode("Resources/catalog/gpu_interconnect.csv"),
                .embedInCode("Resources/catalog/instances.csv"), .embedInCode("Resources/catalog/mlops.json"),
                .embedInCode("Resources/catalog/models.csv"),
                .embedInCode("Resources/catalog/sizing.json"), .embedInCode("Resources/catalog/storage_network.csv"),
                .embedInCode("Resources/catalog/use_cases.json"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AssessmentTests",
            dependencies: ["Assessment"],
            swiftSettings: strict
        ),
        // MongoDB's C driver (libmongoc-dev, libbson-dev), which Archive speaks to directly.
        .systemLibrary(
            name: "CMongoc", pkgConfig: "libmongoc-1.0", providers: [.apt(["libmongoc-dev", "libbson-dev"])]),
        // The optional archive of finished assessments in MongoDB (docs/archive.md): the client pool,
        // the documents, the listing's queries and the writer that drains each node's queue.
        .target(
            name: "Archive",
            dependencies: [
                "CMongoc", "Storage", "Assessment",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The MongoDB server the archive's suites talk to (nx-27017 or INFRAMIND_TEST_MONGODB_URI),
        // shared by ArchiveTests and IntegrationTests; not part of the product.
        .target(name: "ArchiveTestServer", path: "Tests/ArchiveTestServer", swiftSettings: strict),
        .testTarget(
            name: "ArchiveTests",
            dependencies: [
                "Archive", "Storage", "Assessment", "ArchiveTestServer",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The public HTTP API of every node; written against the AssessmentService protocol, so it
        // never imports Coordination or ClusterSystem.
        .target(
            name: "HTTPAPI",
            dependencies: [
                "Assessment",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                // Its own one-thread pool that parses and validates request bodies, away from the
                // event loops and the cooperative pool membership runs on (docs/security.md).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The web console (docs/console.md), embedded like the catalog so one binary is all there
            // is to deploy.
            resources: [
                .embedInCode("Resources/console/index.html"), .embedInCode("Resources/console/console.css"),
                .embedInCode("Resources/console/app.js"), .embedInCode("Resources/console/api.js"),
                .embedInCode("Resources/console/dom.js"), .embedInCode("Resources/console/form.js"),
                .embedInCode("Resources/console/assessment.js"), .embedInCode("Resources/console/charts.js"),
                .embedInCode("Resources/console/list.js"), .embedInCode("Resources/console/cluster.js"),
                .embedInCode("Resources/console/icon.svg"),
                // Links to examples/: "Load example" serves the very files the tests and goldens use.
                .embedInCode("Resources/examples/bank-eu-70b-fine-tuning.json"),
                .embedInCode("Resources/examples/enterprise-405b-serving.json"),
                .embedInCode("Resources/examples/healthcare-startup-7b.json"),
                .embedInCode("Resources/examples/nonprofit-tight-budget.json"),
                .embedInCode("Resources/examples/retailer-web-analytics.json"),
                .embedInCode("Resources/examples/eu-public-sector-residency.json"),
                .embedInCode("Resources/examples/pretraining-13b.json"),
                .embedInCode("Resources/examples/saas-mixtral-32k.json"),
                .embedInCode("Resources/examples/web-startup-300.json"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: [
                "HTTPAPI", "Assessment",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: strict
        ),
        // The CLI's own pieces (API client output, the client commands' arguments) tested in process.
        .testTarget(
            name: "CLITests",
            dependencies: ["inframind", "NodeRuntime"],
            swiftSettings: strict
        ),
        // A node assembled from its configuration, and the adapters that join the two stacks: the
        // agents as CoordinationShell's TaskRunner, the coordinator as HTTPAPI's AssessmentService
        // (docs/architecture.md). The executable only parses arguments and calls into it.
        // The node config file's TOML (FlatTOML), apart so that its fuzz target builds without the node.
        .target(name: "NodeConfigFormat", swiftSettings: strict),
        .target(
            name: "NodeRuntime",
            dependencies: [
                "Wire", "Printf", "NodeConfigFormat",
                "ClusterSystem",
                "MembershipShell",
                "Membership",
                "Assessment",
                "HTTPAPI",
                "Coordination",
                "CoordinationShell",
                "Storage",
                "Archive",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // Its configuration errors are ArgumentParser's ValidationError: `inframind node` prints
                // them with its usage, whether they come from a flag or from the config file.
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The node configuration file and flags, the agent result cache, tested in process.
        .testTarget(
            name: "NodeRuntimeTests",
            dependencies: [
                "NodeRuntime", "NodeConfigFormat", "Assessment",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "inframind",
            dependencies: [
                "NodeRuntime", "Printf",
                "ClusterSystem",
                "TransportBenchmark",
                "Simulation",
                "CoordinationSimulation",
                "Assessment",
                "HTTPAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WireTests",
            dependencies: ["Wire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        // Real node processes: needs the `inframind` executable built beside the tests.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "ClusterSystem", "Wire", "Membership", "MembershipShell", "Assessment", "inframind",
                "ArchiveTestServer", "Archive", "HTTPAPI", "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // libFuzzer's driver entry, declared weak so the harnesses also link (as corpus replayers)
        // in builds without `-sanitize=fuzzer`, such as `swift build --build-tests` (docs/fuzzing.md).
        .target(name: "CLibFuzzer", path: "Fuzz/Sources/CLibFuzzer"),
        // What the fuzz executables share: the driver (a target chosen by name) and the input reader.
        .target(
            name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/Sources/FuzzSupport", swiftSettings: strict),
        // The fuzz targets (docs/fuzzing.md), in the package so that `package` declarations reach them.
        // Kept off the modules that link BoringSSL (HTTPAPI, ClusterSystem and what uses them): its
        // 800 C files would make the fuzz build too slow for scripts/test's short run.
        .executableTarget(
            name: "InfraMindFuzz",
            dependencies: [
                "FuzzSupport", "Wire", "Membership", "Coordination", "Storage", "Assessment", "NodeConfigFormat",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Fuzz/Sources/InfraMindFuzz",
            swiftSettings: strict
        ),
        // The list query as the route parses it needs HTTPAPI, and so BoringSSL: a product of its own.
        .executableTarget(
            name: "InfraMindFuzzHTTP",
            dependencies: [
                "FuzzSupport", "HTTPAPI", "Storage", .product(name: "HummingbirdCore", package: "hummingbird"),
            ],
            path: "Fuzz/Sources/InfraMindFuzzHTTP",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ClusterSystemTests",
            dependencies: [
                "ClusterSystem", "Wire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
    ]
)
