// Threads: no corruption under concurrent use, no threads of the library's
// own, and threads that end leave nothing behind in the pool.
import Testing

@Suite("Threads")
struct ThreadTests {
    @Test("8 threads, millions of operations, blocks passed between threads: no corruption")
    func stress() throws {
        let exe = try Programs.build("stress.c")
        let r = try runInPool(exe, ["8", "300000"], size: "256M", timeout: 180)
        expectClean(r, "stress:")
        let ops = r.result.stdout.lines(startingWith: "OK ops=").first.flatMap { Int($0.dropFirst("OK ops=".count)) }
        #expect((ops ?? 0) >= 4_000_000, "stress did fewer operations than expected:\n\(r.result)")
    }

    @Test("the library starts no threads of its own")
    func noThreads() throws {
        let exe = try Programs.build("threads.c")
        let r = try runInPool(exe, ["count"], size: "64M")
        expectClean(r, "threads count:")
        #expect(r.result.stdout.value(of: "threads_at_start") == "1", "\(r.result)")
        #expect(r.result.stdout.value(of: "threads_after_malloc") == "1", "\(r.result)")
    }

    @Test("3000 short-lived threads allocating in a 16 MiB pool: nothing is lost when they end")
    func threadChurn() throws {
        let exe = try Programs.build("threads.c")
        let r = try runInPool(exe, ["churn"], size: "16M")
        expectClean(r, "threads churn:")
        #expect(r.result.stdout.contains("OK churn"), "\(r.result)")
    }

    @Test("a thread that may be cancelled is never cancelled inside the library: its calls that are cancellation points (open, close, write, fallocate) run with cancellation disabled")
    func noCancellationPointsInside() throws {
        let checker = try Programs.build("cancelcheck.c", shared: true)
        let exe = try Programs.build("cancelpoints.c")
        let r = try runInPool(exe, size: "1G", fork: "2", extra: ["LD_PRELOAD": "\(try Library.path()) \(checker)"])
        expectClean(r, "cancelpoints:")
        #expect(r.result.stdout.contains("OK cancelpoints"), "\(r.result)")
        let lines = r.result.stderrLines
        #expect(!lines.contains { $0.hasPrefix("cancelcheck:") }, "\(r.result)")
        // The refused free's line shows that write was called, and checked.
        #expect(lines.contains { $0.hasPrefix("libvmmalloc: free(") }, "\(r.result)")
    }
}
