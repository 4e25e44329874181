// The debug variant (-DVMMALLOC_DEBUG): its checks, VMMALLOC_LOG_LEVEL,
// VMMALLOC_LOG_FILE; and VMMALLOC_LOG_STATS in both variants.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A log line: `libvmmalloc: <level> Module/File.swift:line function: text`.
struct LogLine: CustomStringConvertible {
    let level: Int
    let location: String
    let function: String
    let text: String
    let description: String

    static let pattern = try! NSRegularExpression(pattern: #"^libvmmalloc: <([1-4])> (VMMalloc/[A-Za-z]+\.swift:[0-9]+) (\S+): (.+)$"#)

    init?(_ line: String) {
        let range = NSRange(line.startIndex..., in: line)
        guard let m = Self.pattern.firstMatch(in: line, range: range), m.numberOfRanges == 5 else { return nil }
        func group(_ i: Int) -> String { String(line[Range(m.range(at: i), in: line)!]) }
        level = Int(group(1))!
        location = group(2)
        function = group(3)
        text = group(4)
        description = line
    }
}

/// The value of a "name=value" line of a program's output, nil if absent.
private func printed(_ name: String, _ r: RunResult) -> String? { r.stdout.value(of: name) }

/// glibc prints %p as 0x followed by lowercase hex digits, as the log does.
private func isAddress(_ text: String) -> Bool { text.hasPrefix("0x") && text.count > 2 }

@Suite("Debug variant")
struct DebugVariantTests {
    // MARK: - One source, two variants

    /// The library's own functions that exist only to log, trace or assert.
    static func diagnosticFunctions(in names: some Sequence<String>) -> [String] {
        names.filter { $0.contains("VMMalloc3Log") || $0.contains("VMMalloc5Trace") || $0.contains("assertionFailed") }
            .sorted()
    }

    @Test("release: nothing reachable from malloc and free logs or asserts, and the library has no such code at all; the debug variant's malloc and free reach its log",
          arguments: [LibraryBuild.release, .debugVariant])
    func noLogCodeInRelease(build: LibraryBuild) throws {
        let lib = try build.path
        let edges = try callGraph(of: lib)
        #expect(edges["malloc"] != nil && edges["free"] != nil, "no malloc or free in the disassembly of \(lib)")
        let fromMallocAndFree = reachable(from: ["malloc", "free"], in: edges)
        let reached = Self.diagnosticFunctions(in: fromMallocAndFree.keys)
        let everywhere = Self.diagnosticFunctions(in: edges.keys)
        if build == .release {
            for name in reached { Issue.record("release malloc/free reach \(callPath(to: name, fromMallocAndFree))") }
            #expect(everywhere.isEmpty, "the release variant contains log or assertion code: \(everywhere)")
        } else {
            #expect(reached.contains { $0.contains("VMMalloc5Trace") },
                    "the debug variant's malloc/free reach no trace function, so this test could not see one: \(reached)")
            #expect(everywhere.contains { $0.contains("assertionFailed") }, "the debug variant has no assertion code")
        }
    }

    // MARK: - Assertions

    @Test("debug variant: a double free and a free of an interior pointer abort with file:line, function and the pointer",
          arguments: ["double", "interior"])
    func badFreeAborts(scenario: String) throws {
        let exe = try Programs.build("diagnostics.c")
        let pool = TempDir.pool()
        defer { pool.remove() }
        let r = try run(exe, [scenario], environment: try poolEnvironment(dir: pool.path, size: "64M", library: try Library.debugPath()))
        let bad = try #require(printed("bad", r), "the program did not get to the free:\n\(r)")
        #expect(r.signal == SIGABRT, "the debug variant did not abort:\n\(r)")
        #expect(!r.stdout.contains("survived"), "the program went on after the bad free:\n\(r)")
        let pattern = #"^libvmmalloc: VMMalloc/[A-Za-z]+\.swift:[0-9]+ \S+: assertion failed: .+ \(pointer "#
            + NSRegularExpression.escapedPattern(for: bad) + #"\)$"#
        #expect(r.stderrLines.count == 1 && r.stderrLines[0].range(of: pattern, options: .regularExpression) != nil,
                "expected one assertion line naming file:line and \(bad):\n\(r)")
    }

    @Test("release variant: the same bad frees are refused with one line, and the program goes on", arguments: ["double", "interior"])
    func badFreeRefusedInRelease(scenario: String) throws {
        let exe = try Programs.build("diagnostics.c")
        let r = try runInPool(exe, [scenario])
        expectClean(r, "release \(scenario) free:")
        let bad = printed("bad", r.result) ?? "?"
        #expect(r.result.stderrLines == ["libvmmalloc: free(\(bad)): not a block in use from the pool (freed twice, or never allocated); ignored"],
                "\(r.result)")
        #expect(r.result.stdout.contains("survived"), "\(r.result)")
    }

    // MARK: - VMMALLOC_LOG_LEVEL

    /// Runs diagnostics.c `calls` under the debug variant at `level`; the lines on stderr.
    func logOfCalls(level: String, extra: [String: String] = [:]) throws -> (RunResult, [LogLine], String) {
        let exe = try Programs.build("diagnostics.c")
        let pool = TempDir.pool()
        defer { pool.remove() }
        var env = try poolEnvironment(dir: pool.path, size: "64M", library: try Library.debugPath(),
                                      extra: ["VMMALLOC_LOG_LEVEL": level])
        for (k, v) in extra { env[k] = v }
        let r = try run(exe, ["calls"], environment: env)
        #expect(r.exitStatus == 0 && r.stdout.contains("OK calls"), "\(r)")
        #expect(printed("huge", r) == "null enomem=1", "a malloc the pool cannot hold did not fail with ENOMEM:\n\(r)")
        #expect(printed("misaligned", r) == "null einval=1", "aligned_alloc(3, 16) did not fail with EINVAL:\n\(r)")
        let lines = r.stderrLines
        let parsed = lines.compactMap(LogLine.init)
        #expect(parsed.count == lines.count,
                "lines that are not log lines: \(lines.filter { LogLine($0) == nil })\n\(r)")
        return (r, parsed, pool.path)
    }

    @Test("each log level writes its kinds of lines, and none of a higher level", arguments: 0...4)
    func logLevels(level: Int) throws {
        let (r, lines, poolDir) = try logOfCalls(level: String(level))
        #expect(lines.allSatisfy { $0.level <= level }, "a line above level \(level):\n\(r)")
        func has(_ minimum: Int, _ what: String, _ test: (LogLine) -> Bool) {
            let found = lines.contains { $0.level == minimum && test($0) }
            #expect(found == (level >= minimum), "level \(level): \(what) \(found ? "present" : "missing"):\n\(r)")
        }
        // 1: the failed malloc, with the errno text.
        has(1, "the ENOMEM line") { $0.text.contains("size 1099511627776 -> NULL: Cannot allocate memory") }
        has(1, "the EINVAL line") { $0.function.hasPrefix("vmmAlignedAlloc") && $0.text == "the call fails: Invalid argument" }
        has(1, "malloc(SIZE_MAX), its size unsigned") { $0.text.hasPrefix("size 18446744073709551615 -> NULL: Cannot allocate memory") }
        has(1, "calloc whose product overflows") {
            $0.text == "count 9223372036854775807 size 3 -> NULL: Cannot allocate memory (their product overflows size_t)"
        }
        has(1, "posix_memalign's EINVAL") { $0.function.hasPrefix("vmmPosixMemalign") && $0.text == "the call fails: Invalid argument" }
        // 2: the pool, with directory, file system, size and address; fork and its mode.
        has(2, "the pool-created line") { line in
            guard line.text.hasPrefix("pool created in \(poolDir) (") else { return false }
            let kind = poolDir.hasPrefix("/dev/shm/") ? "(tmpfs)" : "("
            return line.text.contains(kind) && line.text.contains("67108864 bytes at 0x") && line.text.contains("VMMALLOC_FORK=1")
        }
        has(2, "the fork line with the mode") { $0.text.hasPrefix("fork: VMMALLOC_FORK=1 (the pool becomes private") }
        has(2, "the child line") { $0.text.hasPrefix("fork: child process \(printed("child_pid", r) ?? "?") starts") }
        has(2, "the parent line") { $0.text.hasPrefix("fork: the parent resumes (fork 1 ") }
        // 3: the library's own steps.
        has(3, "the creation step") { $0.text == "creating the pool" }
        has(3, "a file-space reservation") { $0.text.hasPrefix("reserving file space at offset 0, ") }
        // 4: every malloc and free, with size and result.
        let block = printed("block", r) ?? "?"
        has(4, "malloc(1234)") { $0.function.hasPrefix("vmmMalloc") && $0.text.hasPrefix("size 1234 -> \(block) (usable ") }
        has(4, "its free") { $0.function.hasPrefix("vmmFree") && $0.text.hasPrefix("\(block) (usable ") }
        let child = printed("child_block", r) ?? "?"
        has(4, "the child's malloc") { $0.text.hasPrefix("size 4321 -> \(child) ") }
        if level == 0 { #expect(r.stderr.isEmpty, "level 0 wrote:\n\(r)") }
    }

    @Test("lines of several threads never interleave (4 threads, level 4, to stderr and to a file)", arguments: [false, true])
    func threadsDoNotInterleave(toFile: Bool) throws {
        let exe = try Programs.build("diagnostics.c")
        let pool = TempDir.pool()
        let work = TempDir.work("log")
        defer { pool.remove(); work.remove() }
        var extra = ["VMMALLOC_LOG_LEVEL": "4"]
        if toFile { extra["VMMALLOC_LOG_FILE"] = work.file("log") }
        let env = try poolEnvironment(dir: pool.path, size: "64M", library: try Library.debugPath(), extra: extra)
        let r = try run(exe, ["threads", "4", "5000"], environment: env)
        #expect(r.exitStatus == 0 && r.stdout.contains("OK threads"), "\(r)")
        let text = toFile ? (try? String(contentsOfFile: work.file("log"), encoding: .utf8)) ?? "" : r.stderr
        if toFile { #expect(r.stderr.isEmpty, "with VMMALLOC_LOG_FILE set, stderr got:\n\(r)") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let broken = lines.filter { LogLine($0) == nil }
        #expect(broken.isEmpty, "\(broken.count) of \(lines.count) lines are not whole log lines, e.g. \(broken.prefix(3))")
        let calls = lines.filter { $0.contains(" vmmMalloc(_:): size ") || $0.contains(" vmmFree(_:): 0x") }
        #expect(calls.count >= 4 * 5000 * 2, "expected a line per malloc and free of the threads, found \(calls.count)")
    }

    @Test("an invalid VMMALLOC_LOG_LEVEL stops the debug variant with one line; the release variant does not read it",
          arguments: ["5", "-1", "x", "12", "2 ", ""])
    func invalidLevel(value: String) throws {
        let exe = try Programs.build("hello.c")
        let pool = TempDir.pool()
        defer { pool.remove() }
        let debug = try run(exe, environment: try poolEnvironment(dir: pool.path, size: "64M", library: try Library.debugPath(),
                                                                  extra: ["VMMALLOC_LOG_LEVEL": value]))
        let expected = value.isEmpty ? "libvmmalloc: VMMALLOC_LOG_LEVEL is empty"
            : "libvmmalloc: VMMALLOC_LOG_LEVEL=\(value) is not 0, 1, 2, 3 or 4"
        #expect(debug.signal == SIGABRT && debug.stderrLines == [expected], "\(debug)")
        #expect(!debug.stdout.contains("hello from the pool"), "\(debug)")
        #expect(pool.entries() == [], "the failed start left files behind")
        let release = try run(exe, environment: try poolEnvironment(dir: pool.path, size: "64M",
                                                                    extra: ["VMMALLOC_LOG_LEVEL": value, "VMMALLOC_LOG_FILE": "/nonexistent/log"]))
        #expect(release.exitStatus == 0 && release.stderr.isEmpty && release.stdout.contains("hello from the pool"), "\(release)")
    }

    // MARK: - VMMALLOC_LOG_FILE

    @Test("VMMALLOC_LOG_FILE: the log goes to the file, nothing to stderr")
    func logFile() throws {
        let work = TempDir.work("log")
        defer { work.remove() }
        let path = work.file("vmmalloc.log")
        let (r, lines, _) = try logOfCalls(level: "4", extra: ["VMMALLOC_LOG_FILE": path])
        #expect(lines.isEmpty && r.stderr.isEmpty, "stderr got lines:\n\(r)")
        let logged = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(logged.allSatisfy { LogLine($0) != nil } && logged.contains { $0.contains("pool created in ") },
                "the log file lacks the lines: \(logged.prefix(5))")
        // Without a "-" parent and child share the file.
        #expect(logged.contains { $0.contains("size 4321 -> ") }, "the child's lines are not in the shared file")
        #expect(work.entries() == ["vmmalloc.log"], "other files: \(work.entries() ?? [])")
        // A second process appends: it does not truncate what the first wrote.
        _ = try logOfCalls(level: "2", extra: ["VMMALLOC_LOG_FILE": path])
        let both = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        #expect(both.components(separatedBy: "pool created in ").count - 1 == 2 && both.contains("size 4321 -> "),
                "the second process did not append to the first one's log:\n\(both)")
    }

    @Test("VMMALLOC_LOG_FILE: a script's own descriptor 3 gets only what the script writes there, the log file the library's lines")
    func logFileBesideScriptDescriptors() throws {
        let work = TempDir.work("log")
        defer { work.remove() }
        try "from the input file\n".write(toFile: work.file("input"), atomically: true, encoding: .utf8)
        let log = work.file("vmmalloc.log")
        let pool = TempDir.pool()
        defer { pool.remove() }
        let env = try poolEnvironment(dir: pool.path, size: "64M", library: try Library.debugPath(),
                                      extra: ["VMMALLOC_LOG_LEVEL": "3", "VMMALLOC_LOG_FILE": log, "W": work.path])
        let r = try run(try tool("bash"), ["-c", RealProgramTests.descriptorScript], environment: env, timeout: 60)
        #expect(r.exitStatus == 0 && r.stdout == "done\n" && r.stderr.isEmpty, "\(r)")
        let three = try? String(contentsOfFile: work.file("three"), encoding: .utf8)
        #expect(three == "to three\nfrom the input file\nfrom a subshell\n", "descriptor 3 got: \(three ?? "nothing")")
        let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(logged.contains("pool created in ") && logged.contains("remapping the pool private"),
                "the log file lacks the library's lines:\n\(logged.prefix(2000))")
    }

    @Test("VMMALLOC_LOG_FILE ending in '-': one file per process, the forked child's with its own pid")
    func logFilePerProcess() throws {
        let work = TempDir.work("log")
        defer { work.remove() }
        let (r, _, _) = try logOfCalls(level: "4", extra: ["VMMALLOC_LOG_FILE": work.file("trace-")])
        let pid = try #require(printed("pid", r)), child = try #require(printed("child_pid", r))
        #expect(Set(work.entries() ?? []) == ["trace-\(pid)", "trace-\(child)"], "files: \(work.entries() ?? [])")
        let parentLog = (try? String(contentsOfFile: work.file("trace-\(pid)"), encoding: .utf8)) ?? ""
        let childLog = (try? String(contentsOfFile: work.file("trace-\(child)"), encoding: .utf8)) ?? ""
        #expect(parentLog.contains("pool created in ") && parentLog.contains("fork: the parent resumes"), "parent's log:\n\(parentLog)")
        #expect(!parentLog.contains("size 4321 -> ") && !parentLog.contains("fork: child process"), "the child wrote into the parent's log:\n\(parentLog)")
        #expect(childLog.contains("fork: child process \(child) starts") && childLog.contains("size 4321 -> "), "child's log:\n\(childLog)")
    }

    @Test("a VMMALLOC_LOG_FILE that cannot be opened stops the debug variant at start with one line")
    func logFileCannotOpen() throws {
        let exe = try Programs.build("hello.c")
        let pool = TempDir.pool()
        defer { pool.remove() }
        let r = try run(exe, environment: try poolEnvironment(dir: pool.path, size: "64M", library: try Library.debugPath(),
                                                              extra: ["VMMALLOC_LOG_FILE": "/nonexistent/log"]))
        #expect(r.signal == SIGABRT, "\(r)")
        #expect(r.stderrLines == ["libvmmalloc: cannot open the log file /nonexistent/log (VMMALLOC_LOG_FILE): No such file or directory"], "\(r)")
    }

    // MARK: - VMMALLOC_LOG_STATS

    @Test("VMMALLOC_LOG_STATS=1: the numbers at exit match the program's known allocations (release and debug variant)",
          arguments: [LibraryBuild.release, .debugVariant])
    func statistics(build: LibraryBuild) throws {
        let exe = try Programs.build("diagnostics.c")
        let pool = TempDir.pool()
        defer { pool.remove() }
        let env = try poolEnvironment(dir: pool.path, size: "64M", library: try build.path, extra: ["VMMALLOC_LOG_STATS": "1"])
        let r = try run(exe, ["stats"], environment: env)
        #expect(r.exitStatus == 0 && r.stdout.contains("OK stats"), "\(r)")
        let lines = r.stderrLines
        #expect(lines.first?.hasPrefix("libvmmalloc: statistics of process ") == true, "\(r)")
        func item(_ label: String) -> String? {
            lines.first { $0.hasPrefix("libvmmalloc:   \(label) ") }.map {
                String($0.dropFirst("libvmmalloc:   \(label) ".count)).trimmingCharacters(in: .whitespaces)
            }
        }
        func numbers(_ text: String?) -> [Int] {
            (text ?? "").split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        }
        let kind = pool.path.hasPrefix("/dev/shm/") ? "tmpfs" : ""
        #expect(item("pool")?.hasPrefix("\(pool.path) (\(kind)") == true && item("pool")?.contains("67108864 bytes at 0x") == true,
                "\(r)")
        // The class of the 100-byte blocks holds exactly the program's 1000.
        let classes = lines.filter { $0.hasPrefix("libvmmalloc:     ") }.map { numbers($0) }
        #expect(classes.contains { $0.count == 3 && $0[0] >= 100 && $0[0] <= 200 && $0[1] == 1000 && $0[2] >= 1 && $0[2] * 16384 >= 1000 * 100 },
                "no size class with the 1000 blocks of 100 bytes: \(classes)\n\(r)")
        let now = numbers(item("handed out now"))
        #expect(now.count == 2 && now[0] >= 1000 * 100 + 3 * 10000 + (3 << 20) && now[0] < (3 << 20) + 400_000 && now[1] >= 1004,
                "\(r)")
        let huge = numbers(item("huge blocks"))
        #expect(huge.first ?? 0 >= 1 && (huge.count > 1 ? huge[1] : 0) >= 3 << 20, "the 3 MiB block is not huge:\n\(r)")
        let space = numbers(item("pool space"))
        #expect(space.count == 3 && space[0] + space[1] == 67_108_864 && space[2] <= space[1] && space[2] > 50 << 20, "\(r)")
        // The program's 4 MiB block, freed before exit, is in the peaks.
        let poolPeak = numbers(item("pool space at peak")).first ?? 0
        #expect(space.count == 3 && poolPeak >= space[0] + (3 << 20), "the pool's peak misses the 4 MiB block:\n\(r)")
        #expect(item("refused (ENOMEM)") == "0 allocations", "\(r)")
        let peak = item("handed out at peak") ?? ""
        if build == .release {
            #expect(peak.isEmpty, "the release variant does not track the bytes handed out at peak:\n\(r)")
        } else {
            #expect((numbers(peak).first ?? 0) >= now[0] + (4 << 20) - 100_000, "the peak misses the 4 MiB block freed before exit:\n\(r)")
        }
        #expect(item("forks") == "2", "\(r)")
        #expect(item("threads allocating") != nil, "\(r)")
    }

    @Test("without VMMALLOC_LOG_STATS, or with 0, nothing is printed; another value stops the program (both variants)",
          arguments: [LibraryBuild.release, .debugVariant])
    func statisticsSwitch(build: LibraryBuild) throws {
        let exe = try Programs.build("hello.c")
        let pool = TempDir.pool()
        defer { pool.remove() }
        for value in [nil, "0"] as [String?] {
            let r = try run(exe, environment: try poolEnvironment(dir: pool.path, size: "64M", library: try build.path,
                                                                  extra: value.map { ["VMMALLOC_LOG_STATS": $0] } ?? [:]))
            #expect(r.exitStatus == 0 && r.stderr.isEmpty, "\(r)")
        }
        for value in ["2", "yes", ""] {
            let r = try run(exe, environment: try poolEnvironment(dir: pool.path, size: "64M", library: try build.path,
                                                                  extra: ["VMMALLOC_LOG_STATS": value]))
            let expected = value.isEmpty ? "libvmmalloc: VMMALLOC_LOG_STATS is empty" : "libvmmalloc: VMMALLOC_LOG_STATS=\(value) is not 0, 1 or json"
            #expect(r.signal == SIGABRT && r.stderrLines == [expected], "\(r)")
        }
    }

    @Test("debug variant: with VMMALLOC_LOG_FILE the statistics go to the file")
    func statisticsToLogFile() throws {
        let exe = try Programs.build("hello.c")
        let pool = TempDir.pool()
        let work = TempDir.work("log")
        defer { pool.remove(); work.remove() }
        let r = try run(exe, environment: try poolEnvironment(dir: pool.path, size: "64M", library: try Library.debugPath(),
                                                              extra: ["VMMALLOC_LOG_STATS": "1", "VMMALLOC_LOG_FILE": work.file("log")]))
        #expect(r.exitStatus == 0 && r.stderr.isEmpty, "\(r)")
        let log = (try? String(contentsOfFile: work.file("log"), encoding: .utf8)) ?? ""
        #expect(log.contains("libvmmalloc: statistics of process ") && log.contains("libvmmalloc:   handed out at peak "), "log:\n\(log)")
    }

    @Test("allocation after main still works with the statistics on (both variants)", arguments: [LibraryBuild.release, .debugVariant])
    func statisticsAfterExitHandlers(build: LibraryBuild) throws {
        let lib = try Programs.build("exitlib.c", shared: true)
        let dir = (lib as NSString).deletingLastPathComponent
        let exe = try Programs.build("exit.cpp", libraries: [lib, "-Wl,-rpath,\(dir)"])
        let pool = TempDir.pool()
        defer { pool.remove() }
        let r = try run(exe, environment: try poolEnvironment(dir: pool.path, size: "64M", library: try build.path,
                                                              extra: ["VMMALLOC_LOG_STATS": "1"]))
        #expect(r.exitStatus == 0, "\(r)")
        #expect(r.stdoutLines.last == "library destructor: malloc/realloc/free ok", "\(r)")
        #expect(r.stderrLines.first?.hasPrefix("libvmmalloc: statistics of process ") == true, "\(r)")
    }
}
