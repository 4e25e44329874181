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

    /// Runs make at the top of the package with SwiftPM scratch paths of its
    /// own (`swift test` holds .build), which later runs reuse.
    @discardableResult
    static func make(_ arguments: [String]) throws -> RunResult {
        var env = ProcessInfo.processInfo.environment.filter { $0.key != "LD_PRELOAD" }
        env["RELEASE_BUILD_DIR"] = ".build-dpkg"
        env["DEBUG_BUILD_DIR"] = ".build-dpkg-debug"
        return try runChecked(try tool("make"), arguments, environment: env, directory: Paths.package, timeout: 900)
    }

    /// `make dpkg`; returns the .deb files by package name.
    static func build() throws -> [String: String] {
        try make(["dpkg"])
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

/// The release, from the one place it is written: the first line of debian/changelog.
let releaseVersion: String = {
    let changelog = (try? String(contentsOfFile: Paths.package + "/debian/changelog", encoding: .utf8)) ?? ""
    let first = changelog.split(separator: "\n").first ?? ""
    guard let open = first.firstIndex(of: "("), let close = first.firstIndex(of: ")") else { return "?" }
    return String(first[first.index(after: open)..<close])
}()

/// The library's file name, libvmmalloc.so.<version>.
let realName = "libvmmalloc.so.\(releaseVersion)"

/// What `make install` writes with prefix=/usr, and where each link points.
let installedLayout: [String: String?] = {
    var files: [String: String?] = [
        "usr/lib/\(realName)": nil,
        "usr/lib/libvmmalloc.so.1": realName,
        "usr/lib/libvmmalloc.so": "libvmmalloc.so.1",
        "usr/lib/vmem_debug/\(realName)": nil,
        "usr/lib/vmem_debug/libvmmalloc.so.1": realName,
        "usr/include/libvmmalloc.h": nil,
        "usr/lib/pkgconfig/libvmmalloc.pc": nil,
        "usr/share/man/man7/libvmmalloc.7": nil,
    ]
    if FileManager.default.fileExists(atPath: Paths.package + "/man/vmmalloc.1") {
        files.updateValue(nil, forKey: "usr/bin/vmmalloc")
        files.updateValue(nil, forKey: "usr/share/man/man1/vmmalloc.1")
    }
    return files
}()

/// Files and symbolic links under `root`, relative to it.
func filesBelow(_ root: String) -> Set<String> {
    guard let all = FileManager.default.subpaths(atPath: root) else { return [] }
    return Set(all.filter { path in
        var info = stat()
        return lstat(root + "/" + path, &info) == 0 && (info.st_mode & UInt32(S_IFMT)) != UInt32(S_IFDIR)
    })
}

// One at a time: the tests share make's scratch paths and staging directory.
@Suite("Installing: make install, the man page, the Debian packages", .serialized)
struct PackageTests {
    @Test("make install honours DESTDIR and prefix, writes the layout (release stripped, debug not), make uninstall removes it all")
    func makeInstall() throws {
        let dest = TempDir.work("destdir")
        defer { dest.remove() }
        try Packages.make(["install", "DESTDIR=\(dest.path)", "prefix=/usr"])
        let files = filesBelow(dest.path)
        #expect(files == Set(installedLayout.keys), "extra: \(files.subtracting(installedLayout.keys).sorted()), missing: \(Set(installedLayout.keys).subtracting(files).sorted())")
        for (file, target) in installedLayout {
            let link = try? FileManager.default.destinationOfSymbolicLink(atPath: dest.file(file))
            #expect(link == target, "\(file) should be \(target.map { "a link to " + $0 } ?? "a file"), is \(link ?? "a file")")
        }
        func sections(_ file: String) throws -> String { try runChecked(try tool("readelf"), ["-S", "-W", dest.file(file)]).stdout }
        #expect(!(try sections("usr/lib/\(realName)")).contains(".symtab"), "the release variant is not stripped")
        let debugSections = try sections("usr/lib/vmem_debug/\(realName)")
        #expect(debugSections.contains(".symtab") && debugSections.contains(".debug_info"), "the debug variant lost its symbols")
        // The linker's concatenation of the objects' name indexes makes gdb warn and ignore it.
        #expect(!debugSections.contains(".debug_names"), "the debug variant carries a name index gdb rejects")
        let pc = try String(contentsOfFile: dest.file("usr/lib/pkgconfig/libvmmalloc.pc"), encoding: .utf8)
        #expect(pc.contains("libdir=/usr/lib\n") && pc.contains("includedir=/usr/include\n") && pc.contains("Version: \(releaseVersion)\n"), "\(pc)")
        let page = try String(contentsOfFile: dest.file("usr/share/man/man7/libvmmalloc.7"), encoding: .utf8)
        #expect(page.contains("\"libvmmalloc \(releaseVersion)\"") && !page.contains("@VERSION@"), "the page does not carry the version")

        try Packages.make(["uninstall", "DESTDIR=\(dest.path)", "prefix=/usr"])
        #expect(filesBelow(dest.path).isEmpty, "left after make uninstall: \(filesBelow(dest.path).sorted())")
    }

    @Test("make install puts everything under /usr/local by default, and libdir, includedir and mandir move their parts")
    func installDirectories() throws {
        let dest = TempDir.work("destdir")
        defer { dest.remove() }
        try Packages.make(["install", "DESTDIR=\(dest.path)"])
        #expect(filesBelow(dest.path) == Set(installedLayout.keys.map { "usr/local/" + $0.dropFirst(4) }), "\(filesBelow(dest.path).sorted())")
        try Packages.make(["uninstall", "DESTDIR=\(dest.path)"])
        #expect(filesBelow(dest.path).isEmpty)

        try Packages.make(["install", "DESTDIR=\(dest.path)", "prefix=/opt/v", "libdir=/opt/v/lib64",
                           "includedir=/opt/inc", "mandir=/opt/man"])
        let moved = filesBelow(dest.path)
        for expected in ["opt/v/lib64/libvmmalloc.so.1", "opt/v/lib64/vmem_debug/libvmmalloc.so.1",
                         "opt/v/lib64/pkgconfig/libvmmalloc.pc", "opt/inc/libvmmalloc.h", "opt/man/man7/libvmmalloc.7"] {
            #expect(moved.contains(expected), "\(expected) not in \(moved.sorted())")
        }
        let pc = try String(contentsOfFile: dest.file("opt/v/lib64/pkgconfig/libvmmalloc.pc"), encoding: .utf8)
        #expect(pc.contains("libdir=/opt/v/lib64\n") && pc.contains("includedir=/opt/inc\n"), "\(pc)")
        try Packages.make(["uninstall", "DESTDIR=\(dest.path)", "prefix=/opt/v", "libdir=/opt/v/lib64",
                           "includedir=/opt/inc", "mandir=/opt/man"])
        #expect(filesBelow(dest.path).isEmpty, "\(filesBelow(dest.path).sorted())")
    }

    @Test("one version: debian/changelog's; the Makefile, the header, --version, the man pages, the .pc file, the FreeBSD port and README say it")
    func oneVersion() throws {
        let version = releaseVersion
        let parts = version.split(separator: ".").map(String.init)
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil }, "debian/changelog: \(version)")
        let make = try runChecked(try tool("make"), ["-s", "--no-print-directory", "version"], directory: Paths.package)
        #expect(make.stdout == version + "\n", "the Makefile says \(make.stdout)")

        let header = try String(contentsOfFile: Paths.include + "/libvmmalloc.h", encoding: .utf8)
        func define(_ name: String) -> String? {
            header.split(separator: "\n").first { $0.hasPrefix("#define \(name) ") }.map { String($0.split(separator: " ").last!) }
        }
        #expect(define("VMMALLOC_MAJOR_VERSION") == parts.first && define("VMMALLOC_MINOR_VERSION") == parts.dropFirst().first,
                "the header says \(define("VMMALLOC_MAJOR_VERSION") ?? "?").\(define("VMMALLOC_MINOR_VERSION") ?? "?")")

        let swiftVersion = try String(contentsOfFile: Paths.package + "/Sources/VMMallocConfig/Support/LibraryVersion.swift", encoding: .utf8)
        #expect(swiftVersion.contains("static let text: StaticString = \"\(version)\""), "LibraryVersion.swift does not say \(version)")
        let launcher = try launch(["--version"])
        #expect(launcher.stdout == "vmmalloc (libvmmalloc) \(version)\n", "\(launcher)")

        let port = try String(contentsOfFile: Paths.package + "/freebsd/Makefile", encoding: .utf8)
        #expect(port.split(separator: "\n").contains { $0.hasPrefix("DISTVERSION=") && $0.hasSuffix("\t\(version)") },
                "freebsd/Makefile's DISTVERSION is not \(version)")

        // The pages and the .pc file are written by make, from the version it has.
        try runChecked(try tool("make"), ["-s", "man", "pkgconfig"], directory: Paths.package)
        for page in ["libvmmalloc.7", "vmmalloc.1"] {
            let source = try String(contentsOfFile: Paths.package + "/man/" + page, encoding: .utf8)
            let title = source.split(separator: "\n").first { $0.hasPrefix(".TH ") } ?? ""
            #expect(title.contains("\"libvmmalloc @VERSION@\""), "man/\(page) writes a version of its own: \(title)")
            let made = try String(contentsOfFile: Paths.package + "/build/man/" + page, encoding: .utf8)
            #expect(made.contains("\"libvmmalloc \(version)\""), "build/man/\(page) does not say \(version)")
        }
        let pc = try String(contentsOfFile: Paths.package + "/build/libvmmalloc.pc", encoding: .utf8)
        #expect(pc.contains("\nVersion: \(version)\n"), "\(pc)")

        // README's file names and macros.
        let readme = try String(contentsOfFile: Paths.package + "/README.md", encoding: .utf8)
        for pattern in [#"libvmmalloc-([0-9]+\.[0-9]+\.[0-9]+)\.tar"#, #"libvmmalloc\.so\.([0-9]+\.[0-9]+\.[0-9]+)"#] {
            let regex = try NSRegularExpression(pattern: pattern)
            let range = NSRange(readme.startIndex..., in: readme)
            for match in regex.matches(in: readme, range: range) {
                let said = (readme as NSString).substring(with: match.range(at: 1))
                #expect(said == version, "README says \((readme as NSString).substring(with: match.range))")
            }
        }
        #expect(readme.contains("`VMMALLOC_MAJOR_VERSION` \(parts[0]), `VMMALLOC_MINOR_VERSION` \(parts[1])"),
                "README does not give the header's version macros as \(parts[0]) and \(parts[1])")
    }

    @Test("the FreeBSD port's pkg-plist lists exactly what make install writes with the port's MAKE_ARGS")
    func freebsdPlist() throws {
        let port = try String(contentsOfFile: Paths.package + "/freebsd/Makefile", encoding: .utf8)
        // MAKE_ARGS= ... with its continuation lines, ${PREFIX} as the ports' default.
        guard let start = port.range(of: "MAKE_ARGS=") else { throw HarnessError("freebsd/Makefile has no MAKE_ARGS") }
        var text = ""
        for line in port[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            text += line.replacingOccurrences(of: "\\", with: " ") + " "
            if !line.hasSuffix("\\") { break }
        }
        let arguments = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            .filter { !$0.hasPrefix("STRIP=") }
            .map { $0.replacingOccurrences(of: "${PREFIX}", with: "/usr/local") }
        #expect(arguments.contains("prefix=/usr/local"), "\(arguments)")

        let stage = TempDir.work("stagedir")
        defer { stage.remove() }
        try Packages.make(["install", "DESTDIR=\(stage.path)"] + arguments)
        // The ports framework compresses manual pages after staging.
        let staged = Set(filesBelow(stage.path + "/usr/local").map { $0.hasPrefix("share/man/") ? $0 + ".gz" : $0 })
        var plist = Set(try String(contentsOfFile: Paths.package + "/freebsd/pkg-plist", encoding: .utf8)
            .split(separator: "\n").map(String.init))
        if !FileManager.default.fileExists(atPath: Paths.package + "/man/vmmalloc.1") {
            // A tree without the launcher yet: its two entries cannot be staged.
            plist.subtract(["bin/vmmalloc", "share/man/man1/vmmalloc.1.gz"])
        }
        #expect(staged == plist, "staged but not in pkg-plist: \(staged.subtracting(plist).sorted()); in pkg-plist but not staged: \(plist.subtracting(staged).sorted())")
    }

    @Test("libvmmalloc(7) renders with no warning at 80 columns")
    func manPageRenders() throws {
        var env = baseEnvironment()
        env["MANWIDTH"] = "80"
        let r = try run(try tool("man"), ["--warnings", "-l", Paths.package + "/man/libvmmalloc.7"], environment: env)
        #expect(r.succeeded && r.stderr.isEmpty && r.stdout.contains("VMMALLOC_POOL_DIR"), "\(r)")
        let wide = r.stdoutLines.filter { $0.count > 80 }
        #expect(wide.isEmpty, "lines wider than 80 columns: \(wide)")
    }

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

        // lintian: no error and no warning (each accepted one is overridden in debian/ with its reason).
        let changes = try FileManager.default.contentsOfDirectory(atPath: Paths.package + "/build/dpkg")
            .filter { $0.hasSuffix(".changes") }.map { Paths.package + "/build/dpkg/" + $0 }
        let lintian = try run(try tool("lintian"), ["--fail-on", "error,warning"] + changes, timeout: 300)
        #expect(lintian.succeeded && !lintian.stdout.contains("E: ") && !lintian.stdout.contains("W: "), "\(lintian)")

        // Debhelper's symbol packages, made from the unstripped build.
        for name in ["libvmmalloc-dbgsym", "vmmalloc-dbgsym"] where name != "vmmalloc-dbgsym" || hasLauncher {
            let file = try FileManager.default.contentsOfDirectory(atPath: Paths.package + "/build/dpkg")
                .first { $0.hasPrefix(name + "_") && $0.hasSuffix(".deb") }
            try #require(file != nil, "make dpkg built no \(name)")
            let contents = try runChecked(try tool("dpkg-deb"), ["-c", Paths.package + "/build/dpkg/" + file!]).stdout
            #expect(contents.contains("./usr/lib/debug/.build-id/") && contents.contains(".debug"), "\(name):\n\(contents)")
        }

        // The source package: lintian silent on it too.
        let sourceDir = TempDir.work("source")
        defer { sourceDir.remove() }
        let tree = sourceDir.file("libvmmalloc-\(releaseVersion)")
        try runChecked(try tool("sh"), ["-c", "mkdir -p \"$1\" && git ls-files -z --cached --others --exclude-standard | "
                                        + "xargs -0 sh -c 'for f; do [ -e \"$f\" ] && cp -P --parents \"$f\" \"$0\"; done' \"$1\"",
                                        "sh", tree], directory: Paths.package)
        try runChecked(try tool("dpkg-source"), ["--build", tree], directory: sourceDir.path)
        let dsc = sourceDir.file("libvmmalloc_\(releaseVersion).dsc")
        let sourceLintian = try run(try tool("lintian"), ["--fail-on", "error,warning", dsc], timeout: 300)
        #expect(sourceLintian.succeeded && !sourceLintian.stdout.contains("E: ") && !sourceLintian.stdout.contains("W: "),
                "\(sourceLintian)")

        // The runtime package alone, as `apt install ./libvmmalloc_*.deb`: the library and its page.
        var manEnv = baseEnvironment()
        manEnv["MANPAGER"] = "cat"
        manEnv["MANWIDTH"] = "80"
        let runtime = try Packages.apt(["install", "--no-install-recommends", debs["libvmmalloc"]!])
        defer { _ = try? Packages.apt(["purge"] + debs.keys.sorted()) }
        try #require(runtime.succeeded, "apt-get install of the runtime package failed:\n\(runtime)")
        let runtimePage = try run(try tool("man"), ["libvmmalloc"], environment: manEnv)
        #expect(runtimePage.succeeded && runtimePage.stdout.contains("LIBVMMALLOC(7)"), "the runtime package has no man page:\n\(runtimePage)")

        // Then the rest; whatever happens next, purge at the end.
        let install = try Packages.apt(["install", "--no-install-recommends"] + debs.values.sorted())
        try #require(install.succeeded, "apt-get install failed:\n\(install)")

        // The autopkgtest, run directly against the installed packages.
        let autopkgtest = try run(Paths.package + "/debian/tests/installed", environment: baseEnvironment(), timeout: 300)
        #expect(autopkgtest.succeeded && autopkgtest.stdout.contains("ok: the heap was in the pool"), "debian/tests/installed:\n\(autopkgtest)")
        let installed = debs.keys.flatMap { Packages.installedFiles($0) }
        #expect(installed.contains("/usr/lib/\(realName)"), "\(installed)")

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
        #expect(maps.succeeded && maps.stdout.contains("/usr/lib/\(realName)"), "\(maps)")
        #expect(maps.stdoutLines.contains { $0.contains(" rw-s ") && $0.contains(realPool + "/") },
                "no shared mapping of a pool file in \(realPool):\n\(maps)")
        // The statistics at exit name the pool. (ls closes stderr before the
        // library prints them, and dash leaves with _exit; bash shows them.)
        var stats = preload
        stats["VMMALLOC_LOG_STATS"] = "1"
        let shStats = try run(try tool("bash"), ["-c", "ls / >/dev/null; :"], environment: stats)
        #expect(shStats.succeeded && shStats.stderr.contains("libvmmalloc: statistics of process")
                    && (shStats.stderr.contains(pool.path) || shStats.stderr.contains(realPool)),
                "no statistics of the pool in \(pool.path) at exit:\n\(shStats)")
        var tooSmall = preload
        tooSmall["VMMALLOC_POOL_SIZE"] = "1M"
        let refused = try run(try tool("ls"), [], environment: tooSmall)
        #expect(refused.signal == SIGABRT && refused.stderr.contains("libvmmalloc: VMMALLOC_POOL_SIZE=1M is below the minimum"),
                "\(refused)")

        // The launcher names the library by its soname.
        if hasLauncher {
            let dry = try run("/usr/bin/vmmalloc", ["-n", "-d", pool.path, "-s", "64M", "true"])
            #expect(dry.succeeded && dry.stdout.hasSuffix(" LD_PRELOAD=/usr/lib/libvmmalloc.so.1 true\n"), "\(dry)")
        }

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
            #expect(r.succeeded && r.stdout.contains("OK installed \(releaseVersion.split(separator: ".").prefix(2).joined(separator: ".")) min_pool=14680064"), "\(r)")
        }

        // LD_LIBRARY_PATH=/usr/lib/vmem_debug puts the debug variant in its place,
        // for a preloaded and for a linked program.
        var debug = preload
        debug["LD_LIBRARY_PATH"] = "/usr/lib/vmem_debug"
        let debugMaps = try run(try tool("cat"), ["/proc/self/maps"], environment: debug)
        #expect(debugMaps.succeeded && debugMaps.stdout.contains("/usr/lib/vmem_debug/\(realName)")
                    && !debugMaps.stdout.contains("/usr/lib/\(realName)"), "\(debugMaps)")
        // Its log says so; the release variant does not read VMMALLOC_LOG_LEVEL.
        var logged = debug
        logged["VMMALLOC_LOG_LEVEL"] = "2"
        let debugLog = try run(try tool("true"), [], environment: logged)
        #expect(debugLog.succeeded && debugLog.stderr.contains("libvmmalloc: <2> ") && debugLog.stderr.contains("pool created in"),
                "the debug variant did not log at level 2:\n\(debugLog)")
        logged["LD_LIBRARY_PATH"] = nil
        let releaseLog = try run(try tool("true"), [], environment: logged)
        #expect(releaseLog.succeeded && releaseLog.stderr.isEmpty, "the release variant logged:\n\(releaseLog)")
        var linkedDebug = env
        linkedDebug["LD_LIBRARY_PATH"] = "/usr/lib/vmem_debug"
        let ldd = try run(try tool("ldd"), [plain], environment: linkedDebug)
        #expect(ldd.stdout.contains("libvmmalloc.so.1 => /usr/lib/vmem_debug/libvmmalloc.so.1"), "\(ldd)")
        #expect(try run(plain, environment: linkedDebug).succeeded)

        // The manual page.
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
