// swift-tools-version: 6.1
import PackageDescription

// The executables' malloc is jemalloc (see LiaisonAllocator), except when this is set: an
// AddressSanitizer build brings its own malloc, and with jemalloc beside it memory allocated
// by one was freed by the other. `scripts/test --asan` sets it.
let systemMalloc = Context.environment["LIAISON_SYSTEM_MALLOC"] != nil

let package = Package(
    name: "Liaison",
    products: [
        .library(name: "LuaKit", targets: ["LuaKit"]),
        .library(name: "LiaisonModel", targets: ["LiaisonModel"]),
        .library(name: "LiaisonStore", targets: ["LiaisonStore"]),
        .library(name: "LiaisonFolder", targets: ["LiaisonFolder"]),
        .library(name: "LiaisonRuntime", targets: ["LiaisonRuntime"]),
        .library(name: "LiaisonTesting", targets: ["LiaisonTesting"]),
        .library(name: "LiaisonFuzzing", targets: ["LiaisonFuzzing"]),
        // Link it to make jemalloc an application's malloc, as the executables do.
        .library(name: "LiaisonAllocator", targets: ["LiaisonAllocator"]),
        .executable(name: "liaison", targets: ["liaison"]),
        .executable(name: "liaison-bench", targets: ["liaison-bench"]),
        .executable(name: "liaison-load", targets: ["liaison-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `liaison serve`: HTTP (without swift-configuration, which the server does not read),
        // EdDSA bearer tokens, Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // System Lua 5.4, found through pkg-config; `apt-get install liblua5.4-dev` provides it.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // The only C we write: trampolines, protected helpers, allocator, interrupt hook.
        .target(name: "CLuaShim", dependencies: ["CLua"]),
        // Domain-free Swift embedding of Lua.
        .target(name: "LuaKit", dependencies: ["CLua", "CLuaShim"]),
        // The shared domain, pure Swift: entities, rules, commands, events. No Lua, no SQL.
        .target(name: "LiaisonModel"),
        // Durable state and the audit ledger behind one `Store` boundary: SQLite through GRDB
        // and an in-memory store; SHA-256 through swift-crypto.
        // The one SQLite call Swift cannot make (a variadic function).
        .target(name: "CSQLiteShim", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "LiaisonStore",
            dependencies: [
                "LiaisonModel",
                "CSQLiteShim",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, as GRDB links it: the ledger insert binds its columns directly.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The same store boundary on PostgreSQL, through PostgresNIO (pure Swift, no libpq): an
        // operation several processes share. Apart from LiaisonStore so that what does not
        // use it (the fuzz targets, the benchmark's core) does not build SwiftNIO.
        .target(
            name: "LiaisonPostgres",
            dependencies: ["LiaisonStore", "LiaisonModel", .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log")]
        ),
        // `liaison serve`: one operation shared over HTTP by agencies holding Ed25519 keys, its
        // client (the remote console, `plugins push`, the load driver) and the tokens.
        .target(
            name: "LiaisonServer",
            dependencies: ["LiaisonRuntime", "LiaisonModel", "LiaisonStore", "LiaisonFolder", "LiaisonPostgres",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "JWTKit", package: "jwt-kit"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        // The tests' PostgreSQL server: the one scripts/test started, or a private one.
        .target(name: "LiaisonTestSupport", dependencies: ["LiaisonPostgres"]),
        // Operation folders: operation.toml, manifest.csv, plugins' plugin.toml and
        // timeline.toml, read through TOMLKit with every problem located.
        .target(name: "LiaisonFolder", dependencies: ["LiaisonModel", "TOMLKit"]),
        // Generated operations of any size, for the benchmark and the store's tests.
        .target(name: "LiaisonSynthetic", dependencies: ["LiaisonModel"]),
        // The fuzz targets' bodies: the Fuzz/ package builds them with libFuzzer, the tests
        // run their corpora.
        .target(name: "LiaisonFuzzing", dependencies: ["LiaisonFolder", "LiaisonModel", "LiaisonRuntime", "LiaisonStore", "LuaKit"]),
        // The engine: agency plugins (plugin.toml, sandboxed Lua), the Lua face of the model,
        // notices rendered through Mustache, timelines, run reports and editor stubs.
        .target(
            name: "LiaisonRuntime",
            dependencies: [
                "LuaKit",
                "LiaisonModel",
                "LiaisonStore",
                "LiaisonFolder",
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // jemalloc (Debian: libjemalloc-dev), the executables' malloc: see LiaisonAllocator.
        .systemLibrary(name: "CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),
        .target(name: "LiaisonAllocator", dependencies: systemMalloc ? [] : ["CJemalloc"]),
        // libedit (Debian: libedit-dev), for the console's line editing and history.
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .target(name: "CConsole", dependencies: ["CEditLine"]),
        // `liaison repl`: the console onto a live operation.
        .target(name: "LiaisonREPL", dependencies: ["CConsole", "LuaKit", "LiaisonModel", "LiaisonStore", "LiaisonFolder", "LiaisonRuntime", "LiaisonServer"]),
        // `liaison test` and `liaison replay`: the Lua test runner agencies use, scenario
        // fixtures, reporters; the project's own Lua-level tests run through it too.
        .target(name: "LiaisonTesting", dependencies: ["LuaKit", "LiaisonModel", "LiaisonStore", "LiaisonFolder", "LiaisonRuntime"]),
        .executableTarget(
            name: "liaison",
            dependencies: [
                "LuaKit",
                "LiaisonModel",
                "LiaisonStore",
                "LiaisonPostgres",
                "LiaisonFolder",
                "LiaisonSynthetic",
                "LiaisonRuntime",
                "LiaisonTesting",
                "LiaisonREPL",
                "LiaisonServer",
                "LiaisonAllocator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A small application embedding the host (Examples/embedding), built and run by the tests.
        .executableTarget(name: "liaison-embedding", dependencies: ["LiaisonRuntime", "LiaisonModel"], path: "Examples/embedding"),
        // Baselines for the benchmark, written against the raw C API of the same liblua.
        .target(name: "LiaisonBenchBaseline", dependencies: ["CLua"], linkerSettings: [.linkedLibrary("sqlite3")]),
        .executableTarget(
            name: "liaison-bench",
            dependencies: ["LuaKit", "CLua", "CLuaShim", "LiaisonBenchBaseline", "LiaisonModel", "LiaisonStore", "LiaisonPostgres", "LiaisonSynthetic", "LiaisonRuntime", "LiaisonAllocator"]
        ),
        // The load driver: agencies' clients against `liaison serve` on PostgreSQL and on SQLite,
        // latencies in an HdrHistogram.
        .executableTarget(
            name: "liaison-load",
            dependencies: ["LiaisonServer", "LiaisonModel", "LiaisonPostgres", "LiaisonAllocator", .product(name: "Histogram", package: "hdrhistogram-swift"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        .testTarget(name: "LuaKitTests", dependencies: ["LuaKit", "CLua"]),
        .testTarget(
            name: "LiaisonStoreTests",
            dependencies: ["LiaisonStore", "LiaisonPostgres", "LiaisonTestSupport", "LiaisonModel", "LiaisonSynthetic", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "LiaisonModelTests",
            dependencies: ["LiaisonModel", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "LiaisonRuntimeTests",
            dependencies: ["LiaisonRuntime", "LiaisonStore", "LiaisonFolder", "LiaisonModel", "LuaKit", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "LiaisonFolderTests", dependencies: ["LiaisonFolder", "LiaisonModel"]),
        .testTarget(name: "LiaisonFuzzingTests", dependencies: ["LiaisonFuzzing"]),
        .testTarget(name: "LiaisonTestingTests", dependencies: ["LiaisonTesting", "LiaisonRuntime", "LiaisonFolder"]),
        .testTarget(name: "LiaisonCLITests", dependencies: ["liaison", "liaison-bench", "liaison-load", "liaison-embedding", "LiaisonTestSupport", "LiaisonServer"]),
    ],
    swiftLanguageModes: [.v6]
)
