// The per-thread heap's own paths: frees from other threads, threads that
// come and go, fork while threads allocate, and space given back.
import Testing

@Suite("Heap core")
struct HeapCoreTests {
    @Test("blocks allocated on two threads and freed on two others arrive intact (800,000 of them)")
    func remoteFrees() throws {
        let exe = try Programs.build("heapstress.c")
        let r = try runInPool(exe, ["remote"], size: "512M", timeout: 180)
        expectClean(r, "heapstress remote:")
        #expect(r.result.stdout.value(of: "remote_frees") == "800000", "\(r.result)")
    }

    @Test("20,000 short threads leaving blocks for main to free: the pool file stays flat")
    func threadHandover() throws {
        let exe = try Programs.build("heapstress.c")
        let r = try runInPool(exe, ["handover"], size: "256M", timeout: 180)
        expectClean(r, "heapstress handover:")
        #expect(r.result.stdout.contains("OK handover"), "\(r.result)")
    }

    @Test("fork 40 times while two threads allocate; each child allocates and checks its blocks",
          arguments: ["1", "2", "3"])
    func forkUnderLoad(mode: String) throws {
        let exe = try Programs.build("heapstress.c")
        let r = try runInPool(exe, ["forkload"], size: "256M", fork: mode, timeout: 180)
        expectClean(r, "heapstress forkload (VMMALLOC_FORK=\(mode)):")
        #expect(r.result.stdout.contains("OK forkload"), "\(r.result)")
    }

    @Test("a block just freed is the next one of its size handed out, from whichever page it came")
    func freedBlockComesBackFirst() throws {
        let exe = try Programs.build("heapstress.c")
        let r = try runInPool(exe, ["lifo"], size: "64M", timeout: 60)
        expectClean(r, "heapstress lifo:")
        #expect(r.result.stdout.contains("OK lifo"), "\(r.result)")
    }

    @Test("after everything is freed the pool file falls below 10% of its peak within a second of further allocation")
    func spaceGivenBack() throws {
        let exe = try Programs.build("heapstress.c")
        let r = try runInPool(exe, ["giveback"], size: "1G", timeout: 120)
        expectClean(r, "heapstress giveback:")
        let peak = Int(r.result.stdout.value(of: "peak_pool_bytes") ?? "") ?? 0
        let after = Int(r.result.stdout.value(of: "after_free_pool_bytes") ?? "") ?? Int.max
        #expect(peak > 200 << 20, "the program did not reach its peak:\n\(r.result)")
        #expect(after < peak / 10, "\(r.result)")
    }
}
