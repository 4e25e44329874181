// The FreeBSD code paths, compiled on Linux so that they cannot rot.
//
// There is no FreeBSD machine here. These tests compile the library's Swift
// sources and its C shim for a real FreeBSD target (os(FreeBSD) and
// __FreeBSD__ are true, the ELF is marked FreeBSD) against Tests/FreeBSD/sysroot:
// hand-written declarations of the FreeBSD API the library uses, with
// FreeBSD's types, signatures and constants. They link the objects into a
// shared object and check its exports and what it needs from libc. They do
// not run anything, and cannot tell where the hand-written headers differ from
// FreeBSD's own; README says so.
import Foundation
import Testing

enum FreeBSDBuild {
    static let sysroot = Paths.package + "/Tests/FreeBSD/sysroot"
    static let arch: String = {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }()
    /// FreeBSD 14 on this machine's architecture.
    static var target: String { "\(arch)-unknown-freebsd14.0" }

    /// The toolchain's bin directory (swiftc, clang and ld.lld come together).
    static func toolchainBin() throws -> String {
        let swiftc = try tool("swiftc")
        return (URL(fileURLWithPath: swiftc).resolvingSymlinksInPath().path as NSString).deletingLastPathComponent
    }

    /// The toolchain ships the Embedded Swift standard library for Linux but
    /// not for FreeBSD. Embedded Swift compiles the whole standard library
    /// into the client, so its module is the same for both; only the target
    /// recorded in it differs. This writes copies that record FreeBSD (the
    /// triple is overwritten in place by one of the same length, so the
    /// module's structure is untouched).
    static let standardLibrary: Result<String, HarnessError> = {
        do {
            let bin = try toolchainBin()
            let embedded = bin + "/../lib/swift/embedded"
            let linux = "\(arch)-unknown-linux-gnu", freebsd = "\(arch)-unknown-freebsd14"
            guard linux.utf8.count == freebsd.utf8.count else { throw HarnessError("triple lengths differ") }
            let out = Paths.work + "/freebsd-stdlib"
            let fm = FileManager.default
            var count = 0
            for module in try fm.contentsOfDirectory(atPath: embedded) where module.hasSuffix(".swiftmodule") {
                let source = "\(embedded)/\(module)/\(linux).swiftmodule"
                guard var data = fm.contents(atPath: source) else { continue }
                guard let range = data.range(of: Data(linux.utf8)) else {
                    throw HarnessError("\(source) does not name its target \(linux)")
                }
                data.replaceSubrange(range, with: Data(freebsd.utf8))
                try fm.createDirectory(atPath: "\(out)/\(module)", withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: "\(out)/\(module)/\(arch)-unknown-freebsd.swiftmodule"))
                count += 1
            }
            guard count > 0 else { throw HarnessError("no Embedded Swift modules for \(linux) in \(embedded)") }
            return .success(out)
        } catch let e as HarnessError {
            return .failure(e)
        } catch {
            return .failure(HarnessError("cannot prepare the FreeBSD standard library: \(error)"))
        }
    }()

    /// Compiles the library (Swift and C) for FreeBSD and links it; returns the shared object.
    static func buildLibrary(debug: Bool) throws -> String {
        let bin = try toolchainBin()
        let stdlib = try standardLibrary.get()
        let dir = TempDir.work("freebsd-\(debug ? "debug" : "release")")
        // The shim as SwiftPM presents it: a module of its header.
        try """
        module VMMallocShim {
            header "\(Paths.package)/Sources/VMMallocShim/include/vmmalloc_shim.h"
            export *
        }
        """.write(toFile: dir.file("module.modulemap"), atomically: true, encoding: .utf8)

        let sources = try FileManager.default.subpathsOfDirectory(atPath: Paths.package + "/Sources/VMMalloc")
            .filter { $0.hasSuffix(".swift") }.sorted().map { Paths.package + "/Sources/VMMalloc/" + $0 }
        // The settings of Package.swift for the library target.
        var swiftFlags = ["-target", target, "-enable-experimental-feature", "Embedded", "-wmo", "-O",
                          "-parse-as-library", "-module-name", "VMMalloc", "-enforce-exclusivity=unchecked",
                          "-Xfrontend", "-disable-stack-protector", "-Xcc", "-fno-stack-protector",
                          "-I", stdlib, "-I", dir.path, "-Xcc", "--sysroot=\(sysroot)",
                          "-c", "-o", dir.file("vmmalloc.o")]
        if debug { swiftFlags += ["-DVMMALLOC_DEBUG"] }
        try runChecked(bin + "/swiftc", swiftFlags + sources, timeout: 600)

        try runChecked(bin + "/clang", ["-target", target, "--sysroot=\(sysroot)", "-fPIC", "-fno-stack-protector",
                                        "-O2", "-Wall", "-Wextra", "-Werror",
                                        "-I", Paths.package + "/Sources/VMMallocShim/include",
                                        "-c", Paths.package + "/Sources/VMMallocShim/exports.c",
                                        "-o", dir.file("exports.o")])

        let library = dir.file("libvmmalloc.so")
        try runChecked(bin + "/ld.lld", ["-shared", "-soname", "libvmmalloc.so.1", "-z", "now",
                                         "--version-script", Paths.package + "/Sources/VMMallocShim/libvmmalloc.map",
                                         "-o", library, dir.file("vmmalloc.o"), dir.file("exports.o")])
        return library
    }

    /// Every function the hand-written FreeBSD headers declare.
    static func declaredFunctions() throws -> Set<String> {
        var names: Set<String> = []
        let root = sysroot + "/usr/include"
        for file in try FileManager.default.subpathsOfDirectory(atPath: root) where file.hasSuffix(".h") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            let regex = try NSRegularExpression(pattern: #"\*?\b([A-Za-z_][A-Za-z0-9_]*)\("#)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix(" *") && !line.hasPrefix("/*") {
                let s = String(line)
                for match in regex.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
                    if let r = Range(match.range(at: 1), in: s) { names.insert(String(s[r])) }
                }
            }
        }
        return names
    }
}

@Suite("FreeBSD code paths, compiled on Linux")
struct FreeBSDTests {
    @Test("the library builds for FreeBSD: a FreeBSD ELF that exports exactly the API and needs only declared FreeBSD libc functions",
          arguments: [false, true])
    func libraryBuilds(debug: Bool) throws {
        let library = try FreeBSDBuild.buildLibrary(debug: debug)

        let header = try runChecked(try tool("readelf"), ["-h", "-d", "-W", library])
        #expect(header.stdout.contains("UNIX - FreeBSD"), "not a FreeBSD ELF:\n\(header.stdout)")
        #expect(header.stdout.contains("Library soname: [libvmmalloc.so.1]"), "\(header.stdout)")

        func symbols(_ option: String) throws -> Set<String> {
            let r = try runChecked(try tool("nm"), ["-D", option, library])
            return Set(r.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
        }
        let exported = try symbols("--defined-only")
        #expect(exported == SymbolsTests.api,
                "unexpected: \(exported.subtracting(SymbolsTests.api).sorted()), missing: \(SymbolsTests.api.subtracting(exported).sorted())")

        // What the FreeBSD build calls must be FreeBSD's API (as declared in
        // the sysroot): no glibc or Linux name such as __errno_location,
        // syscall, strerrordesc_np or __libc_malloc may be left.
        let needed = try symbols("--undefined-only")
        let declared = try FreeBSDBuild.declaredFunctions()
        #expect(needed.subtracting(declared).isEmpty,
                "the FreeBSD build needs functions no FreeBSD header declares: \(needed.subtracting(declared).sorted())")
        #expect(needed.isSuperset(of: ["_umtx_op", "__error", "mkostemp", "posix_fallocate"]),
                "the FreeBSD paths (umtx wait/wake, errno, unnamed file, space reservation) are not the ones built: \(needed.sorted())")
    }

    @Test("<libvmmalloc.h> compiles for FreeBSD from C and C++, takes malloc_np.h's signature and declares no memalign, pvalloc or cfree",
          arguments: ["c11", "c++17"])
    func header(_ standard: String) throws {
        let bin = try FreeBSDBuild.toolchainBin()
        let language = standard.hasPrefix("c++") ? "c++" : "c"
        try runChecked(bin + "/clang", ["-target", FreeBSDBuild.target, "--sysroot=\(FreeBSDBuild.sysroot)",
                                        "-x", language, "-std=\(standard)",
                                        "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", Paths.include,
                                        Paths.package + "/Tests/FreeBSD/header_check.c"])
    }
}
