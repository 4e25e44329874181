// The pool file on the file system: sparse, reserved as the heap reaches it,
// never a SIGBUS when the file system fills up (hugetlbfs: HugetlbfsTests.swift).
import Foundation
import Testing

@Suite("Pool file")
struct PoolFileTests {
    @Test("a large pool costs no space at start; space is reserved as the heap reaches it")
    func sparseAndIncremental() throws {
        let exe = try Programs.build("reserve.c")
        let r = try runInPool(exe, ["100"], size: "8G")
        expectClean(r)
        let out = r.result.stdout
        #expect(out.value(of: "file_size") == "\(8 << 30)", "\(r.result)")
        #expect(out.value(of: "map_start_mod_2m") == "0", "the pool is not mapped at a 2 MiB boundary\n\(r.result)")
        let start = Int(out.value(of: "start_kib") ?? "") ?? -1
        let used = Int(out.value(of: "used_kib") ?? "") ?? -1
        #expect((0...(8 << 10)).contains(start), "an 8 GiB pool holds \(start) KiB at start; expected at most 8 MiB\n\(r.result)")
        #expect(used >= 100 << 10 && used <= 120 << 10,
                "after touching 100 MiB the pool holds \(used) KiB; expected 100-120 MiB\n\(r.result)")
    }

    @Test("calloc of pool memory never handed out is not cleared again: 256 MiB of it does not become resident")
    func freshCallocStaysUntouched() throws {
        let exe = try Programs.build("calloc_fresh.c")
        let r = try runInPool(exe, size: "512M")
        expectClean(r)
        #expect(r.result.stdout.contains("OK calloc_fresh"), "\(r.result)")
        let growth = Int(r.result.stdout.value(of: "fresh_rss_growth_kib") ?? "") ?? -1
        #expect((0...(16 << 10)).contains(growth), "calloc(256 MiB) of fresh pool memory grew RSS by \(growth) KiB\n\(r.result)")
    }

    @Test("a file system that fills up after start: malloc gives ENOMEM, never SIGBUS, and recovers after free (also where fallocate is refused)",
          .enabled(if: Mounts.available, "needs root and mount(8) to mount a small tmpfs; NOT CHECKED"),
          arguments: [false, true])
    func fullFileSystem(fallocateRefused: Bool) throws {
        let exe = try Programs.build("fullfs.c")
        var preload = try Library.path()
        if fallocateRefused { preload += " " + (try Programs.build("nofallocate.c", shared: true)) }
        try Mounts.withTmpfs(options: "size=40m") { dir in
            let env = try poolEnvironment(dir: dir, size: "32M", extra: ["LD_PRELOAD": preload])
            let r = try run(exe, environment: env, timeout: 120)
            #expect(r.exitStatus == 0 && r.signal == nil, "\(r)")
            let line = r.stdoutLines.first { $0.hasPrefix("filled=") } ?? ""
            #expect(line.contains("first=") && !line.contains("first=0 "), "no block could be allocated at all\n\(r)")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: dir)) == [], "files left behind")
        }
    }

    @Test("where fallocate is refused (copy-on-write file systems) the pool still serves, and still starts small")
    func fallocateRefused() throws {
        let exe = try Programs.build("reserve.c")
        let refuser = try Programs.build("nofallocate.c", shared: true)
        let r = try runInPool(exe, ["100"], size: "1G", extra: ["LD_PRELOAD": "\(try Library.path()) \(refuser)"])
        expectClean(r)
        let start = Int(r.result.stdout.value(of: "start_kib") ?? "") ?? -1
        let used = Int(r.result.stdout.value(of: "used_kib") ?? "") ?? -1
        #expect((0...(8 << 10)).contains(start), "\(r.result)")
        #expect(used >= 100 << 10 && used <= 120 << 10, "\(r.result)")
    }

    @Test("a process that may not create files (a seccomp sandbox, as man-db runs its helpers) says so in one line and runs on the system allocator")
    func sandboxedProcess() throws {
        let exe = try Programs.build("sandbox.c")
        let r = try runInPool(exe)
        expectClean(r)
        #expect(r.result.stdout.contains("OK sandbox"), "\(r.result)")
        let lines = r.result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("libvmmalloc: cannot create the pool file in VMMALLOC_POOL_DIR=")
                    && lines[0].contains("Function not implemented")
                    && lines[0].hasSuffix("(a sandbox forbids it); this process allocates from the system allocator"),
                "expected one line saying why there is no pool:\n\(r.result)")
    }

    @Test("once a sandbox forbids fallocate (ENOSYS) after start, the pool reserves its space by faulting it in: 200 MiB more still come from the pool")
    func fallocateForbiddenLater() throws {
        let exe = try Programs.build("sandbox.c")
        let r = try runInPool(exe, ["later"], size: "512M")
        expectClean(r)
        #expect(r.result.stdout.contains("OK later") && r.result.stderr.isEmpty, "\(r.result)")
    }

    @Test("a program killed by SIGKILL gives the pool's space back to the file system and leaves no file",
          .enabled(if: Mounts.available, "needs root and mount(8) to mount a tmpfs of its own; NOT CHECKED"))
    func killedProgramFreesSpace() throws {
        let exe = try Programs.build("hold.c")
        let work = TempDir.work("hold")
        defer { work.remove() }
        try Mounts.withTmpfs(options: "size=128m") { dir in
            func freeBytes() -> Int {
                var info = statvfs()
                return statvfs(dir, &info) == 0 ? Int(info.f_bavail) * Int(info.f_frsize) : -1
            }
            let before = freeBytes()
            let ready = work.file("ready")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: exe)
            process.arguments = [ready, "48"]
            process.environment = try poolEnvironment(dir: dir, size: "96M")
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: ready) && process.isRunning && Date() < deadline {
                usleep(20_000)
            }
            let holding = freeBytes()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let after = freeBytes()
            #expect(FileManager.default.fileExists(atPath: ready), "the program never got its 48 MiB")
            #expect(before - holding >= 48 << 20, "while running, the pool held only \(before - holding) bytes of the file system")
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
            #expect(after == before, "after kill -9 the file system has \(after) bytes free, \(before) before")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: dir)) == [], "files left behind")
        }
    }

    @Test("after the program closed the pool's descriptor (as daemons do), fork in modes 1 and 2 gives the child a copy of the pool; where no copy can be made either, one line")
    func closedDescriptorThenFork() throws {
        let exe = try Programs.build("closefds.c")
        let work = TempDir.work("closefds-fork")
        defer { work.remove() }
        for mode in ["1", "2", "3"] {
            let r = try runInPool(exe, [work.file("victim\(mode)"), "fork"], size: "128M", fork: mode)
            expectClean(r, "mode \(mode):")
            #expect(r.result.stdout.value(of: "child_status") == "0", "mode \(mode):\n\(r.result)")
            #expect(r.result.stdout.value(of: "parent_block_intact") == "1", "mode \(mode): the child wrote into the parent's pool\n\(r.result)")
            #expect(r.result.stdout.value(of: "victim_size") == "0", "mode \(mode):\n\(r.result)")
        }
        // The file size limit forbids the copy: mode 1 has nothing left, mode 3 neither.
        for mode in ["1", "3"] {
            let r = try runInPool(exe, [work.file("victim-limit\(mode)"), "fork", "limit"], size: "128M", fork: mode)
            #expect(r.result.signal == SIGABRT, "mode \(mode):\n\(r.result)")
            let lines = r.result.stderrLines.filter { !$0.hasPrefix("libvmmalloc: <") }
            #expect(lines.count == 1 && lines[0].hasPrefix("libvmmalloc: ") && lines[0].contains("closed the pool's file descriptor"),
                    "mode \(mode): expected one line saying the pool can be neither copied nor remapped:\n\(r.result)")
            #expect(r.result.stdout.value(of: "victim_size") == "0", "mode \(mode):\n\(r.result)")
        }
    }
}
