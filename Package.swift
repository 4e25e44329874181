// swift-tools-version: 6.0
//
// libvmmalloc: the heap of any program in one fixed-size, file-backed pool.
//
// The library (`VMMalloc`) is Embedded Swift built whole-module: it links
// nothing but libc. `VMMallocShim` is the small C part that carries the
// exported C names; `VMMallocSystem` the platform headers and errno.
// `VMMallocConfig` is the configuration, its parser and its messages, shared
// by the library and the launcher (`Launcher`, the `vmmalloc` command, also
// Embedded Swift and libc alone). SwiftPM wants a name of its own for every
// product and `vmmalloc` is the library's (libvmmalloc.so), so the launcher is
// built as `vmmalloc-run` and installed as `vmmalloc`. The test target drives
// the built library the way users do, from C and C++ programs and real commands.
import PackageDescription

// SwiftPM asks for frame pointers on Linux; the library does without them
// (`-mframe-pointer=none`, given last, wins): the exported names and the
// `@_cdecl` entry points become plain jumps, and the hot paths keep a register.
let embedded: [SwiftSetting] = [
    .enableExperimentalFeature("Embedded"),
    .unsafeFlags(["-wmo", "-enforce-exclusivity=unchecked", "-Xfrontend", "-disable-stack-protector", "-Xfrontend", "-no-clang-module-breadcrumbs", "-Xcc", "-Xclang", "-Xcc", "-mframe-pointer=none"]),
]

let package = Package(
    name: "libvmmalloc",
    products: [
        .library(name: "vmmalloc", type: .dynamic, targets: ["VMMalloc"]),
        .executable(name: "vmmalloc-run", targets: ["Launcher"]),
    ],
    targets: [
        .target(name: "VMMallocSystem"),
        .target(name: "VMMallocConfig", dependencies: ["VMMallocSystem"], swiftSettings: embedded),
        .target(
            name: "VMMallocShim",
            dependencies: ["VMMallocSystem"],
            exclude: ["libvmmalloc.map"],
            // DWARF 4 like the Swift objects: valgrind 3.19 cannot read clang's DWARF 5 and stops.
            cSettings: [.unsafeFlags(["-fno-stack-protector", "-Xclang", "-mframe-pointer=none", "-gdwarf-4"])]
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
        // vmmalloc(1). SwiftPM links an executable's entry point as `<module>_main`
        // (Launcher_main) and calls it with argc and argv, which Embedded Swift
        // has no other way to reach; see Sources/Launcher/Launcher.swift.
        .executableTarget(
            name: "Launcher",
            dependencies: ["VMMallocConfig"],
            swiftSettings: embedded + [.unsafeFlags(["-parse-as-library"])],
            // Bind every symbol at start, as the library does (distributions ask it of programs).
            linkerSettings: [.unsafeFlags(["-Xlinker", "-z", "-Xlinker", "now"])]
        ),
        .testTarget(name: "VMMallocTests"),
    ]
)
