// README's recipes, run exactly as written: every command of every ```sh
// block, in README's order, in a fresh clone of the tree (the files git knows,
// as they are now, committed in a new repository; nothing built), with a
// program of ours as README's `prog.c`. The commands come from README itself, so the test follows it
// when it changes; a command it does not run is named with the reason.
//
// It builds the tree several times over, installs into /usr and /usr/local
// and removes again: part of the package tests (root, CI=true or
// VMMALLOC_TEST_PACKAGES=1), one at a time with them.
import Foundation
import Testing

enum Readme {
    /// The commands of each ```sh block: one per line, continuation lines
    /// joined, blank and comment-only lines left out.
    static func recipes() throws -> [[String]] {
        let text = try String(contentsOfFile: Paths.package + "/README.md", encoding: .utf8)
        var blocks: [[String]] = []
        var current: [String]?
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if current == nil {
                if line == "```sh" { current = [] }
                continue
            }
            if line == "```" {
                blocks.append(current!)
                current = nil
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty && (trimmed.isEmpty || trimmed.hasPrefix("#")) { continue }
            if trimmed.hasSuffix("\\") {
                pending += String(trimmed.dropLast()) + " "
                continue
            }
            current!.append(pending + trimmed)
            pending = ""
        }
        return blocks
    }

    /// Commands README shows that cannot run here, by how they start.
    static let notRunHere: [(prefix: String, reason: String)] = [
        ("swift test", "the test suite itself, which this test is part of"),
        ("make check", "the test suite itself (swift test), which this test is part of"),
        ("python3 bench/run.py", "the whole benchmark suite takes 12 minutes and more; BenchTests runs every workload at a tiny scale"),
        ("cp libvmmalloc-", "FreeBSD's ports tree: there is no FreeBSD machine here (FreeBSDTests checks the build)"),
        ("cp -R freebsd /usr/ports", "FreeBSD's ports tree: there is no FreeBSD machine here"),
        ("cd /usr/ports", "FreeBSD's ports tree: there is no FreeBSD machine here"),
        ("make makesum", "FreeBSD's ports framework: there is no FreeBSD machine here"),
        ("make SWIFT_PORT=", "FreeBSD's ports framework: there is no FreeBSD machine here"),
    ]

    static func reasonNotRun(_ command: String) -> String? {
        notRunHere.first { command.hasPrefix($0.prefix) }?.reason
    }
}

extension PackageTests {
    @Test("every README recipe works as written from a fresh clone of the tree",
          .enabled(if: Packages.wanted, "builds the tree several times and installs it: runs only as root with CI=true or VMMALLOC_TEST_PACKAGES=1"),
          .timeLimit(.minutes(30)))
    func readmeRecipes() throws {
        let blocks = try Readme.recipes()
        let commands = blocks.flatMap { $0 }
        #expect(blocks.count >= 8 && commands.contains { $0.contains("-L .build/release -lvmmalloc") }
                && commands.contains { $0.contains("-L build/lib -lvmmalloc") }, "README's recipes were not found: \(blocks)")
        for entry in Readme.notRunHere {
            #expect(commands.contains { $0.hasPrefix(entry.prefix) }, "README no longer has a command \(entry.prefix)…: drop it from notRunHere")
        }

        // The fresh tree, and what a user's shell has: the installed name of
        // the launcher (vmmalloc, here the one this tree builds), sudo (root
        // already) and FreeBSD's gmake (GNU make).
        let work = TempDir.work("readme")
        defer { work.remove() }
        let tree = work.file("libvmmalloc")
        try runChecked(try tool("sh"), ["-c", "mkdir -p \"$1\" && git ls-files -z --cached --others --exclude-standard | "
                                        + "xargs -0 sh -c 'for f; do [ -e \"$f\" ] && cp -P --parents \"$f\" \"$0\"; done' \"$1\"",
                                        "sh", tree], directory: Paths.package)
        // A clone has its history: `make dist` archives the checked-out commit.
        try runChecked(try tool("sh"), ["-c", "git init -q && git add -A && git -c user.name=readme -c user.email=readme@invalid "
                                        + "commit -q -m 'the tree under test'"], directory: tree)
        try FileManager.default.copyItem(atPath: Paths.programs + "/installed.c", toPath: tree + "/prog.c")
        try FileManager.default.copyItem(atPath: Paths.programs + "/poolcheck.h", toPath: tree + "/poolcheck.h")
        let shims = work.file("shims")
        try FileManager.default.createDirectory(atPath: shims, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: shims + "/vmmalloc", withDestinationPath: tree + "/.build/release/vmmalloc-run")
        try FileManager.default.createSymbolicLink(atPath: shims + "/gmake", withDestinationPath: try tool("make"))
        try "#!/bin/sh\nexec \"$@\"\n".write(toFile: shims + "/sudo", atomically: true, encoding: .utf8)
        chmod(shims + "/sudo", 0o755)
        var env = baseEnvironment()
        let swiftDirectory = (try tool("swift") as NSString).deletingLastPathComponent
        env["PATH"] = shims + ":" + (env["PATH"] ?? "") + ":" + swiftDirectory + ":/usr/sbin:/sbin"
        env["DEBIAN_FRONTEND"] = "noninteractive"
        env["SOURCE_DATE_EPOCH"] = nil

        var installedPackages = false
        defer {
            if installedPackages { _ = try? Packages.apt(["purge"] + Packages.names) }
            _ = try? run(try tool("make"), ["uninstall"], environment: env, directory: tree, timeout: 120)
        }
        for command in commands {
            if let reason = Readme.reasonNotRun(command) {
                print("README recipe NOT RUN: \(command) -- \(reason)")
                continue
            }
            let r = try run(try tool("sh"), ["-c", command], environment: env, directory: tree, timeout: 1200)
            #expect(r.succeeded, "README's `\(command)` fails:\n\(r)")
            if command.hasPrefix("sudo apt install") { installedPackages = true }
            check(command, r, tree: tree)
        }
    }

    /// What a command of README must have done, beyond exit status 0.
    private func check(_ command: String, _ r: RunResult, tree: String) {
        let fm = FileManager.default
        if command.hasSuffix("./prog") {
            #expect(r.stdout.contains("OK installed "), "`\(command)`: the program's heap is not in the pool:\n\(r)")
        }
        if command.contains("VMMALLOC_LOG_LEVEL=2") {
            #expect(r.stderr.contains("libvmmalloc: <2> ") && r.stderr.contains("pool created in"),
                    "`\(command)` does not run on the debug variant:\n\(r)")
        }
        if command.hasPrefix("swift build -c release && make links") {
            let link = try? fm.destinationOfSymbolicLink(atPath: tree + "/.build/release/libvmmalloc.so.1")
            #expect(link == "libvmmalloc.so", "make links made no libvmmalloc.so.1 in .build/release: \(link ?? "none")\n\(r)")
        }
        if command == "make" {
            for (file, target) in [("build/lib/libvmmalloc.so.1", realName), ("build/lib/libvmmalloc.so", "libvmmalloc.so.1"),
                                   ("build/lib/vmem_debug/libvmmalloc.so.1", realName)] {
                let link = try? fm.destinationOfSymbolicLink(atPath: tree + "/" + file)
                #expect(link == target, "make: \(file) is not a link to \(target)")
            }
        }
        if command.hasPrefix("build/bin/vmmalloc ") {
            #expect(r.stderr.isEmpty, "build/bin/vmmalloc:\n\(r)")
        }
        if command.hasPrefix("vmmalloc -n ") {
            #expect(r.stdout.contains(" LD_PRELOAD=\(tree)/.build/") && r.stdout.hasSuffix(" ./server --port 8080\n"), "\(r)")
        }
        if command.hasPrefix("sudo make install") {
            let cache = (try? run(try tool("ldconfig"), ["-p"]))?.stdout ?? ""
            #expect(cache.contains("libvmmalloc.so.1 ") && cache.contains("=> /usr/local/lib/libvmmalloc.so.1"),
                    "make install did not run ldconfig: the loader's cache does not know /usr/local/lib/libvmmalloc.so.1")
        }
        if command.hasPrefix("sudo make uninstall") {
            let cache = (try? run(try tool("ldconfig"), ["-p"]))?.stdout ?? ""
            #expect(!cache.contains("/usr/local/lib/libvmmalloc.so.1"), "make uninstall left the loader's cache naming the library")
        }
        if command.hasPrefix("gmake dist") {
            #expect(fm.fileExists(atPath: tree + "/libvmmalloc-\(releaseVersion).tar.gz"), "gmake dist wrote no tarball")
        }
    }
}
