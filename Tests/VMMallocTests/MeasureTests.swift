// vmmalloc --measure, --stats-json and --stats-file: the launcher's side of
// the statistics.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("vmmalloc --measure and the statistics options")
struct MeasureTests {
    /// The figures of --measure's two lines: the peak of blocks, the processes, the suggested MiB.
    func measured(_ r: RunResult) -> (peak: Int, processes: Int, suggested: Int)? {
        guard let peakLine = r.stderrLines.first(where: { $0.hasPrefix("vmmalloc: peak pool space in use: ") }),
              let suggestion = r.stderrLines.first(where: { $0.hasPrefix("vmmalloc: suggested pool size: -s ") }) else { return nil }
        let peak = Int(peakLine.dropFirst("vmmalloc: peak pool space in use: ".count).prefix { $0.isNumber }) ?? 0
        let processes = peakLine.contains("the only one") ? 1
            : Int(peakLine.components(separatedBy: "the largest of ").last?.prefix { $0.isNumber } ?? "") ?? 0
        let suggested = Int(suggestion.dropFirst("vmmalloc: suggested pool size: -s ".count).prefix { $0.isNumber }) ?? 0
        return (peak, processes, suggested)
    }

    @Test("--measure: the peak of a forking program (its second child takes 16 MiB) on a 64G sparse pool, and a -s it then runs in")
    func measure() throws {
        let exe = try Programs.build("introspect.c")
        let pool = TempDir.pool()
        let temporary = TempDir.work("tmpdir")
        defer { pool.remove(); temporary.remove() }
        let r = try launch(["--measure", "-d", pool.path, "--", exe, "forks"], env: ["TMPDIR": temporary.path])
        #expect(r.exitStatus == 0 && r.stdout.contains("OK forks"), "\(r)")
        guard let m = measured(r) else {
            Issue.record("no measurement:\n\(r)")
            return
        }
        #expect(m.peak >= 16 << 20 && m.peak < 24 << 20 && m.processes == 3, "\(r)")
        #expect(m.suggested >= 20 && m.suggested < 48, "\(r)")
        #expect(temporary.entries() == [], "the statistics file was left behind: \(temporary.entries() ?? [])")
        // The suggestion holds the program.
        let fits = try launch(["-d", pool.path, "-s", "\(m.suggested)M", "--", exe, "forks"])
        #expect(fits.exitStatus == 0 && fits.stdout.contains("OK forks") && !fits.stdout.contains("FAIL"), "\(fits)")
    }

    @Test("--measure keeps the program's exit status, and says so when no process reported (sh -c leaves with _exit in dash)")
    func measureWithoutReport() throws {
        let pool = TempDir.pool()
        defer { pool.remove() }
        let r = try launch(["--measure", "-d", pool.path, "--", try tool("sh"), "-c", "exit 3"])
        #expect(r.exitStatus == 3, "\(r)")
        let dash = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/bin/sh"))?.contains("dash") == true
        if dash {
            #expect(r.stderrLines == ["vmmalloc: --measure: no process of the program reported its statistics (it ended by _exit, exec or a signal), so there is no peak to report"],
                    "\(r)")
        } else {
            print("note: /bin/sh is not dash here; only the exit status is checked")
        }
        let missing = try launch(["--measure", "-d", pool.path, "--", "/nonexistent/program"])
        #expect(missing.exitStatus == 127 && missing.stderrLines == ["vmmalloc: cannot run /nonexistent/program: No such file or directory"],
                "\(missing)")
    }

    @Test("--stats-json with --stats-file: one JSON object in the file, nothing on stderr; -n shows both variables")
    func statsOptions() throws {
        let exe = try Programs.build("hello.c")
        let pool = TempDir.pool()
        let work = TempDir.work("stats")
        defer { pool.remove(); work.remove() }
        let r = try launch(["-d", pool.path, "-s", "64M", "--stats-json", "--stats-file", work.file("s.json"), exe])
        #expect(r.exitStatus == 0 && r.stderr.isEmpty, "\(r)")
        let text = (try? String(contentsOfFile: work.file("s.json"), encoding: .utf8)) ?? ""
        let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["library"] as? String == "libvmmalloc" && text.hasSuffix("}\n") && text.split(separator: "\n").count == 1,
                "file:\n\(text)")
        let dry = try launch(["-n", "-d", pool.path, "-s", "64M", "--stats-json", "--stats-file", work.file("s.json"), exe])
        #expect(dry.stdout.contains("VMMALLOC_LOG_STATS=json ") && dry.stdout.contains("VMMALLOC_STATS_FILE=\(work.file("s.json")) "),
                "\(dry)")
    }
}
