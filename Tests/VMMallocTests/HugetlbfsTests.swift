// A pool on hugetlbfs: huge pages are taken as the heap reaches them (none
// set aside at start), running out of them is ENOMEM and never SIGBUS, and
// the launcher sizes the pool from the huge pages free and refuses what the
// library would refuse. One suite, serialized: the tests set the system's
// number of huge pages (/proc/sys/vm/nr_hugepages) and give it back after.
import Foundation
import Testing

@Suite("hugetlbfs", .serialized,
       .enabled(if: HugePages.available, "needs root, mount(8), hugetlbfs and 2 MiB huge pages the kernel can set aside; NOT CHECKED"))
struct HugetlbfsTests {
    @Test("a 100 MiB pool sets aside no huge pages at start (HugePages_Rsvd stays 0) and takes only what its heap reaches")
    func noReservationAtStart() throws {
        try HugePages.withMount(pages: 64) { dir in
            let env = try poolEnvironment(dir: dir, size: "100M")
            // cat runs with its pool while it reads the counters.
            let r = try run(try tool("cat"), ["/proc/meminfo"], environment: env, timeout: 60)
            #expect(r.exitStatus == 0 && r.signal == nil, "\(r)")
            let reserved = HugePages.meminfo(r.stdout, "HugePages_Rsvd")
            let free = HugePages.meminfo(r.stdout, "HugePages_Free")
            #expect(reserved == 0, "a 100 MiB pool on hugetlbfs leaves HugePages_Rsvd at \(reserved ?? -1); expected 0\n\(r)")
            #expect(free.map { 64 - $0 <= 4 } == true,
                    "a program with a 100 MiB pool holds \(64 - (free ?? 0)) huge pages; expected at most 4 (8 MiB)\n\(r)")
        }
    }

    @Test("vmmalloc -s 64M sh -c 'ls / | wc -l' with 32 huge pages: every process of the pipeline runs")
    func pipeline() throws {
        let plain = try run(try tool("sh"), ["-c", "ls / | wc -l"], timeout: 60)
        try HugePages.withMount(pages: 32) { dir in
            let r = try launch(["-d", dir, "-s", "64M", "sh", "-c", "ls / | wc -l"])
            #expect(r.exitStatus == 0 && r.signal == nil, "\(r)")
            #expect(r.stdout == plain.stdout, "the pipeline printed \(r.stdout), without the pool \(plain.stdout)\n\(r)")
            #expect(HugePages.unreserved() == 32, "huge pages still held after the pipeline ended")
            // The same with the launcher's default size, from the huge pages free.
            let d = try launch(["-d", dir, "sh", "-c", "ls / | sort | wc -l"])
            #expect(d.exitStatus == 0 && d.signal == nil && d.stdout == plain.stdout, "\(d)")
        }
    }

    @Test("a pool larger than the huge pages there are (1 GiB, 64 MiB of huge pages) runs a small program and a pipeline")
    func poolLargerThanHugePages() throws {
        let hello = try Programs.build("hello.c")
        try HugePages.withMount(pages: 32) { dir in
            let r = try run(hello, environment: try poolEnvironment(dir: dir, size: "1G"), timeout: 60)
            #expect(r.exitStatus == 0 && r.signal == nil && r.stdout.contains("hello from the pool"), "\(r)")
            #expect(r.stdout.value(of: "pool_file_size") == "\(1 << 30)", "\(r)")
            let p = try launch(["-d", dir, "-s", "1G", "sh", "-c", "ls / | sort -r | wc -l"])
            #expect(p.exitStatus == 0 && p.signal == nil, "\(p)")
        }
    }

    @Test("allocating beyond the huge pages gives NULL with ENOMEM, never SIGBUS, and the pages come back after free",
          arguments: [("1048576", nil, nil), ("4000", nil, nil), ("1048576", "1", "fork"), ("4000", "1", "fork"),
                      ("1048576", "2", "fork")] as [(String, String?, String?)])
    func runningOut(block: String, fork: String?, forkArgument: String?) throws {
        let exe = try Programs.build("hugepages.c")
        try HugePages.withMount(pages: 32) { dir in
            let env = try poolEnvironment(dir: dir, size: "1G", fork: fork)
            let r = try run(exe, [block] + (forkArgument.map { [$0] } ?? []), environment: env, timeout: 300)
            #expect(r.exitStatus == 0 && r.signal == nil && r.stdout.contains("OK hugepages"),
                    "blocks of \(block) bytes in a 1 GiB pool with 32 huge pages (VMMALLOC_FORK=\(fork ?? "default"))\n\(r)")
            // What ran out is the huge pages, not the pool.
            #expect(r.stdout.value(of: "free_after_first") == "0", "\(r)")
            #expect(HugePages.unreserved() == 32, "huge pages still held after the program ended")
        }
    }

    @Test("the launcher's default size is half the huge pages free there, not half the memory")
    func defaultSize() throws {
        try HugePages.withMount(pages: 32) { dir in
            let free = try #require(HugePages.unreserved())
            let r = try launch(["-n", "-d", dir, "true"])
            #expect(r.exitStatus == 0, "\(r)")
            let halfInMiB = free * 2 / 2
            #expect(r.stdout.contains("VMMALLOC_POOL_SIZE=\(halfInMiB)M "), "with \(free) huge pages of 2 MiB free\n\(r)")
        }
    }

    @Test("too few huge pages to start: the launcher stops with status 2 and the library's words, before the library aborts")
    func tooFewToStart() throws {
        let hello = try Programs.build("hello.c")
        try HugePages.withMount(pages: 3) { dir in
            let words = "VMMALLOC_POOL_DIR=\(dir) is a hugetlbfs with 6 MiB of huge pages free, too little to start VMMALLOC_POOL_SIZE=64M (see /proc/sys/vm/nr_hugepages)"
            let library = try run(hello, environment: try poolEnvironment(dir: dir, size: "64M"), timeout: 60)
            #expect(library.signal == SIGABRT && library.stderrLines == ["libvmmalloc: " + words], "\(library)")
            let launcher = try launch(["/bin/true"], env: ["VMMALLOC_POOL_DIR": dir, "VMMALLOC_POOL_SIZE": "64M"])
            #expect(launcher.exitStatus == 2 && launcher.stderrLines == ["vmmalloc: " + words], "\(launcher)")
            let options = try launch(["-d", dir, "-s", "64M", "/bin/true"])
            #expect(options.exitStatus == 2 && options.stderrLines.first?.hasPrefix("vmmalloc: --dir=\(dir) is a hugetlbfs with 6 MiB") == true,
                    "\(options)")
            let byDefault = try launch(["-d", dir, "/bin/true"])
            #expect(byDefault.exitStatus == 2 && byDefault.stderrLines.count == 1, "the default size, with 3 huge pages\n\(byDefault)")
            let check = try launch(["--check", "-d", dir, "-s", "64M"])
            #expect(check.exitStatus == 1 && check.stdoutLines.last?.hasPrefix("problem:     --dir=\(dir) is a hugetlbfs") == true,
                    "\(check)")
        }
    }

    @Test("a hugetlbfs mounted with size=4M: the mount's limit counts, the launcher refuses with status 2")
    func mountLimit() throws {
        try HugePages.withMount(pages: 32, options: "pagesize=2M,size=4M") { dir in
            let r = try launch(["-d", dir, "-s", "64M", "/bin/true"])
            #expect(r.exitStatus == 2 && r.stderrLines == [
                "vmmalloc: --dir=\(dir) is a hugetlbfs with 4 MiB of huge pages free, too little to start --size=64M (see /proc/sys/vm/nr_hugepages)",
            ], "\(r)")
        }
    }

    @Test("--check on hugetlbfs: the huge pages free, and a pool larger than them is fine (status 0, with a note)")
    func check() throws {
        try HugePages.withMount(pages: 32) { dir in
            let r = try launch(["--check", "-d", dir, "-s", "1G"])
            #expect(r.exitStatus == 0, "\(r)")
            #expect(r.stdout.contains("file system: hugetlbfs (huge pages of 2048 KiB)"), "\(r)")
            #expect(r.stdoutLines.contains("free space:  64 MiB"), "\(r)")
            #expect(r.stdoutLines.contains("huge pages:  32 free, the whole pool would take 512"), "\(r)")
            #expect(r.stdout.contains("note:        the pool is larger than the free space"), "\(r)")
        }
    }

    @Test("the pool is rounded up to whole huge pages, and a threaded stress program runs on it")
    func roundedAndStressed() throws {
        let exe = try Programs.build("reserve.c")
        try HugePages.withMount(pages: 48) { dir in
            // 15 MiB is not a whole number of 2 MiB pages: the pool is 16 MiB.
            let r = try run(exe, ["4"], environment: try poolEnvironment(dir: dir, size: "15M"), timeout: 120)
            #expect(r.exitStatus == 0 && r.signal == nil, "\(r)")
            #expect(r.stdout.value(of: "file_size") == "\(16 << 20)", "\(r)")
            #expect(r.stdout.value(of: "map_length") == "\(16 << 20)", "\(r)")
            let stress = try Programs.build("stress.c")
            let s = try run(stress, ["4", "50000"], environment: try poolEnvironment(dir: dir, size: "64M"), timeout: 300)
            #expect(s.exitStatus == 0 && s.signal == nil, "the stress program on a hugetlbfs pool\n\(s)")
        }
    }
}

/// 2 MiB huge pages for a hugetlbfs mount, set aside for one test and given back after.
enum HugePages {
    private static let control = "/proc/sys/vm/nr_hugepages"
    private static let sysfs = "/sys/kernel/mm/hugepages/hugepages-2048kB/"
    /// The count is the whole system's: one test at a time, even if a test's cases ran in parallel.
    private static let lock = NSLock()

    static let available: Bool = {
        guard Mounts.available, FileManager.default.isWritableFile(atPath: control),
              FileManager.default.fileExists(atPath: sysfs)
        else { return false }
        return (try? withMount(pages: 1) { _ in true }) ?? false
    }()

    private static func read(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private static func writeCount(_ n: Int) { try? "\(n)\n".write(toFile: control, atomically: false, encoding: .utf8) }

    /// The 2 MiB huge pages free and not promised to any mapping.
    static func unreserved() -> Int? {
        guard let free = read(sysfs + "free_hugepages"), let reserved = read(sysfs + "resv_hugepages") else { return nil }
        return free - reserved
    }

    /// A counter of /proc/meminfo as `text` shows it.
    static func meminfo(_ text: String, _ name: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Mounts a hugetlbfs (2 MiB pages) with exactly `pages` huge pages free
    /// in the system for `body`, then gives the system its old count back.
    static func withMount<T>(pages: Int, options: String = "pagesize=2M", _ body: (String) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let before = read(control), let total = read(sysfs + "nr_hugepages"), let free = unreserved() else {
            throw HarnessError("cannot read \(control) and \(sysfs)")
        }
        defer { writeCount(before) }
        // Pages in use elsewhere stay in use; `pages` more are free.
        writeCount(total - free + pages)
        guard unreserved() == pages else {
            throw HarnessError("the kernel gave \(unreserved() ?? 0) free huge pages, not the \(pages) asked for")
        }
        let dir = TempDir.work("hugetlbfs")
        defer { dir.remove() }
        try runChecked(try tool("mount"), ["-t", "hugetlbfs", "-o", options, "none", dir.path], timeout: 30)
        defer { _ = try? run(try tool("umount"), [dir.path], timeout: 30) }
        return try body(dir.path)
    }
}
