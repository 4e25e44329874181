// Other preloaded libraries beside ours, as tracing tools and fakeroot are.
import Testing

@Suite("Other preloaded libraries")
struct PreloadTests {
    @Test("a preloaded library whose system-call wrappers allocate while the pool is created: no deadlock, the program runs from the pool",
          arguments: [true, false])
    func allocatingWrappers(ourLibraryFirst: Bool) throws {
        let wrapper = try Programs.build("wrapper.c", shared: true)
        let exe = try Programs.build("hello.c")
        let lib = try Library.path()
        let pool = TempDir.pool()
        defer { pool.remove() }
        let order = ourLibraryFirst ? "\(lib) \(wrapper)" : "\(wrapper) \(lib)"
        let env = try poolEnvironment(dir: pool.path, size: "64M", extra: ["LD_PRELOAD": order])
        let r = try run(exe, environment: env, timeout: 60)
        #expect(r.exitStatus == 0 && !r.timedOut, "LD_PRELOAD='\(order)'\n\(r)")
        #expect(r.stdout.contains("hello from the pool"), "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        #expect(pool.entries() == [], "files left behind")
    }
}

@Suite("File systems without O_TMPFILE")
struct NoTmpfileTests {
    @Test("where O_TMPFILE is refused the pool is a mkstemp file unlinked at once: invisible, and gone after the run")
    func mkstempFallback() throws {
        let refuser = try Programs.build("notmpfile.c", shared: true)
        let exe = try Programs.build("hello.c")
        let pool = TempDir.pool()
        defer { pool.remove() }
        let env = try poolEnvironment(dir: pool.path, size: "64M",
                                      extra: ["LD_PRELOAD": "\(try Library.path()) \(refuser)"])
        let r = try run(exe, environment: env, timeout: 60)
        #expect(r.exitStatus == 0, "\(r)")
        #expect(r.stdout.contains("hello from the pool"), "\(r)")
        #expect(r.stdout.value(of: "pool_dir_entries") == "0", "the pool file was visible while the program ran\n\(r)")
        let mapping = r.stdout.value(of: "mapping") ?? ""
        #expect(mapping.hasPrefix("rw-s \(pool.path)/") && mapping.hasSuffix(" (deleted)") && !mapping.contains("/#"),
                "expected a shared mapping of an unlinked named file in the pool directory, got '\(mapping)'\n\(r)")
        #expect(pool.entries() == [], "files left behind")
    }
}
