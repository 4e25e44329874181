// The stress program of `make check-programs` (check-programs/stress.c) at its
// short setting: a million allocation calls over 2-32 threads in a 64 MiB pool
// kept near full, every block's contents checked, and after every round the
// pool holds as many blocks as at the start.
import Foundation
import Testing

@Suite("Stress run with content checks")
struct StressRunTests {
    static let directory = Paths.package + "/check-programs"

    @Test("10^6 calls over 2-32 threads, near-full 64 MiB pool: no corruption, ENOMEM often, no pool space lost after any round")
    func shortStress() throws {
        let exe = try Programs.build("stress.c", in: Self.directory)
        let pool = 64 << 20
        let r = try runInPool(exe, ["1000000", "10", "2", "32", String(pool), "7", "0"], size: "64M", timeout: 600)
        expectClean(r, "stress:")
        let out = r.result.stdout
        let ok = out.lines(startingWith: "OK stress ").first ?? ""
        #expect(ok.hasPrefix("OK stress ops=1000000 "), "\(r.result)")
        #expect(out.lines(startingWith: "round ").count == 10, "\(r.result)")
        // The pool was full often enough to matter: at least 1% of the calls failed with ENOMEM.
        let enomem = ok.split(separator: " ").first { $0.hasPrefix("enomem=") }.flatMap { Int($0.dropFirst(7)) } ?? -1
        #expect(enomem >= 10_000, "ENOMEM \(enomem) times in 10^6 calls: the pool was not near full\n\(r.result)")
        // After every round the same number of 4000-byte blocks fit as at the start.
        let summary = out.lines(startingWith: "pool after the rounds: ").first ?? ""
        let match = summary.firstMatch(of: /(\d+)-(\d+) blocks of 4000 B fit \((\d+) at the start\)/)
        let counts = match.map { [Int($0.1), Int($0.2), Int($0.3)] } ?? []
        #expect(counts.count == 3 && counts[0] != nil && counts[0] == counts[2] && counts[1] == counts[2],
                "the pool did not come back to its start after every round: \(summary)\n\(r.result)")
    }
}
