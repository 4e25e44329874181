// The per-thread heap's own paths: frees from other threads, threads that
// come and go, fork while threads allocate, and space given back.
import Testing

@Suite("Heap core")
struct HeapCoreTests {
    /// Runs one case of heapstress.c in a pool of `size`; it must exit cleanly and leave no pool file.
    private func heapstress(_ name: String, size: String, fork: String? = nil, timeout: Double,
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> PoolRun {
        let r = try runInPool(try Programs.build("heapstress.c"), [name], size: size, fork: fork, timeout: timeout)
        expectClean(r, "heapstress \(name)\(fork.map { " (VMMALLOC_FORK=\($0))" } ?? ""):", sourceLocation: sourceLocation)
        return r
    }

    @Test("blocks allocated on two threads and freed on two others arrive intact (800,000 of them)")
    func remoteFrees() throws {
        let r = try heapstress("remote", size: "512M", timeout: 180)
        #expect(r.result.stdout.value(of: "remote_frees") == "800000", "\(r.result)")
    }

    @Test("20,000 short threads leaving blocks for main to free: the pool file stays flat")
    func threadHandover() throws {
        let r = try heapstress("handover", size: "256M", timeout: 180)
        #expect(r.result.stdout.contains("OK handover"), "\(r.result)")
    }

    @Test("200 threads each holding one 60000-byte block: the pool file holds at most 40 MiB (the blocks are 12 MiB)")
    func midsizeThreads() throws {
        let r = try heapstress("midsize", size: "1G", timeout: 60)
        #expect(r.result.stdout.contains("OK midsize"), "\(r.result)")
    }

    @Test("fork 40 times while two threads allocate; in each child, main and two new threads (on the heaps fork left behind) allocate and check their blocks",
          arguments: ["1", "2", "3"])
    func forkUnderLoad(mode: String) throws {
        let r = try heapstress("forkload", size: "256M", fork: mode, timeout: 180)
        #expect(r.result.stdout.contains("OK forkload"), "\(r.result)")
    }

    @Test("a block just freed is the next one of its size handed out, from whichever page it came")
    func freedBlockComesBackFirst() throws {
        let r = try heapstress("lifo", size: "64M", timeout: 60)
        #expect(r.result.stdout.contains("OK lifo"), "\(r.result)")
    }

    @Test("a block another thread allocated is, once freed, the next one of its size handed out to the freeing thread")
    func freedForeignBlockComesBackFirst() throws {
        let r = try heapstress("reuse", size: "64M", timeout: 60)
        #expect(r.result.stdout.contains("OK reuse"), "\(r.result)")
    }

    @Test("a thread that waits without allocating does not keep the space of its freed blocks: another thread gets it back as large blocks, whoever freed them")
    func waitingThreadsSpaceComesBack() throws {
        let r = try heapstress("idle", size: "64M", timeout: 60)
        #expect(r.result.stdout.value(of: "idle_rounds") == "2", "\(r.result)")
    }

    @Test("four threads in a pool too small for them, handing blocks on and pausing while the others tend their heaps: allocations fail with ENOMEM and the heap goes on, every block intact")
    func crowdedPool() throws {
        let r = try heapstress("crowded", size: "24M", timeout: 60)
        let failures = Int(r.result.stdout.value(of: "crowded_failures") ?? "") ?? 0
        #expect(failures > 0, "the pool never ran out, so the crowded paths were not exercised\n\(r.result)")
    }

    @Test("300 threads each holding a few blocks of 40 size classes (28 MiB in all) in a 64 MiB pool: no allocation fails")
    func manySparseThreads() throws {
        let r = try heapstress("sparse", size: "64M", timeout: 120)
        #expect(r.result.stdout.value(of: "sparse_failures") == "0", "\(r.result)")
    }

    @Test("100 threads that freed everything and exited leave a 64 MiB pool whole enough for a 40 MiB block")
    func exitedThreadsLeaveThePoolWhole() throws {
        let r = try heapstress("strand", size: "64M", timeout: 120)
        #expect(r.result.stdout.value(of: "strand_failures") == "0", "\(r.result)")
        #expect(r.result.stdout.value(of: "strand_big") == "ok", "\(r.result)")
    }

    @Test("after everything is freed the pool file falls below 10% of its peak within a second of further allocation")
    func spaceGivenBack() throws {
        let r = try heapstress("giveback", size: "1G", timeout: 120)
        let peak = Int(r.result.stdout.value(of: "peak_pool_bytes") ?? "") ?? 0
        let after = Int(r.result.stdout.value(of: "after_free_pool_bytes") ?? "") ?? Int.max
        #expect(peak > 200 << 20, "the program did not reach its peak:\n\(r.result)")
        #expect(after < peak / 10, "\(r.result)")
    }
}
