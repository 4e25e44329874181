// The Debian packages, built with `make dpkg`, installed with apt, used the
// way their users use them, and purged.
//
// This changes the machine (it installs into /usr and removes again), so it
// runs only as root and only where that is wanted: on CI (CI=true) or when
// VMMALLOC_TEST_PACKAGES=1. Anywhere else Swift Testing reports it as skipped,
// with the reason.
import Foundation
import Testing

enum Packages {
    static let wanted: Bool = {
        let env = ProcessInfo.processInfo.environment
        return getuid() == 0 && (env["CI"] == "true" || env["VMMALLOC_TEST_PACKAGES"] == "1")
    }()

    static let names = ["libvmmalloc", "libvmmalloc-dev", "libvmmalloc-debug", "vmmalloc"]

    /// `make dpkg` with scratch paths of its own (`swift test` holds .build);
    /// a second run reuses them. Returns the .deb files by package name.
    static func build() throws -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { $0.key != "LD_PRELOAD" }
        env["RELEASE_BUILD_DIR"] = ".build-dpkg"
        env["DEBUG_BUILD_DIR"] = ".build-dpkg-debug"
        try runChecked(try tool("make"), ["dpkg"], environment: env, directory: Paths.package, timeout: 900)
        let out = Paths.package + "/build/dpkg"
        var debs: [String: String] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: out) where file.hasSuffix(".deb") {
            let name = String(file.prefix { $0 != "_" })
            if names.contains(name) { debs[name] = out + "/" + file }
        }
        return debs
    }

    static func apt(_ arguments: [String]) throws -> RunResult {
        var env = baseEnvironment()
        env["DEBIAN_FRONTEND"] = "noninteractive"
        return try run(try tool("apt-get"), ["-y", "-q"] + arguments, environment: env, timeout: 300)
    }

    static func installedFiles(_ package: String) -> [String] {
        guard let r = try? run(try tool("dpkg-query"), ["-L", package]), r.succeeded else { return [] }
        return r.stdoutLines
    }
}

@Suite("Debian packages")
struct PackageTests {
    // Installs into /usr and purges again: root, and only on CI or when asked.
    @Test("make dpkg builds the packages; installed, they preload, link, select the debug variant, show the man page; purge leaves nothing",
          .enabled(if: Packages.wanted,
                   "changes the system: runs only as root with CI=true or VMMALLOC_TEST_PACKAGES=1"),
          .timeLimit(.minutes(10)))
    func packagesWork() throws {
        let debs = try Packages.build()
        for required in Packages.names.dropLast() {
            #expect(debs[required] != nil, "make dpkg did not build \(required): \(debs)")
        }
        let hasLauncher = debs["vmmalloc"] != nil

        // Install; whatever happens next, purge at the end.
        let install = try Packages.apt(["install", "--no-install-recommends"] + debs.values.sorted())
        defer { _ = try? Packages.apt(["purge"] + debs.keys.sorted()) }
        try #require(install.succeeded, "apt-get install failed:\n\(install)")
        let installed = debs.keys.flatMap { Packages.installedFiles($0) }
        #expect(installed.contains("/usr/lib/libvmmalloc.so.1.1.0"), "\(installed)")

        let pool = TempDir.pool()
        defer { pool.remove() }
        var env = baseEnvironment()
        env["VMMALLOC_POOL_DIR"] = pool.path
        env["VMMALLOC_POOL_SIZE"] = "64M"
        let realPool = URL(fileURLWithPath: pool.path).resolvingSymlinksInPath().path

        // Preloading by bare name: the loader finds /usr/lib/libvmmalloc.so.1,
        // and ls holds the pool file (an unnamed file in the pool directory) open.
        var preload = env
        preload["LD_PRELOAD"] = "libvmmalloc.so.1"
        let ls = try run(try tool("ls"), ["-l", "/proc/self/fd/"], environment: preload)
        #expect(ls.succeeded && ls.stdout.contains(realPool + "/"), "ls does not hold a pool file in \(realPool):\n\(ls)")
        let maps = try run(try tool("cat"), ["/proc/self/maps"], environment: preload)
        #expect(maps.succeeded && maps.stdout.contains("/usr/lib/libvmmalloc.so.1.1.0"), "\(maps)")
        #expect(maps.stdoutLines.contains { $0.contains(" rw-s ") && $0.contains(realPool + "/") },
                "no shared mapping of a pool file in \(realPool):\n\(maps)")
        var tooSmall = preload
        tooSmall["VMMALLOC_POOL_SIZE"] = "1M"
        let refused = try run(try tool("ls"), [], environment: tooSmall)
        #expect(refused.signal == SIGABRT && refused.stderr.contains("libvmmalloc: VMMALLOC_POOL_SIZE=1M is below the minimum"),
                "\(refused)")

        // Linking: `cc file.c -lvmmalloc`, and with pkg-config's flags.
        let work = TempDir.work("installed")
        defer { work.remove() }
        let source = Paths.programs + "/installed.c"
        let cc = try tool("cc")
        let plain = work.file("plain")
        try runChecked(cc, [source, "-o", plain, "-lvmmalloc"])
        let pkgconfig = try runChecked(try tool("pkg-config"), ["--cflags", "--libs", "libvmmalloc"])
        #expect(pkgconfig.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                    .contains("-lvmmalloc"), "\(pkgconfig)")
        let viaPkgconfig = work.file("pkgconfig")
        let flags = pkgconfig.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        try runChecked(cc, [source, "-o", viaPkgconfig] + flags)
        for program in [plain, viaPkgconfig] {
            let r = try run(program, environment: env)
            #expect(r.succeeded && r.stdout.contains("OK installed 1.1 min_pool=14680064"), "\(r)")
        }

        // LD_LIBRARY_PATH=/usr/lib/vmem_debug puts the debug variant in its place,
        // for a preloaded and for a linked program.
        var debug = preload
        debug["LD_LIBRARY_PATH"] = "/usr/lib/vmem_debug"
        let debugMaps = try run(try tool("cat"), ["/proc/self/maps"], environment: debug)
        #expect(debugMaps.succeeded && debugMaps.stdout.contains("/usr/lib/vmem_debug/libvmmalloc.so.1.1.0")
                    && !debugMaps.stdout.contains("/usr/lib/libvmmalloc.so.1.1.0"), "\(debugMaps)")
        var linkedDebug = env
        linkedDebug["LD_LIBRARY_PATH"] = "/usr/lib/vmem_debug"
        let ldd = try run(try tool("ldd"), [plain], environment: linkedDebug)
        #expect(ldd.stdout.contains("libvmmalloc.so.1 => /usr/lib/vmem_debug/libvmmalloc.so.1"), "\(ldd)")
        #expect(try run(plain, environment: linkedDebug).succeeded)

        // The manual page.
        var manEnv = baseEnvironment()
        manEnv["MANPAGER"] = "cat"
        manEnv["MANWIDTH"] = "80"
        let man = try run(try tool("man"), ["libvmmalloc"], environment: manEnv)
        #expect(man.succeeded && man.stdout.contains("LIBVMMALLOC(7)") && man.stdout.contains("VMMALLOC_POOL_SIZE"), "\(man)")

        if hasLauncher {
            let launcher = try run("/usr/bin/vmmalloc", ["--version"])
            #expect(launcher.succeeded, "\(launcher)")
            let page = try run(try tool("man"), ["1", "vmmalloc"], environment: manEnv)
            #expect(page.succeeded && page.stdout.contains("VMMALLOC(1)"), "\(page)")
        }

        // Purge: no package left, none of their files left.
        let purge = try Packages.apt(["purge"] + debs.keys.sorted())
        #expect(purge.succeeded, "\(purge)")
        for name in debs.keys {
            #expect(Packages.installedFiles(name).isEmpty, "\(name) is still installed")
        }
        let left = installed.filter { $0.hasPrefix("/usr/") && $0.contains("vmmalloc") && FileManager.default.fileExists(atPath: $0) }
        #expect(left.isEmpty, "left after purge: \(left)")
    }
}
