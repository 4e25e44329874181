// The benchmark suite (bench/) in miniature: every workload runs at a tiny
// scale under the library, its own data checks pass, and its heap is the pool.
// The full suite (bench/run.py) measures; this only keeps it working.
import Foundation
import Testing

/// One workload of bench/: a C source and its arguments.
struct BenchWorkload: Sendable, CustomStringConvertible {
    let source: String
    let arguments: [String]
    var description: String { ([source] + arguments).joined(separator: " ") }
}

/// The scale of a smoke run: a hundredth of the suite's work.
private let smokeScale = "0.01"

/// The mapping path after "heap: " in a workload's output, if any.
private func heapMappings(_ output: String) -> [String] {
    output.lines(startingWith: "heap: ").map { String($0.dropFirst("heap: ".count)) }
}

@Suite("Benchmark workloads, smoke runs")
struct BenchTests {
    static let workloads: [BenchWorkload] = [
        BenchWorkload(source: "malloc_free_loop.c", arguments: []),
        BenchWorkload(source: "churn.c", arguments: []),
        BenchWorkload(source: "larson.c", arguments: ["1"]),
        BenchWorkload(source: "larson.c", arguments: ["2"]),
        BenchWorkload(source: "threads_churn.c", arguments: ["2"]),
        BenchWorkload(source: "prodcons.c", arguments: []),
        BenchWorkload(source: "realloc_growth.c", arguments: []),
        BenchWorkload(source: "large.c", arguments: []),
        BenchWorkload(source: "calloc_heavy.c", arguments: []),
        BenchWorkload(source: "aligned.c", arguments: []),
        BenchWorkload(source: "thread_handover.c", arguments: []),
        BenchWorkload(source: "fragmentation.c", arguments: []),
    ]

    @Test("a C workload at a tiny scale: exit 0, its checks pass, its blocks come from the pool",
          arguments: workloads)
    func cWorkload(_ workload: BenchWorkload) throws {
        let exe = try Programs.build(workload.source, in: Paths.bench)
        let r = try runInPool(exe, workload.arguments, size: "1G",
                              extra: ["BENCH_SCALE": smokeScale, "BENCH_WHERE": "1"])
        expectClean(r, "\(workload):")
        let name = (workload.source as NSString).deletingPathExtension
        #expect(r.result.stdout.contains("check: ok \(name)\n"), "\(workload) did not pass its checks:\n\(r.result)")
        let heap = heapMappings(r.result.stdout)
        #expect(heap.count == 1 && heap[0].hasPrefix(r.poolDir + "/"),
                "\(workload): a fresh block is not in the pool file in \(r.poolDir):\n\(r.result)")
    }

    @Test("the Python workload with PYTHONMALLOC=malloc: its checks pass and its objects live in the pool")
    func python() throws {
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : try tool("python3")
        let r = try runInPool(python, [Paths.bench + "/alloc_heavy.py"], size: "1G",
                              extra: ["BENCH_SCALE": smokeScale, "BENCH_WHERE": "1", "PYTHONMALLOC": "malloc"])
        expectClean(r, "alloc_heavy.py:")
        #expect(r.result.stdout.contains("check: ok alloc_heavy\n"), "alloc_heavy.py did not pass its checks:\n\(r.result)")
        #expect(heapMappings(r.result.stdout).contains { $0.hasPrefix(r.poolDir + "/") },
                "python3 has no mapping of the pool file:\n\(r.result)")
    }

    @Test("the sqlite3 workload: every check of the SQL passes, and sqlite3 has the pool mapped")
    func sqlite() throws {
        let sqlite = try tool("sqlite3")
        let pool = TempDir.pool()
        defer { pool.remove() }
        let env = try poolEnvironment(dir: pool.path, size: "1G")
        // `.system` runs through sh, whose parent ($PPID) is sqlite3: the pool's line of its maps.
        let r = try run(sqlite, ["-bail", "-cmd", ".parameter set @rows 300",
                                 "-cmd", ".system grep -F -m1 $VMMALLOC_POOL_DIR/ /proc/$PPID/maps", ":memory:"],
                        environment: env, stdin: Paths.bench + "/sqlite_workload.sql")
        #expect(r.succeeded, "sqlite3 failed:\n\(r)")
        for check in ["rows", "index", "groups", "sort", "json", "rewrite", "sqlite_workload"] {
            #expect(r.stdout.contains("check: ok \(check)\n"), "sqlite3 did not pass the check `\(check)`:\n\(r)")
        }
        #expect(r.stdout.contains(pool.path + "/"), "sqlite3 has no mapping of the pool file:\n\(r)")
        #expect(pool.entries() == [], "the pool directory is not empty after sqlite3: \(pool.entries() ?? [])")
    }

    @Test("larson's ceiling mode (the same work with an ideal allocator of its own, no preload) passes its checks and reports its throughput")
    func larsonCeiling() throws {
        let exe = try Programs.build("larson.c", in: Paths.bench)
        var env = baseEnvironment()
        env["BENCH_SCALE"] = smokeScale
        for threads in ["1", "2"] {
            let r = try run(exe, [threads, "ceiling"], environment: env)
            #expect(r.exitStatus == 0 && r.stdout.contains("check: ok larson\n") && r.stdout.contains("metric: mops "),
                    "larson \(threads) ceiling:\n\(r)")
        }
        let wrong = try run(exe, ["2", "ideal"], environment: env)
        #expect(wrong.exitStatus == 1 && wrong.stderr.contains("can only be \"ceiling\""), "larson 2 ideal:\n\(wrong)")
    }

    @Test("the workloads' checks catch an allocator that hands out a block in use twice")
    func checksCatchOverlap() throws {
        let broken = try Programs.build("twice.c", shared: true)
        // One thread each: the broken allocator keeps no lock.
        for (source, arguments) in [("churn.c", [String]()), ("larson.c", ["1"])] {
            let exe = try Programs.build(source, in: Paths.bench)
            var env = baseEnvironment()
            env["LD_PRELOAD"] = broken
            env["BENCH_SCALE"] = smokeScale
            let r = try run(exe, arguments, environment: env)
            #expect(r.exitStatus == 1 && r.stderr.contains("is corrupt at offset"),
                    "\(source) did not notice overlapping blocks:\n\(r)")
            #expect(!r.stdout.contains("check: ok"), "\(source) reported its checks passed:\n\(r)")
        }
    }
}
