// swift-tools-version:6.0
// The fuzz targets of Liaison, built with libFuzzer (`-sanitize=fuzzer`): a package of its
// own so that the main one carries no unsafe flags. Build and run it with ../scripts/fuzz.
import Foundation
import PackageDescription

// The main package is the folder above; SwiftPM names a path dependency after its folder
// (lowercased), whatever the clone is called.
let main = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()

let package = Package(
    name: "LiaisonFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: main.path)],
    targets: [
        .executableTarget(
            name: "liaison-fuzz",
            dependencies: [.product(name: "LiaisonFuzzing", package: main.lastPathComponent.lowercased())],
            swiftSettings: [.unsafeFlags(["-sanitize=fuzzer", "-parse-as-library"])],
            // lld: gold fails on libFuzzer's archive beside Swift's entry point.
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer", "-use-ld=lld"])]
        ),
    ]
)
