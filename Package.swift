// swift-tools-version: 6.0
//
// libvmmalloc: the heap of any program in one fixed-size, file-backed pool.
//
// The library (`VMMalloc`) is Embedded Swift built whole-module: it links
// nothing but libc. `VMMallocShim` is the small C part that carries the
// exported C names, errno and the platform headers. The test target drives the
// built library the way users do, from C and C++ programs and real commands.
import PackageDescription

let embedded: [SwiftSetting] = [
    .enableExperimentalFeature("Embedded"),
    .unsafeFlags(["-wmo", "-enforce-exclusivity=unchecked", "-Xfrontend", "-disable-stack-protector"]),
]

let package = Package(
    name: "libvmmalloc",
    products: [
        .library(name: "vmmalloc", type: .dynamic, targets: ["VMMalloc"]),
    ],
    targets: [
        .target(name: "VMMallocSystem"),
        .target(name: "VMMallocConfig", dependencies: ["VMMallocSystem"], swiftSettings: embedded),
        .target(
            name: "VMMallocShim",
            dependencies: ["VMMallocSystem"],
            exclude: ["libvmmalloc.map"],
            cSettings: [.unsafeFlags(["-fno-stack-protector"])]
        ),
        .target(
            name: "VMMalloc",
            dependencies: ["VMMallocShim", "VMMallocConfig"],
            swiftSettings: embedded,
            linkerSettings: [
                .unsafeFlags([
                    "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/VMMallocShim/libvmmalloc.map",
                    "-Xlinker", "-soname=libvmmalloc.so.1",
                    "-Xlinker", "-z", "-Xlinker", "now",
                ]),
            ]
        ),
        .testTarget(name: "VMMallocTests"),
    ]
)
