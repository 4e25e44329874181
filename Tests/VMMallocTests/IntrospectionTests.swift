// glibc's introspection calls (mallinfo2, mallinfo, malloc_trim, malloc_stats,
// malloc_info, mallopt) and vmmalloc_stats_get, from C, C++ and Python; the
// summary at exit with its peak and refusals, to a closed standard error, to
// a file, per forked process, and as JSON.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// key=value pairs of a line that starts with `prefix`.
private func fields(_ output: String, _ prefix: String) -> [String: Int] {
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [:] }
    var result: [String: Int] = [:]
    for word in line.split(separator: " ") {
        let parts = word.split(separator: "=", maxSplits: 1)
        if parts.count == 2, let value = Int(parts[1]) { result[String(parts[0])] = value }
    }
    return result
}

/// The JSON objects of a summary: one per line that starts with "{".
private func jsonObjects(_ text: String) -> [[String: Any]] {
    text.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

private func number(_ object: [String: Any], _ path: String...) -> Int? {
    var current: Any? = object
    for key in path { current = (current as? [String: Any])?[key] }
    return (current as? NSNumber)?.intValue
}

/// The release's version (debian/changelog's, which the Makefile reads), which the reports must name.
private func reportedVersion() throws -> String { releaseVersion }

private let pythonPath = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"

@Suite("Introspection: glibc's calls and the statistics")
struct IntrospectionTests {
    func program() throws -> String { try Programs.build("introspect.c") }

    @Test("mallinfo2 counts the program's blocks: 1000 of 100 bytes, a large and a huge one; mallinfo agrees; freeing them shows")
    func mallinfo2() throws {
        let r = try runInPool(try program(), ["mallinfo"])
        #expect(r.result.succeeded && r.result.stdout.contains("OK mallinfo"), "\(r.result)")
        let live = fields(r.result.stdout, "live "), freed = fields(r.result.stdout, "freed ")
        let pool = 64 << 20
        #expect((live["uordblks"] ?? 0) >= 1000 * 100 + (200 << 10) + (3 << 20), "\(live)")
        #expect(live["hblks"] == 1 && (live["hblkhd"] ?? 0) >= 3 << 20, "the 3 MiB block is not counted as huge: \(live)")
        #expect((live["arena"] ?? 0) + (live["fordblks"] ?? 0) == pool, "pool in use + free is not the pool: \(live)")
        #expect((live["usmblks"] ?? 0) >= (live["arena"] ?? 1), "the peak is below the pool in use: \(live)")
        #expect((live["keepcost"] ?? 0) <= (live["fordblks"] ?? 0) && (live["ordblks"] ?? 0) >= 1, "\(live)")
        #expect(r.result.stdout.contains("same 1"), "mallinfo disagrees with mallinfo2:\n\(r.result)")
        #expect(freed["hblks"] == 0 && (freed["uordblks"] ?? Int.max) < 100_000, "freeing shows nowhere: \(freed)")
        #expect((freed["usmblks"] ?? 0) >= (live["arena"] ?? Int.max), "the peak forgot the blocks freed: \(freed)")
        #expect((freed["arena"] ?? Int.max) < (live["arena"] ?? 0) - (3 << 20), "\(freed) after \(live)")
    }

    @Test("malloc_trim gives the space of 32 MiB freed back to the file system at once: 1, then 0 with nothing new to give")
    func trim() throws {
        let r = try runInPool(try program(), ["trim"])
        #expect(r.result.succeeded && r.result.stdout.contains("OK trim"), "\(r.result)")
        let f = fields(r.result.stdout, "before=")
        #expect(f["first"] == 1 && f["second"] == 0, "\(r.result)")
        #expect((f["before"] ?? 0) >= 32 << 20 && (f["after"] ?? Int.max) < (f["before"] ?? 0) - (28 << 20),
                "the pool file still holds the freed blocks' space: \(f)")
    }

    @Test("malloc_stats writes the summary on stderr, with the peak of 24 MiB and the 2 refused allocations")
    func mallocStats() throws {
        let r = try runInPool(try program(), ["stats"])
        #expect(r.result.succeeded && r.result.stdout.contains("OK stats"), "\(r.result)")
        let lines = r.result.stderrLines
        let version = try reportedVersion()
        #expect(lines.first?.hasPrefix("libvmmalloc: statistics of process ") == true
                && lines.first?.contains(" at malloc_stats() (libvmmalloc \(version), release variant)") == true, "\(r.result)")
        let peak = lines.first { $0.hasPrefix("libvmmalloc:   pool space at peak ") }
        let peakBytes = Int(peak?.split(separator: " ").dropLast().last ?? "") ?? 0
        #expect(peakBytes >= 24 << 20 && peakBytes < 40 << 20, "\(r.result)")
        #expect(lines.contains("libvmmalloc:   refused (ENOMEM)      2 allocations"), "\(r.result)")
        #expect(!lines.contains { $0.contains("large blocks") || $0.contains("huge blocks") },
                "empty sections are shown:\n\(r.result)")
    }

    @Test("malloc_info writes an XML document glibc's readers parse, with the pool's figures; options other than 0 fail with EINVAL")
    func mallocInfo() throws {
        let r = try runInPool(try program(), ["info"])
        #expect(r.result.succeeded && r.result.stdout.contains("OK info"), "\(r.result)")
        #expect(r.result.stdout.contains("rc=0\n") && r.result.stdout.contains("bad=-1 errno=\(EINVAL)"), "\(r.result)")
        guard let start = r.result.stdout.range(of: "<malloc"), let end = r.result.stdout.range(of: "</malloc>\n") else {
            Issue.record("no document:\n\(r.result)")
            return
        }
        let document = String(r.result.stdout[start.lowerBound..<end.upperBound])
        let work = TempDir.work("info")
        defer { work.remove() }
        try document.write(toFile: work.file("info.xml"), atomically: true, encoding: .utf8)
        let script = """
            import sys, xml.etree.ElementTree as E
            root = E.parse(sys.argv[1]).getroot()
            mmap = [t for t in root.findall("total") if t.get("type") == "mmap"][0]
            size = [a for a in root.findall("aspace") if a.get("type") == "total"][0]
            print(root.tag, root.get("version"), mmap.get("count"), mmap.get("size"), size.get("size"),
                  root.find("vmmalloc").get("version"))
            """
        let parsed = try runChecked(pythonPath, ["-c", script, work.file("info.xml")])
        let words = parsed.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
        let version = try reportedVersion()
        #expect(words.count == 6 && words[0] == "malloc" && words[1] == "1" && words[2] == "1"
                && (Int(words[3]) ?? 0) >= 3 << 20 && words[4] == "67108864"
                && words[5] == version,
                "\(parsed.stdout)\n\(document)")
    }

    @Test("mallopt accepts glibc's tuning parameters (1) and refuses M_PERTURB, M_CHECK_ACTION and unknown ones (0)")
    func mallopt() throws {
        let r = try runInPool(try program(), ["mallopt"])
        #expect(r.result.stdout.contains("M_ARENA_MAX=1 M_MMAP_THRESHOLD=1 M_TRIM_THRESHOLD=1 M_TOP_PAD=1 M_MXFAST=1 M_MXFAST_big=0 M_PERTURB=0 M_CHECK_ACTION=0 unknown=0"),
                "\(r.result)")
    }

    @Test("vmmalloc_stats_get from C (-lvmmalloc): the figures, an older caller's shorter structure, NULL")
    func statsGetFromC() throws {
        let libdir = try Library.linkDirectory()
        let exe = try Programs.build("introspect.c", libraries: ["-L", libdir, "-lvmmalloc", "-Wl,-rpath,\(libdir)"])
        let pool = TempDir.pool()
        defer { pool.remove() }
        var env = baseEnvironment()
        env["VMMALLOC_POOL_DIR"] = pool.path
        env["VMMALLOC_POOL_SIZE"] = "64M"
        let r = try run(exe, ["api"], environment: env)
        #expect(r.succeeded && r.stdout.contains("OK api"), "\(r)")
        let f = fields(r.stdout, "rc=")
        #expect(f["rc"] == 0 && f["size"] == f["want"] && f["pool_size"] == 64 << 20, "\(r)")
        #expect(f["huge_blocks"] == 1 && (f["huge_bytes"] ?? 0) >= 5 << 20 && (f["allocated"] ?? 0) >= 5 << 20, "\(r)")
        #expect(f["refused"] == 3 && f["forks"] == 0, "\(r)")
        #expect((f["in_use"] ?? 0) + (f["free"] ?? 0) == 64 << 20 && (f["peak"] ?? 0) >= (f["in_use"] ?? Int.max), "\(r)")
        #expect(r.stdout.contains("older rc=0 size=16 pool_size=67108864 untouched=1"), "\(r)")
        #expect(r.stdout.contains("null rc=-1 einval=1"), "\(r)")
    }

    @Test("vmmalloc_stats_get from C++: a 6 MiB vector shows while it lives, and in the peak after")
    func statsGetFromCxx() throws {
        let libdir = try Library.linkDirectory()
        let exe = try Programs.build("stats_cxx.cpp", libraries: ["-Wl,--no-as-needed", "-L", libdir, "-lvmmalloc", "-Wl,-rpath,\(libdir)"])
        let pool = TempDir.pool()
        defer { pool.remove() }
        var env = baseEnvironment()
        env["VMMALLOC_POOL_DIR"] = pool.path
        env["VMMALLOC_POOL_SIZE"] = "64M"
        let r = try run(exe, environment: env)
        #expect(r.succeeded && r.stdout.contains("OK stats_cxx"), "\(r)")
        let f = fields(r.stdout, "before=")
        #expect((f["during"] ?? 0) >= (f["before"] ?? Int.max) + (6 << 20) && (f["after"] ?? Int.max) < (f["during"] ?? 0) - (6 << 20)
                && f["huge"] == 1 && (f["peak"] ?? 0) >= 6 << 20, "\(r)")
    }

    @Test("Python through ctypes: mallinfo2 sees a 50 MB bytes object, malloc_trim gives it back, malloc_info's XML parses",
          .enabled(if: which("python3") != nil, "python3 is not installed"))
    func python() throws {
        let work = TempDir.work("py")
        defer { work.remove() }
        let script = """
            import ctypes, sys, xml.etree.ElementTree as E
            class M(ctypes.Structure):
                _fields_ = [(n, ctypes.c_size_t) for n in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
            libc = ctypes.CDLL(None)
            libc.mallinfo2.restype = M
            libc.fopen.restype = ctypes.c_void_p
            libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
            libc.fclose.argtypes = [ctypes.c_void_p]
            before = libc.mallinfo2()
            block = bytes(50 * 1000 * 1000)
            during = libc.mallinfo2()
            del block
            trimmed = libc.malloc_trim(0)
            after = libc.mallinfo2()
            f = libc.fopen(sys.argv[1].encode(), b"w")
            rc = libc.malloc_info(0, f)
            libc.fclose(f)
            root = E.parse(sys.argv[1]).getroot()
            print("grew=%d huge=%d trimmed=%d peak=%d after=%d info=%d root=%s" % (during.uordblks - before.uordblks,
                  during.hblks - before.hblks, trimmed, after.usmblks, after.uordblks, rc, root.tag))
            """
        let r = try runInPool(pythonPath, ["-c", script, work.file("info.xml")], size: "256M")
        #expect(r.result.succeeded, "\(r.result)")
        let f = fields(r.result.stdout, "grew=")
        #expect((f["grew"] ?? 0) >= 50_000_000 && (f["huge"] ?? 0) >= 1, "mallinfo2 does not see the bytes object: \(r.result)")
        #expect(f["trimmed"] == 1 && (f["peak"] ?? 0) >= 50_000_000 && (f["after"] ?? Int.max) < (f["peak"] ?? 0) - 40_000_000,
                "\(r.result)")
        #expect(f["info"] == 0 && r.result.stdout.contains("root=malloc"), "\(r.result)")
    }

    // MARK: - The summary at exit

    @Test("the summary reaches the user when the program closed its standard error (cat and sort do, before they exit)",
          arguments: ["cat", "sort"])
    func closedStandardError(_ command: String) throws {
        let work = TempDir.work("closed")
        defer { work.remove() }
        try "b\na\n".write(toFile: work.file("input"), atomically: true, encoding: .utf8)
        let r = try runInPool(try tool(command), [work.file("input")], extra: ["VMMALLOC_LOG_STATS": "1"])
        #expect(r.result.succeeded && r.result.stdout.contains("a\n"), "\(r.result)")
        #expect(r.result.stderrLines.first?.hasPrefix("libvmmalloc: statistics of process ") == true
                && r.result.stderr.contains("libvmmalloc:   pool space at peak "), "no summary:\n\(r.result)")
    }

    @Test("VMMALLOC_STATS_FILE: the summary goes to the file, not to stderr; with a trailing - each process of a forking program gets its own")
    func statisticsFile() throws {
        let work = TempDir.work("statsfile")
        defer { work.remove() }
        let single = try runInPool(try program(), ["stats"], extra: ["VMMALLOC_STATS_FILE": work.file("one")])
        #expect(single.result.succeeded && !single.result.stderr.contains(" at exit"), "\(single.result)")
        let text = (try? String(contentsOfFile: work.file("one"), encoding: .utf8)) ?? ""
        #expect(text.hasPrefix("libvmmalloc: statistics of process ") && text.contains(" at exit ")
                && text.contains("libvmmalloc:   refused (ENOMEM)      2 allocations"), "file:\n\(text)")

        let forked = try runInPool(try program(), ["forks"], extra: ["VMMALLOC_STATS_FILE": work.file("each-")])
        #expect(forked.result.succeeded && forked.result.stderr.isEmpty, "\(forked.result)")
        let files = (work.entries() ?? []).filter { $0.hasPrefix("each-") }
        #expect(files.count == 3, "not one file per process: \(files)")
        for name in files {
            let content = (try? String(contentsOfFile: work.file(name), encoding: .utf8)) ?? ""
            #expect(content.hasPrefix("libvmmalloc: statistics of process \(name.dropFirst("each-".count)) at exit"),
                    "\(name):\n\(content)")
        }
        let bad = try runInPool(try program(), ["stats"], extra: ["VMMALLOC_STATS_FILE": "/nonexistent/stats"])
        #expect(bad.result.signal == SIGABRT && bad.result.stderrLines
                == ["libvmmalloc: cannot open the statistics file /nonexistent/stats (VMMALLOC_STATS_FILE): No such file or directory"],
                "\(bad.result)")
        let empty = try runInPool(try program(), ["stats"], extra: ["VMMALLOC_STATS_FILE": ""])
        #expect(empty.result.signal == SIGABRT && empty.result.stderrLines == ["libvmmalloc: VMMALLOC_STATS_FILE is empty"],
                "\(empty.result)")
        let long = String(repeating: "x", count: 5000)
        let tooLong = try runInPool(try program(), ["stats"], extra: ["VMMALLOC_STATS_FILE": long])
        // (The line is cut at the library's 4 KiB line buffer.)
        #expect(tooLong.result.signal == SIGABRT && tooLong.result.stderrLines.count == 1
                && tooLong.result.stderr.hasPrefix("libvmmalloc: VMMALLOC_STATS_FILE=xxxxxxxx"),
                "\(tooLong.result.stderrLines.map { $0.prefix(80) })")
        let off = try runInPool(try program(), ["stats"], extra: ["VMMALLOC_STATS_FILE": work.file("off"), "VMMALLOC_LOG_STATS": "0"])
        #expect(off.result.succeeded && !FileManager.default.fileExists(atPath: work.file("off")),
                "VMMALLOC_LOG_STATS=0 does not turn the file off: \(off.result)")
    }

    @Test("VMMALLOC_LOG_STATS=json: one object per process, each with its pid, the version, its own peak and refusals (release and debug variant)",
          arguments: [LibraryBuild.release, .debugVariant])
    func json(build: LibraryBuild) throws {
        let pool = TempDir.pool()
        defer { pool.remove() }
        let env = try poolEnvironment(dir: pool.path, size: "64M", library: try build.path, extra: ["VMMALLOC_LOG_STATS": "json"])
        let r = try run(try program(), ["forks"], environment: env)
        #expect(r.succeeded && r.stdout.contains("OK forks"), "\(r)")
        let objects = jsonObjects(r.stderr)
        #expect(objects.count == 3 && r.stderrLines.count == 3, "not three JSON objects:\n\(r.stderr)")
        let version = try reportedVersion()
        #expect(objects.allSatisfy { $0["library"] as? String == "libvmmalloc" && $0["version"] as? String == version
            && $0["variant"] as? String == (build == .release ? "release" : "debug") && number($0, "pool", "size_bytes") == 64 << 20 },
                "\(r.stderr)")
        #expect(Set(objects.compactMap { number($0, "pid") }).count == 3, "the pids are not distinct:\n\(r.stderr)")
        // The parent refused 3 and peaked at 4 MiB of large blocks; child n refused n and peaked at 8n MiB.
        let byRefusals = Dictionary(objects.map { (number($0, "refused_allocations") ?? -1, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(Set(byRefusals.keys) == [1, 2, 3], "\(r.stderr)")
        for (refused, megabytes, forks) in [(1, 8, 0), (2, 16, 0), (3, 4, 2)] {
            guard let object = byRefusals[refused] else { continue }
            let peak = number(object, "pool", "peak_in_use_bytes") ?? 0
            #expect(peak >= megabytes << 20 && peak < (megabytes + 6) << 20, "peak \(peak) for \(megabytes) MiB:\n\(r.stderr)")
            #expect(number(object, "forks") == forks, "\(object)")
        }
        if build == .release {
            #expect(objects.allSatisfy { ($0["handed_out"] as? [String: Any])?["peak_bytes"] is NSNull }, "\(r.stderr)")
        } else {
            #expect(objects.allSatisfy { number($0, "handed_out", "peak_bytes") != nil }, "\(r.stderr)")
        }
    }
}
