// <libvmmalloc.h> compiles cleanly from C and C++ next to the C library's
// headers, and says version 1.1 and a 14 MiB minimum pool.
import Testing

@Suite("Header")
struct HeaderTests {
    static let variants: [(source: String, std: String)] = [
        ("header.c", "c99"), ("header.c", "c11"), ("header.c", "gnu17"),
        ("header.cpp", "c++11"), ("header.cpp", "c++17"), ("header.cpp", "c++20"),
    ]

    @Test("header program compiles with -Wall -Wextra -Werror and prints the version",
          arguments: variants.map { "\($0.source) -std=\($0.std)" })
    func header(_ variant: String) throws {
        let parts = variant.split(separator: " ").map(String.init)
        let libdir = try Library.linkDirectory()
        let exe = try Programs.build(parts[0], flags: [parts[1], "-Wall", "-Wextra", "-Werror"],
                                     libraries: ["-L", libdir, "-lvmmalloc", "-Wl,-rpath,\(libdir)"])
        let pool = TempDir.pool()
        defer { pool.remove() }
        var env = baseEnvironment()
        env["VMMALLOC_POOL_DIR"] = pool.path
        env["VMMALLOC_POOL_SIZE"] = "16M"
        let r = try run(exe, environment: env)
        #expect(r.succeeded, "\(r)")
        #expect(r.stdout.value(of: "major") == "1", "\(r)")
        #expect(r.stdout.value(of: "minor") == "1", "\(r)")
        #expect(r.stdout.value(of: "min_pool") == String(14 * 1024 * 1024), "\(r)")
    }
}
