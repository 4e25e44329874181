// A full pool: NULL with ENOMEM (or std::bad_alloc), never a crash, and the
// memory comes back when it is freed.
import Testing

@Suite("Pool exhaustion")
struct ExhaustionTests {
    static let poolBytes = 16 * 1024 * 1024

    @Test("exhaust.c case in a 16 MiB pool",
          arguments: ["loop64", "loop1k", "loop9k", "loop17k", "loop1m", "mixed", "huge", "realloc_fail"])
    func exhaustCase(_ name: String) throws {
        let exe = try Programs.build("exhaust.c")
        let r = try runInPool(exe, [name, String(Self.poolBytes)], size: "16M")
        expectClean(r, "exhaust \(name):")
        #expect(r.result.stdout.contains("OK \(name)"), "\(r.result)")
    }

    @Test("C++ new throws std::bad_alloc when the pool is full, and works again after delete")
    func cxxBadAlloc() throws {
        let exe = try Programs.build("exhaust_cxx.cpp")
        let r = try runInPool(exe, size: "16M")
        expectClean(r, "exhaust_cxx:")
        #expect(r.result.stdout.contains("OK"), "\(r.result)")
    }
}

@Suite("Random call sequences")
struct FuzzTests {
    @Test("every allocation call in random order, contents checked throughout; small pools run out often and recover",
          arguments: [("1", "16M"), ("2", "16M"), ("3", "256M")])
    func randomSequences(seed: String, size: String) throws {
        let exe = try Programs.build("fuzz.c")
        let r = try runInPool(exe, [seed, "200000"], size: size, timeout: 300)
        expectClean(r, "fuzz seed \(seed) in \(size):")
        let ok = r.result.stdout.lines(startingWith: "OK fuzz ").first ?? ""
        #expect(ok.hasPrefix("OK fuzz ops=200000"), "\(r.result)")
        if size == "16M" {
            #expect(!ok.hasSuffix("failures=0"), "a 16 MiB pool never ran out, so exhaustion was not exercised\n\(r.result)")
        }
    }

    @Test("the largest pool, 64 TiB (sparse): a 65 TiB request fails with ENOMEM, the heap goes on")
    func hugePool() throws {
        let exe = try Programs.build("huge_pool.c")
        let r = try runInPool(exe, size: "64T")
        // Where the kernel cannot map 64 TiB, the library says so in one line; that is all it can do.
        if r.result.stderr.contains("cannot map a pool") {
            #expect(r.result.stderrLines.count == 1, "\(r.result)")
            return
        }
        expectClean(r, "huge_pool:")
        #expect(r.result.stdout.contains("OK huge_pool"), "\(r.result)")
    }
}
