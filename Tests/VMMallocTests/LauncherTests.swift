// vmmalloc, the launcher: every option, every error (exit status 2 and one
// line, worded by the library's own renderer), exit status and signals of the
// program as its own, LD_PRELOAD kept, --dry-run, --check, a real program on
// the pool, and a binary that needs nothing but libc.
import Foundation
import Testing

/// Runs vmmalloc with `arguments` in the base environment plus `extra`.
func launch(_ arguments: [String], env extra: [String: String] = [:], launcher: String? = nil,
            timeout: Double = 120) throws -> RunResult {
    var env = baseEnvironment()
    for (key, value) in extra { env[key] = value }
    return try run(launcher ?? Launcher.path(), arguments, environment: env, timeout: timeout)
}

/// The library path as vmmalloc names it: its directory resolved, and the
/// soname link there if there is one, else the file SwiftPM wrote.
func resolvedLibrary() throws -> String {
    let url = URL(fileURLWithPath: try Library.path())
    let directory = url.deletingLastPathComponent().resolvingSymlinksInPath().path
    let soname = directory + "/libvmmalloc.so.1"
    return FileManager.default.fileExists(atPath: soname) ? soname : directory + "/" + url.lastPathComponent
}

/// A setting the library accepts when it reads it but refuses once it acts on
/// it at start (creating the pool file, mapping it, opening its log).
struct StartRefusal: Sendable, CustomTestStringConvertible {
    let options: [String]
    /// The same settings as the library reads them.
    let env: [String: String]
    let debug: Bool
    /// A shell command run before (ulimit).
    let limit: String?
    var testDescription: String { "vmmalloc \(options.joined(separator: " "))\(limit.map { " after " + $0 } ?? "")" }

    init(_ options: [String], _ env: [String: String], debug: Bool = false, limit: String? = nil) {
        self.options = options
        self.env = env
        self.debug = debug
        self.limit = limit
    }
}

struct LauncherError: Sendable, CustomTestStringConvertible {
    let arguments: [String]
    let env: [String: String]
    /// The whole line; <pool> stands for a fresh pool directory.
    let expected: String
    var testDescription: String { "\(env.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")) vmmalloc \(arguments.joined(separator: " "))" }

    init(_ arguments: [String], env: [String: String] = [:], _ expected: String) {
        self.arguments = arguments
        self.env = env
        self.expected = expected
    }
}

@Suite("Launcher")
struct LauncherTests {
    static let notASize = "is not a size (digits with an optional K, M, G or T suffix)"

    static let errors: [LauncherError] = [
        LauncherError(["-d", "<pool>", "--size=12M", "true"], "vmmalloc: --size=12M is below the minimum of 14 MiB"),
        LauncherError(["-d", "<pool>", "-s", "abc", "true"], "vmmalloc: --size=abc \(notASize)"),
        LauncherError(["-d", "<pool>", "-s1.5G", "true"], "vmmalloc: --size=1.5G \(notASize)"),
        LauncherError(["-d", "<pool>", "-s", "99999999999T", "true"], "vmmalloc: --size=99999999999T is too large (the largest pool is 64 TiB)"),
        LauncherError(["-d", "<pool>", "--size=", "true"], "vmmalloc: --size is empty"),
        LauncherError(["-d", "<pool>", "true"], env: ["VMMALLOC_POOL_SIZE": "12M"],
                      "vmmalloc: VMMALLOC_POOL_SIZE=12M is below the minimum of 14 MiB"),
        LauncherError(["-d", "<pool>/missing", "-s", "64M", "true"], "vmmalloc: --dir=<pool>/missing does not exist"),
        LauncherError(["-d", "<pool>/file", "-s", "64M", "true"], "vmmalloc: --dir=<pool>/file is not a directory"),
        LauncherError(["--dir=", "-s", "64M", "true"], "vmmalloc: --dir is empty"),
        LauncherError(["-s", "64M", "true"], env: ["VMMALLOC_POOL_DIR": ""], "vmmalloc: VMMALLOC_POOL_DIR is empty"),
        LauncherError(["-s", "64M", "true"], env: ["VMMALLOC_POOL_DIR": "<pool>/missing"],
                      "vmmalloc: VMMALLOC_POOL_DIR=<pool>/missing does not exist"),
        LauncherError(["-d", "<pool>", "-s", "64M", "-f", "5", "true"], "vmmalloc: --fork=5 is not 0, 1, 2 or 3"),
        LauncherError(["-d", "<pool>", "-s", "64M", "true"], env: ["VMMALLOC_FORK": "x"], "vmmalloc: VMMALLOC_FORK=x is not 0, 1, 2 or 3"),
        LauncherError(["-d", "<pool>", "-s", "64M", "-l", "9", "true"], "vmmalloc: --log-level=9 is not 0, 1, 2, 3 or 4"),
        LauncherError(["-d", "<pool>", "-s", "64M", "--log-file=", "true"], "vmmalloc: --log-file is empty"),
        LauncherError(["-d", "<pool>", "-s", "64M", "--debug", "true"], env: ["VMMALLOC_LOG_LEVEL": "x"],
                      "vmmalloc: VMMALLOC_LOG_LEVEL=x is not 0, 1, 2, 3 or 4"),
        LauncherError(["-d", "<pool>", "-s", "64M", "true"], env: ["VMMALLOC_LOG_STATS": "2"],
                      "vmmalloc: VMMALLOC_LOG_STATS=2 is not 0, 1 or json"),
        LauncherError(["--bogus", "true"], "vmmalloc: unknown option --bogus (vmmalloc --help lists the options)"),
        LauncherError(["-x", "true"], "vmmalloc: unknown option -x (vmmalloc --help lists the options)"),
        LauncherError(["-s"], "vmmalloc: --size needs a value"),
        LauncherError(["--debug=1", "true"], "vmmalloc: --debug takes no value"),
        LauncherError(["-s", "64M"], "vmmalloc: no program to run (usage: vmmalloc [options] [--] program [arguments...])"),
        LauncherError(["-s", "64M", "--"], "vmmalloc: no program to run (usage: vmmalloc [options] [--] program [arguments...])"),
    ]

    @Test("a bad option or setting: one line, exit status 2, nothing run", arguments: errors)
    func badSetting(_ c: LauncherError) throws {
        let pool = TempDir.pool("launcher")
        defer { pool.remove() }
        _ = FileManager.default.createFile(atPath: pool.file("file"), contents: Data("x".utf8))
        let fill = { (text: String) in text.replacingOccurrences(of: "<pool>", with: pool.path) }
        let marker = pool.file("ran")
        let arguments = c.arguments.map(fill).map { $0 == "true" ? "touch" : $0 } + (c.arguments.last == "true" ? [marker] : [])
        let r = try launch(arguments, env: c.env.mapValues(fill))
        #expect(r.exitStatus == 2, "\(r)")
        #expect(r.stderrLines == [fill(c.expected)], "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the program ran:\n\(r)")
        #expect(Set(pool.entries() ?? []) == ["file"], "vmmalloc left files in the pool directory")
    }

    static let startRefusals: [StartRefusal] = [
        StartRefusal(["-d", "/proc", "-s", "64M"], ["VMMALLOC_POOL_DIR": "/proc", "VMMALLOC_POOL_SIZE": "64M"]),
        StartRefusal(["-d", "/sys", "-s", "64M"], ["VMMALLOC_POOL_DIR": "/sys", "VMMALLOC_POOL_SIZE": "64M"]),
        StartRefusal(["-d", "<pool>", "-s", "4G"], ["VMMALLOC_POOL_DIR": "<pool>", "VMMALLOC_POOL_SIZE": "4G"],
                     limit: "ulimit -v 1000000"),
        StartRefusal(["-d", "<pool>", "-s", "64M", "-l", "2", "--log-file=/nonexistent/dir/x"],
                     ["VMMALLOC_POOL_DIR": "<pool>", "VMMALLOC_POOL_SIZE": "64M", "VMMALLOC_LOG_LEVEL": "2",
                      "VMMALLOC_LOG_FILE": "/nonexistent/dir/x"], debug: true),
        StartRefusal(["-d", "<pool>", "-s", "64M", "--log-file=<pool>"],
                     ["VMMALLOC_POOL_DIR": "<pool>", "VMMALLOC_POOL_SIZE": "64M", "VMMALLOC_LOG_FILE": "<pool>"], debug: true),
        StartRefusal(["-d", "<pool>", "-s", "64M", "--debug", "--log-file=/etc/hostname/log-"],
                     ["VMMALLOC_POOL_DIR": "<pool>", "VMMALLOC_POOL_SIZE": "64M", "VMMALLOC_LOG_FILE": "/etc/hostname/log-"],
                     debug: true),
    ]

    @Test("what the library refuses only at start (pool file, mapping, log) stops vmmalloc first: status 2, the library's line",
          arguments: startRefusals)
    func refusedAtStart(_ c: StartRefusal) throws {
        let pool = TempDir.pool("start")
        defer { pool.remove() }
        let fill = { (text: String) in text.replacingOccurrences(of: "<pool>", with: pool.path) }
        let library = try c.debug ? Library.debugPath() : Library.path()
        var env = baseEnvironment()
        for (key, value) in c.env { env[key] = fill(value) }
        env["LD_PRELOAD"] = library
        let prefix = c.limit.map { $0 + " && " } ?? ""
        let direct = try run(try tool("sh"), ["-c", prefix + "exec \"$0\"", try tool("true")], environment: env, timeout: 60)
        #expect(direct.signal == SIGABRT && direct.stderrLines.count == 1, "the library accepts it after all:\n\(direct)")
        let expected = (direct.stderrLines.first ?? "")
            .replacingOccurrences(of: "libvmmalloc: ", with: "vmmalloc: ")
            .replacingOccurrences(of: "VMMALLOC_POOL_DIR=", with: "--dir=")
            .replacingOccurrences(of: "VMMALLOC_POOL_SIZE=", with: "--size=")
            .replacingOccurrences(of: "(VMMALLOC_LOG_FILE)", with: "(--log-file)")

        let marker = pool.file("ran")
        let options = c.options.map(fill)
        let r = try run(try tool("sh"), ["-c", prefix + "exec \"$0\" \"$@\"", try Launcher.path()] + options + ["touch", marker],
                        environment: baseEnvironment(), timeout: 60)
        #expect(r.exitStatus == 2 && r.stderrLines == [expected] && r.stdout.isEmpty, "the library said \(expected):\n\(r)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the program ran:\n\(r)")
        #expect(pool.entries() == [], "vmmalloc left files in the pool directory")
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent"))

        // --check says the same, as its problem.
        let check = try run(try tool("sh"), ["-c", prefix + "exec \"$0\" \"$@\"", try Launcher.path(), "--check"] + options,
                            environment: baseEnvironment(), timeout: 60)
        #expect(check.exitStatus == 1
                && check.stdoutLines.contains(expected.replacingOccurrences(of: "vmmalloc: ", with: "problem:     ")),
                "\(check)")
    }

    @Test("--check runs nothing: an argument after it is refused, status 2",
          arguments: zip([["extra-arg"], ["--", "true"], ["-s", "64M", "ls", "-l"]], ["extra-arg", "true", "ls"]))
    func checkTakesNoProgram(_ extra: [String], _ refused: String) throws {
        let r = try launch(["--check"] + extra)
        #expect(r.exitStatus == 2 && r.stdout.isEmpty && r.stderrLines == [
            "vmmalloc: --check runs nothing and takes no argument, not even \(refused) (usage: vmmalloc --check [-d DIR] [-s SIZE] [options])",
        ], "\(r)")
    }

    @Test("its lines are the library's lines, with the option named instead of the variable",
          arguments: ["12M", "abc", "-5M", "99999999999T", "0"])
    func sameWordsAsTheLibrary(size: String) throws {
        let pool = TempDir.pool("same-words")
        defer { pool.remove() }
        let library = try run(try Programs.build("hello.c"), environment: try poolEnvironment(dir: pool.path, size: size),
                              timeout: 60)
        let launcher = try launch(["-d", pool.path, "-s", size, "true"])
        #expect(library.stderrLines.count == 1 && launcher.stderrLines.count == 1, "\(library)\n\(launcher)")
        let fromLibrary = library.stderrLines.first?
            .replacingOccurrences(of: "libvmmalloc: VMMALLOC_POOL_SIZE=", with: "vmmalloc: --size=")
        #expect(launcher.stderrLines.first == fromLibrary, "\(library)\n\(launcher)")
        #expect(launcher.exitStatus == 2 && library.signal == SIGABRT, "\(library)\n\(launcher)")
    }

    @Test("a directory without the room to start a pool is refused before the program starts",
          .enabled(if: Mounts.available, "needs root and mount(8) to mount a small tmpfs; NOT CHECKED"))
    func noRoom() throws {
        try Mounts.withTmpfs(options: "size=4m") { dir in
            let r = try launch(["-d", dir, "-s", "60T", "true"])
            #expect(r.exitStatus == 2, "\(r)")
            let line = r.stderrLines.first ?? ""
            #expect(r.stderrLines.count == 1 && line.hasPrefix("vmmalloc: --dir=\(dir) has ")
                    && line.hasSuffix(" MiB free, too little for --size=60T"), "\(r)")
        }
    }

    @Test("a pool over the file size limit (ulimit -f) is refused before the program starts")
    func fileSizeLimit() throws {
        let pool = TempDir.pool("fsize")
        defer { pool.remove() }
        let r = try run(try tool("sh"), ["-c", "ulimit -f 1000 && exec \"$0\" -d \"$1\" -s 64M true", try Launcher.path(), pool.path],
                        timeout: 60)
        #expect(r.exitStatus == 2, "\(r)")
        #expect(r.stderrLines == ["vmmalloc: --size=64M exceeds the file size limit (ulimit -f) of 512000 bytes"], "\(r)")
    }

    @Test("the exit status is the program's")
    func exitStatus() throws {
        let pool = TempDir.pool("status")
        defer { pool.remove() }
        let r = try launch(["-d", pool.path, "-s", "64M", "--", "sh", "-c", "exit 7"])
        #expect(r.exitStatus == 7 && r.stderr.isEmpty, "\(r)")
        let ok = try launch(["-d", pool.path, "-s", "64M", "true"])
        #expect(ok.exitStatus == 0 && ok.stderr.isEmpty, "\(ok)")
        #expect(pool.entries() == [], "the pool file outlived the program")
    }

    @Test("a program killed by a signal is reported as without vmmalloc (vmmalloc is replaced by it)",
          arguments: ["SEGV", "KILL", "TERM"])
    func signal(name: String) throws {
        let pool = TempDir.pool("signal")
        defer { pool.remove() }
        let script = "ulimit -c 0; kill -\(name) $$; sleep 5"
        let plain = try run(try tool("sh"), ["-c", script], timeout: 60)
        let launched = try launch(["-d", pool.path, "-s", "64M", "sh", "-c", script])
        #expect(plain.signal != nil && launched.signal == plain.signal && launched.exitStatus == nil, "\(plain)\n\(launched)")
    }

    @Test("the program runs in vmmalloc's own process (exec, not a child)")
    func sameProcess() throws {
        let pool = TempDir.pool("pid")
        defer { pool.remove() }
        // The program's parent is the test process: vmmalloc did not fork.
        let r = try launch(["-d", pool.path, "-s", "64M", "sh", "-c", "echo $PPID"])
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(getpid()), "\(r)")
    }

    @Test("a program that cannot be run: 127 when not found, 126 when not executable, as a shell says")
    func cannotRun() throws {
        let pool = TempDir.pool("exec")
        defer { pool.remove() }
        let missing = try launch(["-d", pool.path, "-s", "64M", "no-such-program-here"])
        #expect(missing.exitStatus == 127, "\(missing)")
        #expect(missing.stderrLines == ["vmmalloc: cannot run no-such-program-here: No such file or directory"], "\(missing)")
        let file = pool.file("not-executable")
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let denied = try launch(["-d", pool.path, "-s", "64M", file])
        #expect(denied.exitStatus == 126, "\(denied)")
        #expect(denied.stderrLines == ["vmmalloc: cannot run \(file): Permission denied"], "\(denied)")
    }

    @Test("each option becomes its variable; options end at the program or at --")
    func variables() throws {
        let pool = TempDir.pool("vars")
        defer { pool.remove() }
        let show = ["sh", "-c", "env | grep ^VMMALLOC_ | sort; echo args: \"$@\"", "sh", "-v", "--size=1"]
        let r = try launch(["-d", pool.path, "--size=64M", "-f", "2", "--stats"] + show)
        #expect(r.exitStatus == 0, "\(r)")
        #expect(r.stdoutLines == [
            "VMMALLOC_FORK=2", "VMMALLOC_LOG_STATS=1", "VMMALLOC_POOL_DIR=\(pool.path)", "VMMALLOC_POOL_SIZE=64M",
            "args: -v --size=1",
        ], "\(r)")
        // Short options with their values attached, and run together.
        let joined = try launch(["-d\(pool.path)", "-s64M", "-f2", "-vn", "--", "true"])
        #expect(joined.exitStatus == 0 && joined.stdout.contains("VMMALLOC_FORK=2 ") && joined.stdout.contains("VMMALLOC_POOL_SIZE=64M ")
                && joined.stderr.contains("vmmalloc: running true"), "\(joined)")
        // An option wins over the environment; the environment over the default.
        let env = try launch(["-s", "32M", "-n", "true"], env: ["VMMALLOC_POOL_DIR": pool.path, "VMMALLOC_POOL_SIZE": "16M"])
        #expect(env.stdout.hasPrefix("VMMALLOC_POOL_DIR=\(pool.path) VMMALLOC_POOL_SIZE=32M "), "\(env)")
    }

    @Test("the defaults: /dev/shm when it is a writable tmpfs, half its free space",
          .enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm"), "no writable /dev/shm"))
    func defaults() throws {
        let r = try launch(["-n", "true"])
        #expect(r.exitStatus == 0, "\(r)")
        let fields = r.stdout.split(separator: " ").map(String.init)
        #expect(fields.first == "VMMALLOC_POOL_DIR=/dev/shm", "\(r)")
        let size = fields.first { $0.hasPrefix("VMMALLOC_POOL_SIZE=") }?.dropFirst("VMMALLOC_POOL_SIZE=".count) ?? ""
        #expect(size.hasSuffix("M"), "\(r)")
        var info = statvfs()
        #expect(statvfs("/dev/shm", &info) == 0)
        let halfFree = (Int(info.f_bavail) * Int(info.f_frsize) / 2) >> 20
        if let mib = Int(size.dropLast()) {
            #expect(mib >= 14 && abs(mib - max(halfFree, 14)) <= max(halfFree / 50, 16), "half of /dev/shm is \(halfFree) MiB:\n\(r)")
        }
    }

    @Test("LD_PRELOAD: the library is put in front of what the user had, and only once")
    func preload() throws {
        let pool = TempDir.pool("preload")
        defer { pool.remove() }
        let other = try Programs.build("deeplib.c", shared: true)
        let lib = try resolvedLibrary()
        let show = ["sh", "-c", "printf '%s\\n' \"$LD_PRELOAD\""]
        let kept = try launch(["-d", pool.path, "-s", "64M"] + show, env: ["LD_PRELOAD": other])
        #expect(kept.exitStatus == 0 && kept.stdoutLines.first == "\(lib):\(other)", "\(kept)")
        // vmmalloc run under vmmalloc: the library is not added twice.
        let nested = try launch(["-d", pool.path, "-s", "64M", try Launcher.path(), "-d", pool.path, "-s", "32M"] + show,
                                env: ["LD_PRELOAD": other])
        #expect(nested.exitStatus == 0 && nested.stdoutLines.first == "\(lib):\(other)", "\(nested)")
        // Already there under another name (the soname link): left as it is.
        // (vmmalloc itself then runs on a pool too, so the variables must be valid.)
        let link = try Library.linkDirectory() + "/libvmmalloc.so.1"
        let named = try launch(show, env: ["LD_PRELOAD": "\(other) \(link)", "VMMALLOC_POOL_DIR": pool.path,
                                           "VMMALLOC_POOL_SIZE": "64M"])
        #expect(named.exitStatus == 0 && named.stdoutLines.first == "\(other) \(link)", "\(named)")
    }

    @Test("--dry-run prints a shell line that runs the same, and runs nothing")
    func dryRun() throws {
        let pool = TempDir.pool("dry")
        defer { pool.remove() }
        let marker = pool.file("ran")
        let r = try launch(["-n", "-d", pool.path, "-s", "64M", "sh", "-c", "touch \"$1\"; printf '%s|' \"$@\"", "sh", marker,
                            "a b", "it's", ""])
        let lib = try resolvedLibrary()
        #expect(r.exitStatus == 0 && r.stderr.isEmpty, "\(r)")
        #expect(r.stdout == "VMMALLOC_POOL_DIR=\(pool.path) VMMALLOC_POOL_SIZE=64M LD_PRELOAD=\(lib) sh -c "
                + "'touch \"$1\"; printf '\\''%s|'\\'' \"$@\"' sh \(marker) 'a b' 'it'\\''s' ''\n", "\(r)")
        #expect(!FileManager.default.fileExists(atPath: marker), "--dry-run ran the program")
        // The printed line, run by a shell, runs the program with the same arguments.
        let again = try run(try tool("sh"), ["-c", r.stdout], timeout: 60)
        #expect(again.exitStatus == 0 && again.stdout == "\(marker)|a b|it's||", "\(again)")
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    @Test("-v prints the library and the settings on stderr, then runs the program")
    func verbose() throws {
        let pool = TempDir.pool("verbose")
        defer { pool.remove() }
        let r = try launch(["-v", "-d", pool.path, "-s", "64M", "echo", "ran"], env: ["VMMALLOC_FORK": "0"])
        let lib = try resolvedLibrary()
        #expect(r.exitStatus == 0 && r.stdout == "ran\n", "\(r)")
        #expect(r.stderrLines == [
            "vmmalloc: library \(lib) (release variant)",
            "vmmalloc: VMMALLOC_POOL_DIR=\(pool.path) (from --dir)",
            "vmmalloc: VMMALLOC_POOL_SIZE=64M (from --size)",
            "vmmalloc: VMMALLOC_FORK=0 (from the environment)",
            "vmmalloc: LD_PRELOAD=\(lib)",
            "vmmalloc: running echo",
        ], "\(r)")
    }

    @Test("--check on tmpfs: the file system, the room, exit status 0",
          .enabled(if: FileManager.default.isWritableFile(atPath: "/dev/shm"), "no writable /dev/shm"))
    func checkTmpfs() throws {
        let pool = TempDir.pool("check")
        defer { pool.remove() }
        let r = try launch(["--check", "-d", pool.path, "-s", "64M"])
        #expect(r.exitStatus == 0, "\(r)")
        #expect(r.stdout.contains("directory:   \(pool.path) (from --dir)\nfile system: tmpfs (memory)\nfree space:  "), "\(r)")
        #expect(r.stdout.contains("pool size:   64M (from --size)\nlibrary:     \(try resolvedLibrary())\n"), "\(r)")
        #expect(r.stdoutLines.last?.hasPrefix("ok:") == true, "\(r)")
        // Larger than the free space: the pool file is sparse, so it can start; the report says so.
        let big = try launch(["--check", "-d", pool.path, "-s", "60T"])
        #expect(big.exitStatus == 0, "\(big)")
        #expect(big.stdout.contains("note:        the pool is larger than the free space"), "\(big)")
        let missing = try launch(["--check", "-d", pool.path + "/missing"])
        #expect(missing.exitStatus == 1 && missing.stdoutLines.last == "problem:     --dir=\(pool.path)/missing does not exist",
                "\(missing)")
    }

    @Test("--check on a plain file system names its type",
          .enabled(if: FileManager.default.isWritableFile(atPath: "/tmp")))
    func checkPlain() throws {
        let dir = TempDir.work("check-plain")
        defer { dir.remove() }
        let r = try launch(["--check", "-d", dir.path, "-s", "16M"])
        let line = r.stdoutLines.first { $0.hasPrefix("file system: ") } ?? ""
        #expect(r.exitStatus == 0 && !line.isEmpty && !line.contains("unknown"), "\(r)")
        #expect(line.contains("tmpfs") || line.contains(", plain") || line.contains("DAX-capable"), "\(r)")
    }

    @Test("--check on a directory that is not writable (a read-only tmpfs): exit status 1",
          .enabled(if: Mounts.available, "needs root and mount(8) to mount a read-only tmpfs; NOT CHECKED"))
    func checkReadOnly() throws {
        try Mounts.withTmpfs(options: "ro,size=64m") { dir in
            let r = try launch(["--check", "-d", dir, "-s", "16M"])
            #expect(r.exitStatus == 1, "\(r)")
            #expect(r.stdoutLines.last == "problem:     --dir=\(dir) is not writable", "\(r)")
            let run = try launch(["-d", dir, "-s", "16M", "true"])
            #expect(run.exitStatus == 2 && run.stderrLines == ["vmmalloc: --dir=\(dir) is not writable"], "\(run)")
        }
    }

    @Test("python3 runs with its heap in the pool", .enabled(if: which("python3") != nil, "python3 is not installed"))
    func python() throws {
        let pool = TempDir.pool("python")
        defer { pool.remove() }
        // python3 itself finds the pool in /proc/self/maps and asks malloc
        // (through ctypes) for a block, which must lie in it.
        let script = """
        import ctypes, json, sys
        work = json.dumps({str(i): list(range(i % 50)) for i in range(20000)})
        libc = ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        block = libc.malloc(1000)
        pools = []
        for line in open('/proc/self/maps'):
            fields = line.split()
            if len(fields) >= 6 and fields[5].startswith(sys.argv[1] + '/'):
                start, end = (int(x, 16) for x in fields[0].split('-'))
                pools.append((start, end))
        print('pool_mib=%d' % (sum(end - start for start, end in pools) >> 20))
        print('block_in_pool=%d' % any(start <= block < end for start, end in pools))
        print('work=%d' % len(work))
        """
        let plain = try run(try tool("python3"), ["-c", script, pool.path], timeout: 120)
        let r = try launch(["-d", pool.path, "-s", "256M", "python3", "-c", script, pool.path], timeout: 180)
        #expect(r.exitStatus == 0 && r.stderr.isEmpty, "\(r)")
        #expect(r.stdout.value(of: "pool_mib") == "256" && r.stdout.value(of: "block_in_pool") == "1", "\(r)")
        #expect(plain.stdout.value(of: "block_in_pool") == "0" && r.stdout.value(of: "work") == plain.stdout.value(of: "work"),
                "\(plain)\n\(r)")
        #expect(pool.entries() == [], "the pool file outlived python3")
    }

    @Test("an installed layout: <prefix>/bin/vmmalloc finds <prefix>/lib, and --debug (or a log) the vmem_debug variant")
    func installedLayout() throws {
        let prefix = TempDir.work("prefix")
        let pool = TempDir.pool("installed")
        defer { prefix.remove(); pool.remove() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: prefix.file("bin"), withIntermediateDirectories: true)
        try fm.createDirectory(atPath: prefix.file("lib/vmem_debug"), withIntermediateDirectories: true)
        try fm.copyItem(atPath: try Launcher.path(), toPath: prefix.file("bin/vmmalloc"))
        let launcher = prefix.file("bin/vmmalloc")
        let release = try launch(["-n", "-d", pool.path, "-s", "64M", "true"], launcher: launcher)
        #expect(release.exitStatus == 2 && release.stderrLines.first?.hasPrefix("vmmalloc: cannot find libvmmalloc") == true
                || release.stdout.contains("LD_PRELOAD=/usr/"), "no library installed yet:\n\(release)")
        try fm.copyItem(atPath: try Library.path(), toPath: prefix.file("lib/libvmmalloc.so.1"))
        let found = try launch(["-n", "-d", pool.path, "-s", "64M", "true"], launcher: launcher)
        #expect(found.exitStatus == 0 && found.stdout.contains("LD_PRELOAD=\(prefix.file("lib/libvmmalloc.so.1")) true"), "\(found)")
        let noDebug = try launch(["--debug", "-n", "-d", pool.path, "-s", "64M", "true"], launcher: launcher)
        #expect(noDebug.exitStatus == 2 && noDebug.stderrLines.first?.hasPrefix("vmmalloc: cannot find the debug variant") == true
                || noDebug.stdout.contains("/vmem_debug/"), "\(noDebug)")
        try fm.copyItem(atPath: try Library.path(), toPath: prefix.file("lib/vmem_debug/libvmmalloc.so.1"))
        let debug = prefix.file("lib/vmem_debug/libvmmalloc.so.1")
        for flags in [["--debug"], ["-l", "2"], ["--log-file", pool.file("log-")]] {
            let r = try launch(flags + ["-n", "-d", pool.path, "-s", "64M", "true"], launcher: launcher)
            #expect(r.exitStatus == 0 && r.stdout.contains("LD_PRELOAD=\(debug) true"), "\(flags):\n\(r)")
        }
        let logged = try launch(["-l", "2", "--log-file", pool.file("log-"), "-n", "-d", pool.path, "-s", "64M", "true"],
                                launcher: launcher)
        #expect(logged.stdout.contains(" VMMALLOC_LOG_LEVEL=2 VMMALLOC_LOG_FILE=\(pool.file("log-")) "), "\(logged)")
        // And it runs a program with the library it found.
        let ran = try launch(["-d", pool.path, "-s", "64M", "sh", "-c", "printf %s \"$LD_PRELOAD\""], launcher: launcher)
        #expect(ran.exitStatus == 0 && ran.stdout == prefix.file("lib/libvmmalloc.so.1"), "\(ran)")
    }

    @Test("it preloads the library by its soname, so a saved -n line still runs on it after an upgrade replaced the file")
    func sonameSurvivesUpgrade() throws {
        let prefix = TempDir.work("upgrade")
        let pool = TempDir.pool("upgrade")
        defer { prefix.remove(); pool.remove() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: prefix.file("bin"), withIntermediateDirectories: true)
        try fm.createDirectory(atPath: prefix.file("lib"), withIntermediateDirectories: true)
        try fm.copyItem(atPath: try Launcher.path(), toPath: prefix.file("bin/vmmalloc"))
        try fm.copyItem(atPath: try Library.path(), toPath: prefix.file("lib/libvmmalloc.so.1.1.0"))
        try fm.createSymbolicLink(atPath: prefix.file("lib/libvmmalloc.so.1"), withDestinationPath: "libvmmalloc.so.1.1.0")
        let soname = prefix.file("lib/libvmmalloc.so.1")
        let saved = try launch(["-n", "-d", pool.path, "-s", "64M", "cat", "/proc/self/maps"], launcher: prefix.file("bin/vmmalloc"))
        #expect(saved.exitStatus == 0 && saved.stdout.contains("LD_PRELOAD=\(soname) cat"), "\(saved)")
        let verbose = try launch(["-v", "-d", pool.path, "-s", "64M", "sh", "-c", "printf %s \"$LD_PRELOAD\""],
                                 launcher: prefix.file("bin/vmmalloc"))
        #expect(verbose.stdout == soname && verbose.stderrLines.first == "vmmalloc: library \(soname) (release variant)", "\(verbose)")

        // The upgrade: a new file, the soname link moved to it, the old file gone.
        try fm.copyItem(atPath: try Library.path(), toPath: prefix.file("lib/libvmmalloc.so.1.2.0"))
        try fm.removeItem(atPath: soname)
        try fm.createSymbolicLink(atPath: soname, withDestinationPath: "libvmmalloc.so.1.2.0")
        try fm.removeItem(atPath: prefix.file("lib/libvmmalloc.so.1.1.0"))
        let again = try run(try tool("sh"), ["-c", saved.stdout], timeout: 60)
        #expect(again.succeeded && again.stderr.isEmpty && again.stdout.contains(prefix.file("lib/libvmmalloc.so.1.2.0")),
                "the saved line no longer loads the library:\n\(again)")
    }

    @Test("--help lists every option; --version is the library's version")
    func helpAndVersion() throws {
        let help = try launch(["--help"])
        #expect(help.exitStatus == 0 && help.stderr.isEmpty, "\(help)")
        for option in ["-d, --dir", "-s, --size", "-f, --fork", "--debug", "-l, --log-level", "--log-file", "--stats",
                       "--stats-json", "--stats-file PATH", "--measure", "-v, --verbose", "-n, --dry-run", "--check", "-h, --help", "--version"] {
            #expect(help.stdout.contains(option), "--help does not mention \(option)")
        }
        #expect(try launch(["-h"]).stdout == help.stdout)
        let header = try String(contentsOfFile: Paths.include + "/libvmmalloc.h", encoding: .utf8)
        func define(_ name: String) -> String {
            header.split(separator: "\n").first { $0.hasPrefix("#define \(name) ") }.map { String($0.split(separator: " ").last!) } ?? "?"
        }
        let version = try launch(["--version"])
        #expect(version.exitStatus == 0 && version.stdout == "vmmalloc (libvmmalloc) \(releaseVersion)\n"
                && releaseVersion.hasPrefix("\(define("VMMALLOC_MAJOR_VERSION")).\(define("VMMALLOC_MINOR_VERSION"))."),
                "\(version)")
    }

    @Test("the manual page formats without a warning", .enabled(if: which("man") != nil, "man(1) is not installed"))
    func manualPage() throws {
        var env = baseEnvironment()
        env["MANWIDTH"] = "80"
        let r = try run(try tool("man"), ["--warnings", "-l", Paths.package + "/man/vmmalloc.1"], environment: env, timeout: 60)
        #expect(r.exitStatus == 0 && r.stderr.isEmpty, "\(r)")
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "EXIT STATUS", "EXAMPLES", "SEE ALSO"] {
            #expect(r.stdout.contains("\n\(section)\n"), "no \(section) section")
        }
        #expect(r.stdout.contains("libvmmalloc(7)"))
    }

    @Test("vmmalloc needs nothing but libc (ldd), and starts at once")
    func onlyLibc() throws {
        let launcher = try Launcher.path()
        let r = try runChecked(try tool("ldd"), [launcher])
        let names = r.stdout.split(separator: "\n").compactMap {
            $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init)
        }
        let other = names.filter { !$0.hasPrefix("linux-vdso.so") && $0 != "libc.so.6" && !$0.contains("ld-linux") }
        #expect(names.contains("libc.so.6") && other.isEmpty, "ldd: \(r.stdout)")
        let nm = try runChecked(try tool("nm"), ["-D", "--undefined-only", launcher])
        #expect(!nm.stdout.contains("swift_"), "vmmalloc calls into a Swift runtime:\n\(nm.stdout)")
        let started = Date()
        for _ in 0..<20 { _ = try launch(["--version"]) }
        #expect(Date().timeIntervalSince(started) / 20 < 0.25, "vmmalloc is slow to start")
    }
}
