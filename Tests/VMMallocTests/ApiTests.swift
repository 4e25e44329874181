// The malloc API behaves as glibc's does, and everything it returns is pool memory.
import Testing

@Suite("API semantics")
struct ApiTests {
    /// Each case of Tests/Programs/api.c, with the pool size it needs.
    static let cases: [(name: String, pool: String)] = [
        ("malloc0", "16M"),            // malloc(0) unique, freeable; 2M malloc(0)/free pairs fit
        ("calloc", "64M"),             // zeroed, also after dirtied memory was freed
        ("realloc", "16M"),            // NULL = malloc, 0 = free+NULL, contents kept
        ("realloc_in_place", "64M"),   // large blocks grow into free space and into a freed neighbour
        ("posix_memalign_einval", "16M"),
        ("alignments", "256M"),        // every power of two 8 .. 64 MiB, three functions
        ("alignment_beyond_pool", "16M"), // powers of two up to 2^63: ENOMEM, not EINVAL
        ("aligned_alloc_einval", "16M"),
        ("valloc", "16M"),
        ("pvalloc", "16M"),
        ("usable_size", "64M"),
        ("cfree", "16M"),
        ("free", "16M"),
        ("errno", "64M"),
        ("alignment16", "64M"),
        ("libc_internal", "16M"),
    ]

    @Test("api.c case", arguments: cases.map(\.name))
    func apiCase(_ name: String) throws {
        let exe = try Programs.build("api.c")
        let pool = Self.cases.first { $0.name == name }!.pool
        let r = try runInPool(exe, [name], size: pool)
        expectClean(r, "api \(name):")
        #expect(r.result.stdout.contains("OK \(name)"), "api \(name) did not report success:\n\(r.result)")
        #expect(r.result.stderr.isEmpty, "api \(name) wrote to stderr:\n\(r.result)")
    }

    @Test("memalign(1 GiB) works in a 4 GiB pool")
    func memalignOneGiB() throws {
        let exe = try Programs.build("api.c")
        let r = try runInPool(exe, ["memalign_huge"], size: "4G")
        expectClean(r, "memalign(1 GiB):")
        #expect(r.result.stdout.contains("OK memalign_huge"), "\(r.result)")
    }
}

@Suite("Bad pointers")
struct BadPointerTests {
    @Test("a free at any 8-byte step inside a block of any size class is refused with one line; the blocks stay intact")
    func interiorPointers() throws {
        let r = try runInPool(try Programs.build("interior.c"), size: "64M", timeout: 120)
        #expect(r.result.stdout.contains("OK interior"), "\(r.result)")
        #expect(r.result.stdout.value(of: "classes") == "80", "\(r.result)")
        let refused = Int(r.result.stdout.value(of: "refused") ?? "") ?? -1
        let lines = r.result.stderrLines
        let refusals = lines.filter {
            $0.hasPrefix("libvmmalloc: free(") && $0.hasSuffix("): not a block in use from the pool (freed twice, or never allocated); ignored")
        }
        #expect(refused > 0 && refusals.count == refused, "expected \(refused) refusals, got \(refusals.count)")
        #expect(lines.count == refusals.count, "unexpected stderr:\n\(lines.filter { !$0.hasSuffix("ignored") }.prefix(5))")
    }

    @Test("double free (on the same thread and on another), interior and forged pointers: each refused with one line, nothing corrupted, the heap goes on")
    func refused() throws {
        let exe = try Programs.build("badfree.c")
        let r = try runInPool(exe, size: "64M")
        expectClean(r, "badfree:")
        #expect(r.result.stdout.contains("OK badfree"), "\(r.result)")
        #expect(r.result.stdout.value(of: "realloc_result") == "null errno_einval=1", "\(r.result)")
        #expect(r.result.stdout.value(of: "usable_bad") == "0", "\(r.result)")
        let lines = r.result.stderrLines
        let calls = lines.compactMap { line -> String? in
            guard line.hasPrefix("libvmmalloc: "),
                  line.hasSuffix("): not a block in use from the pool (freed twice, or never allocated); ignored"),
                  let open = line.firstIndex(of: "(") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: "libvmmalloc: ".count)..<open])
        }
        #expect(r.result.stdout.value(of: "usable_kept") == "0", "\(r.result)")
        #expect(calls == ["free", "free", "free", "realloc", "malloc_usable_size", "free", "free", "free",
                          "free", "malloc_usable_size"],
                "expected one line per bad call, got:\n\(r.result.stderr)")
        #expect(lines.count == calls.count, "unexpected stderr:\n\(r.result.stderr)")
    }
}
