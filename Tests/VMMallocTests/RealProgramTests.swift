// Real programs under LD_PRELOAD give the same results as without, and really
// use the pool: a spy library preloaded after libvmmalloc reports, when each
// process ends, that malloc is libvmmalloc's, that a fresh block is in the
// pool, and how much of the pool file the process has written (pool_kib).
import Foundation
import Testing

struct SpyReport: CustomStringConvertible {
    let comm: String
    let mallocIsVmmalloc: Bool
    let freshInPool: Bool
    let poolKiB: Int
    var description: String { "\(comm): malloc_is_vmmalloc=\(mallocIsVmmalloc) fresh_in_pool=\(freshInPool) pool_kib=\(poolKiB)" }

    static func parse(_ text: String) -> [SpyReport] {
        text.split(separator: "\n").compactMap { line in
            var fields: [String: String] = [:]
            for part in line.split(separator: " ") {
                let kv = part.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
            }
            guard let comm = fields["comm"], let k = fields["pool_kib"].flatMap({ Int($0) }) else { return nil }
            return SpyReport(comm: comm, mallocIsVmmalloc: fields["malloc_is_vmmalloc"] == "1",
                             freshInPool: fields["fresh_in_pool"] == "1", poolKiB: k)
        }
    }
}

/// A real command run twice: as is, and under the library with the spy.
struct Comparison {
    let plain: RunResult
    let pooled: RunResult
    let reports: [SpyReport]
    let leftovers: [String]?
}

enum Real {
    static func spy() throws -> String {
        let libdir = try Library.linkDirectory()
        return try Programs.build("spy.c", libraries: ["-Wl,--no-as-needed", "-L", libdir, "-lvmmalloc", "-Wl,-rpath,\(libdir)"],
                                  shared: true)
    }

    /// Runs `command` under the library (256 MiB pool by default) with the spy.
    static func pooled(_ executable: String, _ arguments: [String], size: String = "256M", env extra: [String: String] = [:],
                       directory: String? = nil, timeout: Double = 180) throws -> (RunResult, [SpyReport], [String]?) {
        let pool = TempDir.pool("real-pool")
        let spyDir = TempDir.work("spy")
        defer { pool.remove(); spyDir.remove() }
        var env = try poolEnvironment(dir: pool.path, size: size, extra: extra)
        env["LD_PRELOAD"] = "\(try Library.path()):\(try spy())"
        env["VMMSPY_OUT"] = spyDir.file("reports")
        let r = try run(executable, arguments, environment: env, directory: directory, timeout: timeout)
        let reports = SpyReport.parse((try? String(contentsOfFile: spyDir.file("reports"), encoding: .utf8)) ?? "")
        return (r, reports, pool.entries())
    }

    static func plain(_ executable: String, _ arguments: [String], env extra: [String: String] = [:],
                      directory: String? = nil, timeout: Double = 180) throws -> RunResult {
        var env = baseEnvironment()
        for (k, v) in extra { env[k] = v }
        return try run(executable, arguments, environment: env, directory: directory, timeout: timeout)
    }

    static func compare(_ executable: String, _ arguments: [String], env: [String: String] = [:],
                        directory: String? = nil) throws -> Comparison {
        let plain = try plain(executable, arguments, env: env, directory: directory)
        let (pooled, reports, left) = try pooled(executable, arguments, env: env, directory: directory)
        return Comparison(plain: plain, pooled: pooled, reports: reports, leftovers: left)
    }

    /// Both runs succeeded; every process reported pool use; `comm` wrote at
    /// least `minKiB` of its pool; the pool directory is empty afterwards.
    static func expectPoolUsed(_ reports: [SpyReport], comm: String, minKiB: Int, _ context: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!reports.isEmpty, "\(context): no process reported (was the library loaded?)", sourceLocation: sourceLocation)
        for r in reports {
            #expect(r.mallocIsVmmalloc && r.freshInPool, "\(context): a process did not allocate from the pool: \(r)",
                    sourceLocation: sourceLocation)
        }
        let mine = reports.filter { $0.comm == comm }
        #expect(!mine.isEmpty, "\(context): no report from \(comm): \(reports)", sourceLocation: sourceLocation)
        let most = mine.map(\.poolKiB).max() ?? -1
        #expect(most >= minKiB, "\(context): \(comm) wrote only \(most) KiB of its pool, expected at least \(minKiB) KiB: \(reports)",
                sourceLocation: sourceLocation)
    }

    static func expectSame(_ c: Comparison, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(c.plain.succeeded, "\(context) failed without the library:\n\(c.plain)", sourceLocation: sourceLocation)
        #expect(c.pooled.succeeded, "\(context) failed under the library:\n\(c.pooled)", sourceLocation: sourceLocation)
        #expect(c.plain.stdout == c.pooled.stdout,
                "\(context): different output under the library\n--- without:\n\(c.plain)\n--- with:\n\(c.pooled)",
                sourceLocation: sourceLocation)
        #expect(c.leftovers == [], "\(context): the pool directory is not empty: \(c.leftovers ?? [])",
                sourceLocation: sourceLocation)
    }
}

@Suite("Real programs")
struct RealProgramTests {
    @Test("ls -l /usr/bin")
    func ls() throws {
        let c = try Real.compare(try tool("ls"), ["-l", "/usr/bin"])
        Real.expectSame(c, "ls -l /usr/bin")
        #expect(c.plain.stdout.count > 1000, "ls printed almost nothing:\n\(c.plain)")
        Real.expectPoolUsed(c.reports, comm: "ls", minKiB: 64, "ls")
    }

    @Test("sort of a 50 MB file")
    func sort() throws {
        let work = TempDir.work("sort")
        defer { work.remove() }
        let input = work.file("input.txt")
        let gen = """
        import random
        r = random.Random(20240101)
        words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
        with open(\"\(input)\", "w") as f:
            size = 0
            while size < 50 * 1024 * 1024:
                line = "%08d %s %s %d\\n" % (r.randrange(10**8), r.choice(words), r.choice(words) * r.randrange(1, 6), r.randrange(10**6))
                f.write(line)
                size += len(line)
        """
        try runChecked(try tool("python3"), ["-c", gen])
        let sortTool = try tool("sort")
        let plain = try Real.plain(sortTool, ["-o", work.file("plain.txt"), input])
        let (pooled, reports, left) = try Real.pooled(sortTool, ["-o", work.file("pooled.txt"), input])
        #expect(plain.succeeded, "\(plain)")
        #expect(pooled.succeeded, "\(pooled)")
        let a = try sha256(ofFile: work.file("plain.txt")), b = try sha256(ofFile: work.file("pooled.txt"))
        #expect(a == b, "sort gave a different result under the library (sha256 \(a) vs \(b))")
        #expect(left == [], "pool directory not empty: \(left ?? [])")
        Real.expectPoolUsed(reports, comm: "sort", minKiB: 40 * 1024, "sort")
    }

    static let pythonScript = """
    import hashlib, sys
    d = {}
    for i in range(300000):
        d["key%d" % i] = [i, str(i) * (i % 7), (i * 7919) % 1000003]
    l = [x * x for x in range(1000000)]
    s = "".join(chr(65 + i % 26) for i in range(2000000))
    parts = s.split("A")
    t = {}
    for k in list(d)[::3]:
        t[k[::-1]] = d.pop(k)
    h = hashlib.sha256()
    for k in sorted(d)[:50000]:
        h.update(repr((k, d[k])).encode())
    h.update(repr(sum(l)).encode())
    h.update(repr((len(s), len(parts), len(t), len(d))).encode())
    print(h.hexdigest())
    print(len(d), len(t), len(parts))
    """

    @Test("man formats a page; its helpers, which man-db's sandbox forbids to create files, run on the system allocator")
    func man() throws {
        let env = ["MANWIDTH": "80", "LC_ALL": "C.UTF-8", "MANPAGER": "cat", "PAGER": "cat"]
        let c = try Real.compare(try tool("man"), ["ls"], env: env)
        Real.expectSame(c, "man ls")
        #expect(c.pooled.stdout.contains("list directory contents"), "man printed no page:\n\(c.pooled)")
        // man itself has its heap in the pool.
        #expect(c.reports.contains { $0.comm == "man" && $0.mallocIsVmmalloc && $0.freshInPool },
                "man did not allocate from the pool: \(c.reports)")
        // Each sandboxed helper says, in one line, that it runs without a pool; nothing else is said.
        for line in c.pooled.stderr.split(separator: "\n") {
            #expect(line.hasPrefix("libvmmalloc: cannot create the pool file") && line.contains("(a sandbox forbids it)"),
                    "man under the library wrote something else on stderr:\n\(c.pooled)")
        }
    }

    /// A script that takes descriptors 3 to 9 for itself, as shell scripts do.
    static let descriptorScript = """
        set -e
        exec 3>"$W/three" 4>"$W/four" 9<"$W/input"
        for n in 5 6 7 8; do eval "exec $n>/dev/null"; done
        echo "to three" >&3
        /bin/echo "external to four" >&4
        read -r line <&9; echo "$line" >&3
        ( /bin/echo "from a subshell" >&3 )
        printf 'a\\nb\\n' | sort -r | cat >&4
        exec 3>&-
        /bin/true
        echo done
        """

    @Test("a shell script that takes descriptors 3 to 9 for itself (exec 3>file) runs commands, pipelines and subshells as usual")
    func scriptDescriptors() throws {
        let work = TempDir.work("fds")
        defer { work.remove() }
        try "from the input file\n".write(toFile: work.file("input"), atomically: true, encoding: .utf8)
        let r = try runInPool(try tool("bash"), ["-c", Self.descriptorScript], extra: ["W": work.path], timeout: 60)
        expectClean(r, "bash:")
        #expect(r.result.stdout == "done\n" && r.result.stderr.isEmpty, "\(r.result)")
        let three = try? String(contentsOfFile: work.file("three"), encoding: .utf8)
        let four = try? String(contentsOfFile: work.file("four"), encoding: .utf8)
        #expect(three == "to three\nfrom the input file\nfrom a subshell\n", "descriptor 3 got: \(three ?? "nothing")")
        #expect(four == "external to four\nb\na\n", "descriptor 4 got: \(four ?? "nothing")")
    }

    @Test("python3 with PYTHONMALLOC=malloc builds big dicts, lists and strings")
    func python() throws {
        let c = try Real.compare(try tool("python3"), ["-c", Self.pythonScript], env: ["PYTHONMALLOC": "malloc"])
        Real.expectSame(c, "python3")
        Real.expectPoolUsed(c.reports, comm: "python3", minKiB: 50 * 1024, "python3")
    }

    @Test("python3 needing 100 MB: MemoryError in a 16 MiB pool, fine in a 256 MiB pool")
    func pythonPoolLimit() throws {
        let script = """
        try:
            b = bytearray(100 * 1024 * 1024)
            print("allocated", len(b))
        except MemoryError:
            print("MemoryError")
        """
        let python = try tool("python3")
        let (small, _, leftSmall) = try Real.pooled(python, ["-c", script], size: "16M", env: ["PYTHONMALLOC": "malloc"])
        #expect(small.succeeded && small.stdout == "MemoryError\n",
                "with a 16 MiB pool python3 should get MemoryError for 100 MB:\n\(small)")
        let (big, _, leftBig) = try Real.pooled(python, ["-c", script], size: "256M", env: ["PYTHONMALLOC": "malloc"])
        #expect(big.succeeded && big.stdout == "allocated 104857600\n", "with a 256 MiB pool the 100 MB fit:\n\(big)")
        #expect(leftSmall == [] && leftBig == [], "pool directory not empty")
    }

    @Test("gcc compiles a C file to the same object, and the program prints the same")
    func gcc() throws {
        let gcc = try tool("gcc")
        let work = TempDir.work("gcc")
        defer { work.remove() }
        let source = Paths.programs + "/sample.c"
        let plain = try Real.plain(gcc, ["-O2", "-g", "-frandom-seed=1", "-c", source, "-o", work.file("plain.o")], directory: work.path)
        let (pooled, reports, left) = try Real.pooled(gcc, ["-O2", "-g", "-frandom-seed=1", "-c", source, "-o", work.file("pooled.o")],
                                                      directory: work.path)
        #expect(plain.succeeded, "\(plain)")
        #expect(pooled.succeeded, "\(pooled)")
        #expect(left == [], "pool directory not empty: \(left ?? [])")
        let a = try sha256(ofFile: work.file("plain.o")), b = try sha256(ofFile: work.file("pooled.o"))
        #expect(a == b, "gcc produced a different object file under the library")
        Real.expectPoolUsed(reports, comm: "cc1", minKiB: 1024, "gcc -c")
        // Link under the library too, then run both programs without it.
        let (linked, linkReports, _) = try Real.pooled(gcc, [work.file("pooled.o"), "-o", work.file("pooled")], directory: work.path)
        #expect(linked.succeeded, "\(linked)")
        #expect(linkReports.allSatisfy { $0.freshInPool }, "\(linkReports)")
        try runChecked(gcc, [work.file("plain.o"), "-o", work.file("plain")])
        let outPlain = try run(work.file("plain")), outPooled = try run(work.file("pooled"))
        #expect(outPlain.succeeded && outPooled.succeeded && outPlain.stdout == outPooled.stdout
                && outPlain.stdout.hasPrefix("tree checksum"), "\(outPlain)\n\(outPooled)")
    }

    @Test("a multi-threaded C++ program with std::map and std::string")
    func threadedCxx() throws {
        let exe = try Programs.build("mtmap.cpp")
        let c = try Real.compare(exe, [])
        Real.expectSame(c, "mtmap")
        #expect(c.plain.stdoutLines.count == 4, "\(c.plain)")
        let comm = String((exe as NSString).lastPathComponent.prefix(15))
        Real.expectPoolUsed(c.reports, comm: comm, minKiB: 32 * 1024, "mtmap")
    }

    @Test("git init, add, commit, gc, log and fsck on a scratch repository")
    func git() throws {
        let git = try tool("git")
        func session(pooled: Bool) throws -> (String, [SpyReport], Bool) {
            let work = TempDir.work(pooled ? "git-pooled" : "git-plain")
            defer { work.remove() }
            let env = [
                "HOME": work.path, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "A U Thor", "GIT_AUTHOR_EMAIL": "author@example.com",
                "GIT_AUTHOR_DATE": "2020-01-01T00:00:00Z",
                "GIT_COMMITTER_NAME": "C O Mitter", "GIT_COMMITTER_EMAIL": "committer@example.com",
                "GIT_COMMITTER_DATE": "2020-01-02T00:00:00Z",
            ]
            let repo = work.file("repo")
            try FileManager.default.createDirectory(atPath: repo + "/src", withIntermediateDirectories: true)
            for i in 0..<200 {
                let text = (0..<(i * 20 + 1)).map { "line \($0) of file \(i)\n" }.joined()
                try text.write(toFile: "\(repo)/src/file\(i).txt", atomically: false, encoding: .utf8)
            }
            let steps: [[String]] = [
                ["-c", "init.defaultBranch=main", "init", "-q", "."],
                ["add", "."],
                ["commit", "-q", "-m", "first commit"],
                ["rm", "-q", "src/file7.txt"],
                ["mv", "src/file8.txt", "src/renamed.txt"],
                ["commit", "-q", "-a", "-m", "second commit"],
                ["gc", "-q"],
                ["log", "--stat", "--format=%H %an <%ae> %ad%n%s"],
                ["fsck", "--full"],
                ["rev-parse", "HEAD"],
            ]
            var output = ""
            var reports: [SpyReport] = []
            var clean = true
            for step in steps {
                let r: RunResult
                if pooled {
                    let (res, rep, left) = try Real.pooled(git, step, env: env, directory: repo)
                    r = res
                    reports += rep
                    if left != [] { clean = false }
                } else {
                    r = try Real.plain(git, step, env: env, directory: repo)
                }
                #expect(r.succeeded, "git \(step.joined(separator: " ")) \(pooled ? "under the library " : "")failed:\n\(r)")
                output += "$ git \(step.joined(separator: " "))\n" + r.stdout
            }
            return (output, reports, clean)
        }
        let (plain, _, _) = try session(pooled: false)
        let (pooled, reports, clean) = try session(pooled: true)
        #expect(plain == pooled, "git gave different output under the library\n--- without:\n\(plain)\n--- with:\n\(pooled)")
        #expect(clean, "a pool directory was not empty after a git command")
        Real.expectPoolUsed(reports, comm: "git", minKiB: 256, "git")
    }
}
