// swift-tools-version:6.0
import PackageDescription

// Each C library is wrapped by a thin system-library target (module map + pkg-config +
// the Debian package that provides it). Only one Swift file imports each of them.
let package = Package(
    name: "styled",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "styled", targets: ["styled"]),
        .library(name: "Engine", targets: ["Engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CGIF", pkgConfig: "libgif", providers: [.apt(["libgif-dev"])]),
        .systemLibrary(name: "CInotifyTools", providers: [.apt(["libinotifytools0-dev"])]),
        .systemLibrary(name: "CLBFGSB", providers: [.apt(["liblbfgsb-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // The seccomp filter that `styled decode` puts itself under before decoding an image.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // libpng and libjpeg report errors by longjmp; Swift cannot hold a setjmp, so the
        // decode and encode calls that may jump live in this small C target.
        .target(name: "ImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        // The innermost loops (Winograd's transforms, pooling), in C so that `restrict`
        // lets them be vectorised, and built for AVX-512, AVX2 and baseline x86-64 (target_clones).
        .target(name: "VectorKernels"),
        // renameat2(RENAME_NOREPLACE), which Swift's Glibc module does not declare.
        .target(name: "CSystem"),
        .target(
            name: "Engine",
            dependencies: ["COpenBLAS", "CGIF", "CLBFGSB", "CCrypto", "ImageCodecs", "VectorKernels"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        // Everything about files, jobs and services, as a library so that tests can call the
        // parsing and the service directly; `styled` is only its entry point.
        .target(
            name: "Daemon",
            dependencies: [
                "Engine", "CInotifyTools", "CSystem", "CSeccomp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            // The tests are built in release (the renders are too slow otherwise) and reach the
            // daemon's internals with @testable, which release builds allow only with this.
            swiftSettings: [.unsafeFlags(["-enable-testing"])]
        ),
        .executableTarget(name: "styled", dependencies: ["Daemon"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine"], exclude: ["Fixtures"]),
        // Runs the `styled` executable itself, as users and services do, and the daemon's parts.
        .testTarget(name: "StyledTests", dependencies: ["Engine", "Daemon", "styled"], exclude: ["slurm.conf.template"]),
    ],
    swiftLanguageModes: [.v5]
)
