// valgrind's memcheck on programs whose blocks live in the pool: each kind of
// error is reported, on an address inside the pool mapping, with the library
// preloaded and linked, in both variants.
import Foundation
import Testing

@Suite("Valgrind memcheck")
struct ValgrindTests {
    /// The command line README and libvmmalloc(7) give: without the synonym,
    /// valgrind replaces the library's malloc with its own.
    static let memcheckOptions = ["--soname-synonyms=somalloc=nouserintercepts", "--leak-check=full"]

    enum Linking: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case preloaded, linked
        var testDescription: String { rawValue }
    }

    /// What memcheck said about one run of a test program, and where the program found its block.
    struct Report {
        let run: RunResult
        /// The block the program printed (block=0x...), and the pool mapping holding it (pool=0xSTART-0xEND).
        let block: UInt?
        let pool: ClosedRange<UInt>?

        var text: String { run.stderr }

        /// The addresses of memcheck's "Address 0x... is ..." lines.
        var reportedAddresses: [UInt] {
            text.split(separator: "\n").compactMap { line in
                guard let range = line.range(of: "Address 0x") else { return nil }
                let digits = line[range.upperBound...].prefix { $0.isHexDigit }
                return UInt(digits, radix: 16)
            }
        }

        func inPool(_ address: UInt) -> Bool { pool?.contains(address) ?? false }
    }

    /// Runs `program` (memcheck.c or memcheck_cxx.cpp) in `mode` under memcheck, the library preloaded or linked.
    func memcheck(_ source: String, _ mode: String, _ linking: Linking = .preloaded, debugVariant: Bool = false,
                  options: [String] = memcheckOptions) throws -> Report {
        let valgrind = try tool("valgrind")
        let library = debugVariant ? try Library.debugPath() : try Library.path()
        let exe: String
        switch linking {
        case .preloaded:
            exe = try Programs.build(source)
        case .linked:
            let dir = (library as NSString).deletingLastPathComponent
            let libdir = debugVariant ? try debugLinkDirectory(dir) : try Library.linkDirectory()
            let asNeeded = source.hasSuffix(".cpp") ? ["-Wl,--no-as-needed"] : []
            exe = try Programs.build(source, libraries: asNeeded + ["-L", libdir, "-lvmmalloc", "-Wl,-rpath,\(libdir)"])
        }
        let pool = TempDir.pool()
        defer { pool.remove() }
        var env = try poolEnvironment(dir: pool.path, size: "32M", library: library)
        if linking == .linked { env["LD_PRELOAD"] = nil }
        let r = try run(valgrind, options + [exe, mode], environment: env, timeout: 300)
        if !r.stderr.contains("ERROR SUMMARY") { throw HarnessError("memcheck did not run to its summary:\n\(r)") }
        func number(_ key: String) -> UInt? {
            guard let value = r.stdout.value(of: key), value.hasPrefix("0x") else { return nil }
            return UInt(value.dropFirst(2), radix: 16)
        }
        var poolRange: ClosedRange<UInt>? = nil
        if let value = r.stdout.value(of: "pool") {
            let bounds = value.split(separator: "-").compactMap { UInt($0.dropFirst(2), radix: 16) }
            if bounds.count == 2 && bounds[0] < bounds[1] { poolRange = bounds[0]...(bounds[1] - 1) }
        }
        return Report(run: r, block: number("block"), pool: poolRange)
    }

    /// A directory with libvmmalloc.so and .so.1 for the debug variant, for -L and -rpath.
    func debugLinkDirectory(_ libraryDirectory: String) throws -> String {
        let dir = Paths.work + "/libdir-debug"
        let fm = FileManager.default
        if !fm.fileExists(atPath: dir + "/libvmmalloc.so.1") {
            try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try? fm.createSymbolicLink(atPath: dir + "/libvmmalloc.so", withDestinationPath: libraryDirectory + "/libvmmalloc.so")
            try? fm.createSymbolicLink(atPath: dir + "/libvmmalloc.so.1", withDestinationPath: libraryDirectory + "/libvmmalloc.so")
        }
        return dir
    }

    /// The checks every report of an error on a pool block passes: the
    /// program ran to its end, its block was in the pool, memcheck named the
    /// error, and every address memcheck described lies in the pool.
    func expectReport(_ report: Report, naming phrases: [String], errors: Int,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.run.exitStatus == 0 && report.run.stdout.contains("done"),
                "the program did not run to its end:\n\(report.run)", sourceLocation: sourceLocation)
        #expect(report.block.map(report.inPool) == true, "the block is not in the pool:\n\(report.run)",
                sourceLocation: sourceLocation)
        for phrase in phrases {
            #expect(report.text.contains(phrase), "memcheck did not say \"\(phrase)\":\n\(report.run)",
                    sourceLocation: sourceLocation)
        }
        for address in report.reportedAddresses {
            #expect(report.inPool(address), "memcheck reported address 0x\(String(address, radix: 16)) outside the pool:\n\(report.run)",
                    sourceLocation: sourceLocation)
        }
        #expect(report.text.contains("ERROR SUMMARY: \(errors) errors"),
                "expected \(errors) errors in memcheck's summary:\n\(report.run)", sourceLocation: sourceLocation)
    }

    @Test("a block lost in the pool is reported definitely lost, with its allocation stack", arguments: Linking.allCases)
    func leak(_ linking: Linking) throws {
        let report = try memcheck("memcheck.c", "leak", linking)
        expectReport(report, naming: ["40 bytes in 1 blocks are definitely lost", "by 0x", "leak (memcheck.c:", "main (memcheck.c:"],
                     errors: 1)
    }

    @Test("a write and a read past the size asked for are reported on the pool block", arguments: Linking.allCases)
    func overrun(_ linking: Linking) throws {
        let report = try memcheck("memcheck.c", "overrun", linking)
        expectReport(report, naming: ["Invalid write of size 1", "Invalid read of size 1",
                                      "is 0 bytes after a block of size 24 alloc'd", "main (memcheck.c:"], errors: 2)
        #expect(report.reportedAddresses.first == report.block.map { $0 + 24 }, "\(report.run)")
    }

    @Test("a read of a freed block is reported as a read inside a freed block, also after blocks of its size were allocated",
          arguments: Linking.allCases)
    func useAfterFree(_ linking: Linking) throws {
        let report = try memcheck("memcheck.c", "use-after-free", linking)
        expectReport(report, naming: ["Invalid read of size 1", "is 8 bytes inside a block of size 32 free'd",
                                      "Block was alloc'd at"], errors: 1)
        // The freed block waited: none of the 100 blocks of its size allocated after the free was it.
        #expect(report.run.stdout.contains("reused=0"), "\(report.run)")
    }

    @Test("a block freed twice is reported as an invalid free, and the pool goes on", arguments: Linking.allCases)
    func doubleFree(_ linking: Linking) throws {
        let report = try memcheck("memcheck.c", "double-free", linking)
        expectReport(report, naming: ["Invalid free() / delete / delete[] / realloc()",
                                      "is 0 bytes inside a block of size 32 free'd"], errors: 1)
    }

    @Test("a branch on malloc'd bytes never written is reported; on calloc'd bytes it is not", arguments: Linking.allCases)
    func uninitialised(_ linking: Linking) throws {
        let report = try memcheck("memcheck.c", "uninitialised", linking)
        expectReport(report, naming: ["Conditional jump or move depends on uninitialised value(s)", "main (memcheck.c:"],
                     errors: 1)
        let zeroed = try memcheck("memcheck.c", "calloc", linking)
        expectReport(zeroed, naming: [], errors: 0)
    }

    @Test("realloc in place is a resize (past the new size is reported); a moved block keeps its bytes defined",
          arguments: Linking.allCases)
    func realloc(_ linking: Linking) throws {
        let report = try memcheck("memcheck.c", "realloc", linking)
        expectReport(report, naming: ["Invalid read of size 1", "is 10 bytes after a block of size 60 alloc'd"], errors: 1)
        #expect(report.run.stdout.contains("in-place=1") && report.run.stdout.contains("moved=1"), "\(report.run)")
    }

    @Test("a correct program with threads, aligned, large and calloc'd blocks gets no report", arguments: Linking.allCases)
    func clean(_ linking: Linking) throws {
        let report = try memcheck("memcheck.c", "clean", linking)
        expectReport(report, naming: ["ERROR SUMMARY: 0 errors from 0 contexts"], errors: 0)
    }

    @Test("a full pool gives back the blocks waiting after their free: filled again, it holds as many")
    func exhaustion() throws {
        let report = try memcheck("memcheck.c", "exhaust")
        #expect(report.run.exitStatus == 0 && report.run.stdout.contains("done"), "\(report.run)")
        let counts = ["first", "second"].map { report.run.stdout.value(of: $0).flatMap { Int($0) } }
        #expect(counts[0] != nil && counts[0] == counts[1], "\(report.run)")
        #expect(report.text.contains("ERROR SUMMARY: 0 errors"), "\(report.run)")
    }

    @Test("C++: a pool block given to operator delete is reported as a mismatched free")
    func mismatchedDelete() throws {
        let report = try memcheck("memcheck_cxx.cpp", "malloc-delete")
        expectReport(report, naming: ["Mismatched free() / delete / delete []", "is 0 bytes inside a block of size 16 alloc'd",
                                      "main (memcheck_cxx.cpp:"], errors: 1)
    }

    @Test("without the soname synonym, valgrind's malloc takes over, and the library says how to run it")
    func replacedMalloc() throws {
        let report = try memcheck("memcheck.c", "where", options: ["--leak-check=full"])
        #expect(report.run.exitStatus == 0 && report.run.stdout.contains("in-pool=0"), "\(report.run)")
        #expect(report.text.contains(
            "libvmmalloc: no allocation reached the pool under valgrind, which puts its own malloc in place of this "
                + "library's unless run with --soname-synonyms=somalloc=nouserintercepts"), "\(report.run)")
        // With the option, the line does not appear.
        let right = try memcheck("memcheck.c", "where")
        #expect(right.run.stdout.contains("in-pool=1") && !right.text.contains("no allocation reached the pool"), "\(right.run)")
    }

    @Test("the debug variant: errors on pool blocks reported, a correct program clean",
          arguments: [("overrun", ["Invalid write of size 1", "is 0 bytes after a block of size 24 alloc'd"], 2),
                      ("leak", ["40 bytes in 1 blocks are definitely lost", "main (memcheck.c:"], 1),
                      ("uninitialised", ["Conditional jump or move depends on uninitialised value(s)"], 1),
                      ("clean", [], 0)])
    func debugVariant(_ mode: String, _ phrases: [String], _ errors: Int) throws {
        let report = try memcheck("memcheck.c", mode, debugVariant: true)
        expectReport(report, naming: phrases, errors: errors)
    }

    @Test("a program that forks (copy on write and copied pool) gets no report in parent or child",
          arguments: ["1", "2"])
    func fork(_ mode: String) throws {
        let valgrind = try tool("valgrind")
        let exe = try Programs.build("memcheck.c")
        let pool = TempDir.pool()
        defer { pool.remove() }
        let env = try poolEnvironment(dir: pool.path, size: "32M", fork: mode)
        let r = try run(valgrind, Self.memcheckOptions + ["--trace-children=no", exe, "fork"], environment: env, timeout: 300)
        #expect(r.exitStatus == 0 && r.stdout.contains("child ok") && r.stdout.contains("done"), "\(r)")
        // One summary for each process.
        #expect(r.stderr.components(separatedBy: "ERROR SUMMARY: 0 errors from 0 contexts").count == 3, "\(r)")
    }
}
