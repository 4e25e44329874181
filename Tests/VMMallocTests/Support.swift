// The test harness: builds the library once, compiles the C and C++ programs of
// Tests/Programs, runs them (and real commands) with the library preloaded and a
// pool of their own, and captures everything a user would see.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A failure of the harness itself (build, compiler, spawn), with the output
/// that explains it.
struct HarnessError: Error, CustomStringConvertible, Sendable {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Paths

enum Paths {
    /// The package root: Tests/VMMallocTests/Support.swift is three levels down.
    static let package: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let programs = package + "/Tests/Programs"
    static let bench = package + "/bench"
    static let include = package + "/include"
    static let scratch = package + "/.build-tests"

    /// Per-process working area for compiled programs (/tmp) and pools (/dev/shm).
    static let work: String = makeProcessDir(base: "/tmp")
    static let pools: String = makeProcessDir(base: FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : "/tmp")

    private static func makeProcessDir(base: String) -> String {
        let fm = FileManager.default
        // Remove what earlier, dead test processes left behind.
        if let names = try? fm.contentsOfDirectory(atPath: base) {
            for name in names where name.hasPrefix("vmmalloc-tests.") {
                if let pid = Int32(name.dropFirst("vmmalloc-tests.".count)), pid != getpid(),
                   kill(pid, 0) != 0 && errno == ESRCH {
                    try? fm.removeItem(atPath: base + "/" + name)
                }
            }
        }
        let dir = "\(base)/vmmalloc-tests.\(getpid())"
        try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private static let counter = Counter()
    /// A fresh, empty directory with a unique name under `base`.
    static func fresh(_ label: String, in base: String) -> String {
        let dir = "\(base)/\(label)-\(counter.next())"
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

/// A temporary directory that the test removes with `defer { dir.remove() }`.
struct TempDir: Sendable {
    let path: String
    /// A directory for a pool (on /dev/shm when there is one: sparse and fast).
    static func pool(_ label: String = "pool") -> TempDir { TempDir(path: Paths.fresh(label, in: Paths.pools)) }
    /// A directory for anything else (on /tmp).
    static func work(_ label: String = "work") -> TempDir { TempDir(path: Paths.fresh(label, in: Paths.work)) }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    /// Names in the directory (without . and ..); nil if it cannot be read.
    func entries() -> [String]? { try? FileManager.default.contentsOfDirectory(atPath: path) }
}

// MARK: - Running processes

struct RunResult: Sendable, CustomStringConvertible {
    let command: String
    let stdout: String
    let stderr: String
    /// Exit status if the process exited, nil if a signal ended it.
    let exitStatus: Int32?
    /// The terminating signal if a signal ended it.
    let signal: Int32?
    let timedOut: Bool
    let seconds: Double

    var succeeded: Bool { exitStatus == 0 && !timedOut }
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

    var description: String {
        let how: String
        if timedOut { how = "TIMED OUT and was killed" }
        else if let s = signal { how = "killed by signal \(s) (\(signalName(s)))" }
        else { how = "exit status \(exitStatus ?? -1)" }
        return """
        $ \(command)
        => \(how) after \(String(format: "%.2f", seconds)) s
        --- stdout (\(stdout.utf8.count) bytes) ---
        \(clip(stdout))
        --- stderr (\(stderr.utf8.count) bytes) ---
        \(clip(stderr))
        ---
        """
    }

    private func clip(_ s: String) -> String {
        s.utf8.count <= 4000 ? s : String(s.prefix(2000)) + "\n[...]\n" + String(s.suffix(1500))
    }
}

func signalName(_ s: Int32) -> String {
    switch s {
    case SIGABRT: return "SIGABRT"
    case SIGSEGV: return "SIGSEGV"
    case SIGBUS: return "SIGBUS"
    case SIGKILL: return "SIGKILL"
    case SIGILL: return "SIGILL"
    case SIGTRAP: return "SIGTRAP"
    case SIGFPE: return "SIGFPE"
    case SIGXFSZ: return "SIGXFSZ"
    default: return "signal \(s)"
    }
}

/// The environment every run starts from: PATH and HOME of the test process,
/// the C locale, and nothing of libvmmalloc or LD_PRELOAD.
func baseEnvironment() -> [String: String] {
    let parent = ProcessInfo.processInfo.environment
    var env: [String: String] = [
        "PATH": parent["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
        "HOME": parent["HOME"] ?? "/root",
        "LC_ALL": "C",
        "LANG": "C",
        "TZ": "UTC",
    ]
    if let tmp = parent["TMPDIR"] { env["TMPDIR"] = tmp }
    return env
}

/// Runs `executable` with `arguments` and exactly `environment`, with a
/// timeout; stdout and stderr go to files, so nothing can block on a pipe.
func run(_ executable: String, _ arguments: [String] = [], environment: [String: String] = baseEnvironment(),
         directory: String? = nil, stdin stdinPath: String? = nil, timeout: Double = 120) throws -> RunResult {
    let io = TempDir.work("io")
    defer { io.remove() }
    let outPath = io.file("stdout"), errPath = io.file("stderr")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
        throw HarnessError("cannot create output files in \(io.path)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.standardOutput = out
    process.standardError = err
    if let stdinPath {
        guard let input = FileHandle(forReadingAtPath: stdinPath) else { throw HarnessError("cannot open \(stdinPath)") }
        process.standardInput = input
    } else {
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    }
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }
    let started = Date()
    do { try process.run() } catch { throw HarnessError("cannot start \(executable): \(error)") }
    var timedOut = false
    if done.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        done.wait()
    }
    let seconds = Date().timeIntervalSince(started)
    try? out.close()
    try? err.close()
    let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "<stdout is not UTF-8>"
    let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "<stderr is not UTF-8>"
    let bySignal = process.terminationReason == .uncaughtSignal
    let shown = environment.filter { $0.key.hasPrefix("VMMALLOC") || $0.key == "LD_PRELOAD" }
        .sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value)'" }
    return RunResult(
        command: (shown + [executable] + arguments).joined(separator: " "),
        stdout: stdout, stderr: stderr,
        exitStatus: bySignal ? nil : process.terminationStatus,
        signal: bySignal ? process.terminationStatus : nil,
        timedOut: timedOut, seconds: seconds)
}

/// Runs a command that is part of the harness (compiler, readelf, mount...) and
/// throws with its output unless it succeeds.
@discardableResult
func runChecked(_ executable: String, _ arguments: [String], environment: [String: String] = baseEnvironment(),
                directory: String? = nil, timeout: Double = 300) throws -> RunResult {
    let r = try run(executable, arguments, environment: environment, directory: directory, timeout: timeout)
    guard r.succeeded else { throw HarnessError("harness command failed:\n\(r)") }
    return r
}

/// Full path of a command found on PATH (or in the usual places).
func which(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for dir in path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin", "/opt/swift/usr/bin"] {
        let candidate = dir + "/" + name
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

func tool(_ name: String) throws -> String {
    guard let p = which(name) else { throw HarnessError("`\(name)` is not installed (needed by this test)") }
    return p
}

// MARK: - The library

enum Library {
    /// Built (or taken from VMMALLOC_TEST_LIBRARY) once per test process.
    private static let built: Result<String, HarnessError> = buildOnce()

    /// Path of libvmmalloc.so; throws (with the build log) if it could not be built.
    static func path() throws -> String { try built.get() }

    /// The same library built by plain `swift build` (the debug configuration:
    /// unoptimised), which must work as well.
    private static let builtUnoptimized: Result<String, HarnessError> = build(configuration: "debug")

    static func unoptimizedPath() throws -> String { try builtUnoptimized.get() }

    /// The debug variant: the same source with its checks and its log
    /// (`-Xswiftc -DVMMALLOC_DEBUG`), optimised, in a scratch path of its own;
    /// or VMMALLOC_TEST_DEBUG_LIBRARY.
    private static let builtDebugVariant: Result<String, HarnessError> =
        given("VMMALLOC_TEST_DEBUG_LIBRARY")
            ?? build(configuration: "release", scratch: Paths.scratch + "-debug", flags: ["-Xswiftc", "-DVMMALLOC_DEBUG"])

    static func debugPath() throws -> String { try builtDebugVariant.get() }

    private static func buildOnce() -> Result<String, HarnessError> {
        given("VMMALLOC_TEST_LIBRARY") ?? build(configuration: "release")
    }

    /// The library named by the environment variable `variable`, nil when it is not set.
    private static func given(_ variable: String) -> Result<String, HarnessError>? {
        guard let given = ProcessInfo.processInfo.environment[variable], !given.isEmpty else { return nil }
        let absolute = given.hasPrefix("/") ? given : FileManager.default.currentDirectoryPath + "/" + given
        guard FileManager.default.fileExists(atPath: absolute) else {
            return .failure(HarnessError("\(variable)=\(given) does not exist"))
        }
        return .success(absolute)
    }

    private static func build(configuration: String, scratch: String = Paths.scratch,
                              flags: [String] = []) -> Result<String, HarnessError> {
        buildProduct("vmmalloc", configuration: configuration, output: "libvmmalloc.so", scratch: scratch, flags: flags)
    }

    /// Builds one product into a scratch folder (.build-tests unless told) and returns the path of `output`.
    static func buildProduct(_ product: String, configuration: String, output: String,
                             scratch: String = Paths.scratch, flags: [String] = []) -> Result<String, HarnessError> {
        guard let swift = which("swift") else {
            return .failure(HarnessError("cannot build \(product): `swift` is not on PATH"))
        }
        // A scratch path of its own: `swift test` holds the lock on .build.
        let args = ["build", "-c", configuration, "--product", product, "--scratch-path", scratch] + flags
        let result: RunResult
        do {
            result = try run(swift, args, environment: ProcessInfo.processInfo.environment.filter { $0.key != "LD_PRELOAD" },
                             directory: Paths.package, timeout: 900)
        } catch {
            return .failure(HarnessError("cannot run swift build: \(error)"))
        }
        guard result.succeeded else {
            return .failure(HarnessError("BUILDING \(product) FAILED; the tests need it.\n\(result)"))
        }
        let path = scratch + "/\(configuration)/\(output)"
        guard FileManager.default.fileExists(atPath: path) else {
            return .failure(HarnessError("swift build succeeded but \(path) does not exist.\n\(result)"))
        }
        return .success(path)
    }

    /// A directory holding libvmmalloc.so and libvmmalloc.so.1 (symlinks to
    /// the built library), for -L and -rpath.
    private static let linkDir: Result<String, HarnessError> = {
        do {
            let lib = try path()
            let dir = Paths.work + "/libdir"
            let fm = FileManager.default
            try? fm.removeItem(atPath: dir)
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: dir + "/libvmmalloc.so", withDestinationPath: lib)
            try fm.createSymbolicLink(atPath: dir + "/libvmmalloc.so.1", withDestinationPath: lib)
            return .success(dir)
        } catch let e as HarnessError {
            return .failure(e)
        } catch {
            return .failure(HarnessError("cannot create the link directory: \(error)"))
        }
    }()

    static func linkDirectory() throws -> String { try linkDir.get() }
}

// MARK: - The launcher

enum Launcher {
    /// vmmalloc (built as the product vmmalloc-run), built next to the library
    /// in .build-tests so that it finds that library; or VMMALLOC_TEST_LAUNCHER.
    private static let built: Result<String, HarnessError> = {
        if let given = ProcessInfo.processInfo.environment["VMMALLOC_TEST_LAUNCHER"], !given.isEmpty {
            return .success(given)
        }
        if case .failure(let error) = Result(catching: { try Library.path() }) {
            return .failure(error as? HarnessError ?? HarnessError("\(error)"))
        }
        return Library.buildProduct("vmmalloc-run", configuration: "release", output: "vmmalloc-run")
    }()

    static func path() throws -> String { try built.get() }
}

// MARK: - Compiling the test programs

enum Programs {
    private final class Entry: @unchecked Sendable {
        let lock = NSLock()
        var result: Result<String, HarnessError>?
    }
    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var entries: [String: Entry] = [:]
        func entry(_ key: String) -> Entry {
            lock.lock(); defer { lock.unlock() }
            if let e = entries[key] { return e }
            let e = Entry()
            entries[key] = e
            return e
        }
    }
    private static let cache = Cache()
    private static let counter = Counter()

    static let commonFlags = ["-O1", "-g", "-pthread", "-fno-builtin", "-D_GNU_SOURCE", "-I", Paths.include, "-I", Paths.programs]

    /// Compiles `source` of Tests/Programs (or of `directory`; C or C++ by extension) into an
    /// executable (or, with `shared`, a shared library); cached per source and flags.
    static func build(_ source: String, in directory: String = Paths.programs, flags: [String] = [],
                      libraries: [String] = [], shared: Bool = false) throws -> String {
        let key = ([directory + "/" + source, shared ? "shared" : "exe"] + flags + ["|"] + libraries).joined(separator: " ")
        let entry = cache.entry(key)
        entry.lock.lock()
        defer { entry.lock.unlock() }
        if let r = entry.result { return try r.get() }
        let r: Result<String, HarnessError>
        do { r = .success(try compile(source, in: directory, flags: flags, libraries: libraries, shared: shared)) }
        catch let e as HarnessError { r = .failure(e) }
        catch { r = .failure(HarnessError("\(error)")) }
        entry.result = r
        return try r.get()
    }

    private static func compile(_ source: String, in directory: String, flags: [String], libraries: [String],
                                shared: Bool) throws -> String {
        let isCxx = source.hasSuffix(".cpp") || source.hasSuffix(".cc")
        let compiler = try tool(isCxx ? "c++" : "cc")
        let stem = (source as NSString).deletingPathExtension
        let dir = Paths.work + "/bin"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let output = "\(dir)/\(shared ? "lib" : "")\(stem)-\(counter.next())\(shared ? ".so" : "")"
        var args = commonFlags + flags
        if shared { args += ["-shared", "-fPIC"] }
        args += [directory + "/" + source, "-o", output] + libraries
        let r = try run(compiler, args, timeout: 300)
        guard r.succeeded else {
            throw HarnessError("compiling \(source) failed:\n\(r)")
        }
        return output
    }
}

// MARK: - Pools and environments

/// The environment for running a program under the library with a pool.
func poolEnvironment(dir: String, size: String, fork: String? = nil, library: String? = nil,
                     extra: [String: String] = [:]) throws -> [String: String] {
    var env = baseEnvironment()
    env["LD_PRELOAD"] = try library ?? Library.path()
    env["VMMALLOC_POOL_DIR"] = dir
    env["VMMALLOC_POOL_SIZE"] = size
    if let fork { env["VMMALLOC_FORK"] = fork }
    for (k, v) in extra { env[k] = v }
    return env
}

/// Runs a test program (built from Tests/Programs) under the library in a
/// fresh pool directory, and checks that the directory is empty afterwards.
struct PoolRun {
    let result: RunResult
    let poolDir: String
    /// What was left in the pool directory after the process ended.
    let leftovers: [String]?
}

func runInPool(_ executable: String, _ arguments: [String] = [], size: String = "64M", fork: String? = nil,
               extra: [String: String] = [:], directory: String? = nil, timeout: Double = 120) throws -> PoolRun {
    let pool = TempDir.pool()
    defer { pool.remove() }
    let env = try poolEnvironment(dir: pool.path, size: size, fork: fork, extra: extra)
    let r = try run(executable, arguments, environment: env, directory: directory, timeout: timeout)
    return PoolRun(result: r, poolDir: pool.path, leftovers: pool.entries())
}

/// The common expectation for a run that should work: exit status 0, no
/// signal, no timeout, and the pool directory left empty.
func expectClean(_ run: PoolRun, _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.result.exitStatus == 0 && run.result.signal == nil && !run.result.timedOut,
            "\(what) the program did not exit with status 0:\n\(run.result)", sourceLocation: sourceLocation)
    #expect(run.leftovers == [], "\(what) the pool directory is not empty after the run: \(run.leftovers ?? ["<unreadable>"])",
            sourceLocation: sourceLocation)
}

// MARK: - Mounting small file systems (needs root)

enum Mounts {
    /// Whether this process can mount a tmpfs (root in a privileged container).
    static let available: Bool = {
        guard getuid() == 0, let mount = which("mount"), let umount = which("umount") else { return false }
        let dir = TempDir.work("mount-probe")
        defer { dir.remove() }
        guard let r = try? run(mount, ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.path], timeout: 30), r.succeeded else {
            return false
        }
        _ = try? run(umount, [dir.path], timeout: 30)
        return true
    }()

    /// Mounts a tmpfs with `options` on a fresh directory for the duration of body.
    static func withTmpfs<T>(options: String, _ body: (String) throws -> T) throws -> T {
        let dir = TempDir.work("tmpfs")
        defer { dir.remove() }
        try runChecked(try tool("mount"), ["-t", "tmpfs", "-o", options, "tmpfs", dir.path], timeout: 30)
        defer { _ = try? run(try tool("umount"), [dir.path], timeout: 30) }
        return try body(dir.path)
    }
}

// MARK: - Small helpers

extension String {
    /// The value after "key=" on the first output line that starts with "key=".
    func value(of key: String) -> String? {
        for line in split(separator: "\n") where line.hasPrefix(key + "=") {
            return String(line.dropFirst(key.count + 1))
        }
        return nil
    }
    func lines(startingWith prefix: String) -> [String] {
        split(separator: "\n").filter { $0.hasPrefix(prefix) }.map(String.init)
    }
}

func sha256(ofFile path: String) throws -> String {
    let r = try runChecked(try tool("sha256sum"), [path])
    return String(r.stdout.prefix(64))
}
