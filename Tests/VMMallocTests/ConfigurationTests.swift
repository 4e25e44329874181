// VMMALLOC_POOL_DIR, VMMALLOC_POOL_SIZE and VMMALLOC_FORK: every bad value
// stops the program with one clear line and SIGABRT, and leaves no file;
// every good value gives a pool file of exactly the requested size.
import Foundation
import Testing

/// How VMMALLOC_POOL_DIR is set for a case.
enum DirSpec: Sendable {
    case pool          // a fresh, empty, writable directory
    case unset, empty
    case missing       // a path that does not exist
    case file          // a regular file
}

struct ConfigCase: Sendable, CustomTestStringConvertible {
    let dir: DirSpec
    let size: String?
    let fork: String?
    /// The whole stderr line; "<dir>" stands for the value of VMMALLOC_POOL_DIR.
    let expected: String

    var testDescription: String {
        "DIR=\(dir) SIZE=\(size.map { "'\($0)'" } ?? "<unset>") FORK=\(fork.map { "'\($0)'" } ?? "<unset>")"
    }

    static func size(_ s: String, _ problem: String) -> ConfigCase {
        ConfigCase(dir: .pool, size: s, fork: nil, expected: "libvmmalloc: VMMALLOC_POOL_SIZE=\(s) \(problem)")
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    static let notASize = "is not a size (digits with an optional K, M, G or T suffix)"

    static let errorCases: [ConfigCase] = [
        ConfigCase(dir: .unset, size: "64M", fork: nil, expected: "libvmmalloc: VMMALLOC_POOL_DIR is not set"),
        ConfigCase(dir: .pool, size: nil, fork: nil, expected: "libvmmalloc: VMMALLOC_POOL_SIZE is not set"),
        ConfigCase(dir: .empty, size: "64M", fork: nil, expected: "libvmmalloc: VMMALLOC_POOL_DIR is empty"),
        ConfigCase(dir: .pool, size: "", fork: nil, expected: "libvmmalloc: VMMALLOC_POOL_SIZE is empty"),
        ConfigCase(dir: .pool, size: "64M", fork: "", expected: "libvmmalloc: VMMALLOC_FORK is empty"),
        ConfigCase(dir: .missing, size: "64M", fork: nil, expected: "libvmmalloc: VMMALLOC_POOL_DIR=<dir> does not exist"),
        ConfigCase(dir: .file, size: "64M", fork: nil, expected: "libvmmalloc: VMMALLOC_POOL_DIR=<dir> is not a directory"),
    ]
    + ["abc", "-5M", "+5M", "12X", " 12M", "12 M", "12M ", "0x100", "1.5G", "M", "12MB", "1e6"].map { .size($0, notASize) }
    + ["99999999999999999999", "99999999999T", "18446744073709551616", "16777216T", "17179869184G", "65T", "128T", "70368744177665"]
        .map { .size($0, "is too large (the largest pool is 64 TiB)") }
    + ["12M", "0", "14680063", "13M", "1K", "14335K"].map { .size($0, "is below the minimum of 14 MiB") }
    + ["4", "-1", "x", "11"].map { (v: String) in
        ConfigCase(dir: .pool, size: "64M", fork: v, expected: "libvmmalloc: VMMALLOC_FORK=\(v) is not 0, 1, 2 or 3")
    }

    /// Runs hello.c with the configuration of `c` and checks the abort.
    @Test("a bad configuration prints one line and aborts", arguments: errorCases)
    func badConfiguration(_ c: ConfigCase) throws {
        let exe = try Programs.build("hello.c")
        let base = TempDir.pool("config")
        defer { base.remove() }
        var env = baseEnvironment()
        env["LD_PRELOAD"] = try Library.path()
        let dirValue: String?
        switch c.dir {
        case .pool: dirValue = base.path
        case .unset: dirValue = nil
        case .empty: dirValue = ""
        case .missing: dirValue = base.path + "/does-not-exist"
        case .file:
            dirValue = base.path + "/a-file"
            _ = FileManager.default.createFile(atPath: dirValue!, contents: Data("x".utf8))
        }
        if let dirValue { env["VMMALLOC_POOL_DIR"] = dirValue }
        if let s = c.size { env["VMMALLOC_POOL_SIZE"] = s }
        if let f = c.fork { env["VMMALLOC_FORK"] = f }
        let r = try run(exe, environment: env, timeout: 60)
        let expected = c.expected.replacingOccurrences(of: "<dir>", with: dirValue ?? "")
        #expect(r.signal == SIGABRT, "expected death by SIGABRT:\n\(r)")
        #expect(r.stderrLines == [expected], "expected exactly one line on stderr: \(expected)\n\(r)")
        #expect(!r.stdout.contains("hello from the pool"), "the program ran despite the bad configuration:\n\(r)")
        let left = base.entries() ?? []
        let allowed: Set<String> = c.dir == .file ? ["a-file"] : []
        #expect(Set(left) == allowed, "the failed start left files behind: \(left)")
    }

    @Test("with both variables unset, the message names one of them")
    func bothUnset() throws {
        let exe = try Programs.build("hello.c")
        var env = baseEnvironment()
        env["LD_PRELOAD"] = try Library.path()
        let r = try run(exe, environment: env, timeout: 60)
        #expect(r.signal == SIGABRT, "\(r)")
        #expect(r.stderrLines == ["libvmmalloc: VMMALLOC_POOL_DIR is not set"]
                || r.stderrLines == ["libvmmalloc: VMMALLOC_POOL_SIZE is not set"], "\(r)")
    }

    @Test("a read-only directory is not writable (also for root)",
          .enabled(if: Mounts.available, "needs root and mount(8) to mount a read-only tmpfs; NOT CHECKED"))
    func readOnlyDirectory() throws {
        let exe = try Programs.build("hello.c")
        try Mounts.withTmpfs(options: "ro,size=64m") { dir in
            let env = try poolEnvironment(dir: dir, size: "16M")
            let r = try run(exe, environment: env, timeout: 60)
            #expect(r.signal == SIGABRT, "\(r)")
            #expect(r.stderrLines == ["libvmmalloc: VMMALLOC_POOL_DIR=\(dir) is not writable"], "\(r)")
        }
    }

    @Test("a directory that another user may write but not search is not searchable: one line that says so",
          .enabled(if: getuid() == 0 && which("setpriv") != nil, "needs root and setpriv(1) to run as nobody; NOT CHECKED"))
    func unsearchableDirectory() throws {
        let exe = try Programs.build("hello.c")
        let dir = TempDir.work("unsearchable")
        defer { dir.remove() }
        // World-writable, no search (execute) permission for anyone but root.
        #expect(chmod(dir.path, 0o666) == 0)
        defer { _ = chmod(dir.path, 0o755) }
        var parent = dir.path
        // nobody must reach the directory and run the program: every folder above is searchable.
        while parent != "/" {
            parent = (parent as NSString).deletingLastPathComponent
            var info = stat()
            if stat(parent, &info) == 0 { #expect(info.st_mode & 0o001 != 0, "\(parent) is not searchable by others") }
        }
        let env = try poolEnvironment(dir: dir.path, size: "16M")
        let r = try run(which("setpriv")!, ["--reuid=65534", "--regid=65534", "--clear-groups", exe], environment: env, timeout: 60)
        #expect(r.signal == SIGABRT, "\(r)")
        #expect(r.stderrLines == ["libvmmalloc: VMMALLOC_POOL_DIR=\(dir.path) is not searchable (no execute permission)"], "\(r)")
    }

    @Test("a file system with too little room to start the pool: one line; a pool larger than the free space starts",
          .enabled(if: Mounts.available, "needs root and mount(8) to mount a small tmpfs; NOT CHECKED"))
    func noRoom() throws {
        let exe = try Programs.build("hello.c")
        // The pool file is sparse: a 64 MiB pool starts on a 20 MiB file system (and fails
        // allocations with ENOMEM when it fills up, see PoolFileTests).
        try Mounts.withTmpfs(options: "size=20m") { dir in
            let r = try run(exe, environment: try poolEnvironment(dir: dir, size: "64M"), timeout: 60)
            #expect(r.succeeded && r.stdout.contains("hello"), "\(r)")
        }
        try Mounts.withTmpfs(options: "size=4m") { dir in
            let env = try poolEnvironment(dir: dir, size: "64M")
            let r = try run(exe, environment: env, timeout: 60)
            #expect(r.signal == SIGABRT, "\(r)")
            let prefix = "libvmmalloc: VMMALLOC_POOL_DIR=\(dir) has "
            let suffix = " MiB free, too little for VMMALLOC_POOL_SIZE=64M"
            #expect(r.stderrLines.count == 1, "\(r)")
            let line = r.stderrLines.first ?? ""
            #expect(line.hasPrefix(prefix) && line.hasSuffix(suffix), "\(r)")
            if line.hasPrefix(prefix) && line.hasSuffix(suffix) {
                let n = line.dropFirst(prefix.count).dropLast(suffix.count)
                #expect(Int(n).map { (0...4).contains($0) } == true, "free MiB reported as '\(n)' on a 4 MiB tmpfs")
            }
            #expect((try? FileManager.default.contentsOfDirectory(atPath: dir)) == [], "the failed start left files behind")
        }
    }

    static let validSizes: [(value: String, bytes: Int)] = [
        ("16777216", 16 << 20), ("16M", 16 << 20), ("16m", 16 << 20), ("16384K", 16 << 20), ("16384k", 16 << 20),
        ("1G", 1 << 30), ("1g", 1 << 30), ("14680064", 14 << 20),
    ]

    @Test("a valid size gives a pool file of exactly that size, invisible in the directory",
          arguments: validSizes.map(\.value))
    func validSize(_ value: String) throws {
        let bytes = Self.validSizes.first { $0.value == value }!.bytes
        let exe = try Programs.build("hello.c")
        let r = try runInPool(exe, size: value)
        expectClean(r, "VMMALLOC_POOL_SIZE=\(value):")
        #expect(r.result.stdout.contains("hello from the pool"), "\(r.result)")
        #expect(r.result.stdout.value(of: "pool_file_size") == String(bytes),
                "VMMALLOC_POOL_SIZE=\(value): the pool file should be \(bytes) bytes\n\(r.result)")
        #expect(r.result.stdout.value(of: "pool_dir_entries") == "0",
                "the pool file is visible in the directory while the program runs\n\(r.result)")
        #expect(r.result.stdout.value(of: "mapping")?.hasPrefix("rw-s ") == true,
                "the pool should be a shared read-write mapping\n\(r.result)")
        #expect(r.result.stderr.isEmpty, "\(r.result)")
    }

    @Test("VMMALLOC_FORK accepts 0, 1, 2 and 3", arguments: ["0", "1", "2", "3"])
    func validFork(_ value: String) throws {
        let exe = try Programs.build("hello.c")
        let r = try runInPool(exe, size: "16M", fork: value)
        expectClean(r, "VMMALLOC_FORK=\(value):")
        #expect(r.result.stdout.contains("hello from the pool") && r.result.stderr.isEmpty, "\(r.result)")
    }
}
