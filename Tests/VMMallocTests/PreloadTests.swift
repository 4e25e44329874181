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
