// Linking with -lvmmalloc instead of preloading.
import Foundation
import Testing

@Suite("Linking with -lvmmalloc")
struct LinkingTests {
    /// `cc prog.c -L <libdir> -lvmmalloc -Wl,-rpath,<libdir>`. Debian's gcc links
    /// --as-needed, and a C++ program may call no malloc-family function
    /// itself (operator new lives in libstdc++), so C++ adds --no-as-needed.
    func linked(_ source: String) throws -> String {
        let libdir = try Library.linkDirectory()
        let asNeeded = source.hasSuffix(".cpp") ? ["-Wl,--no-as-needed"] : []
        return try Programs.build(source, libraries: asNeeded + ["-L", libdir, "-lvmmalloc", "-Wl,-rpath,\(libdir)"])
    }

    func needed(_ file: String) throws -> [String] {
        let r = try runChecked(try tool("readelf"), ["-d", "-W", file])
        return r.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }

    @Test("a C program linked with -lvmmalloc needs libvmmalloc.so.1 and, without LD_PRELOAD, allocates from the pool",
          arguments: ["linked.c", "linked_cxx.cpp"])
    func linkedProgram(_ source: String) throws {
        let exe = try linked(source)
        let deps = try needed(exe)
        #expect(deps.contains("libvmmalloc.so.1"), "NEEDED of \(source): \(deps)")
        if let lib = deps.firstIndex(of: "libvmmalloc.so.1"), let libc = deps.firstIndex(of: "libc.so.6") {
            #expect(lib < libc, "libvmmalloc.so.1 must come before libc.so.6 in NEEDED: \(deps)")
        }
        let pool = TempDir.pool()
        defer { pool.remove() }
        var env = baseEnvironment() // no LD_PRELOAD
        env["VMMALLOC_POOL_DIR"] = pool.path
        env["VMMALLOC_POOL_SIZE"] = "32M"
        let r = try run(exe, environment: env)
        #expect(r.succeeded, "\(r)")
        #expect(r.stdout.contains("OK linked"), "\(r)")
        #expect(pool.entries() == [], "pool directory not empty: \(pool.entries() ?? [])")
    }

    @Test("a linked program without VMMALLOC_POOL_DIR stops with the library's message")
    func linkedWithoutConfiguration() throws {
        let exe = try linked("linked.c")
        var env = baseEnvironment()
        env["VMMALLOC_POOL_SIZE"] = "32M"
        let r = try run(exe, environment: env)
        #expect(r.signal == SIGABRT, "expected SIGABRT:\n\(r)")
        #expect(r.stderrLines == ["libvmmalloc: VMMALLOC_POOL_DIR is not set"], "\(r)")
    }
}
