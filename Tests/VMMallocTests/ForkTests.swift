// fork(2) in the modes of VMMALLOC_FORK.
import Foundation
import Testing

/// The pool mapping lines fork.c prints: "<who>=<inode> <perms>".
struct MappingInfo: Equatable, CustomStringConvertible {
    let inode: String
    let perms: String
    var shared: Bool { perms.hasSuffix("s") }
    var isPrivate: Bool { perms.hasSuffix("p") }
    var description: String { "inode \(inode) \(perms)" }

    init?(_ output: String, _ who: String) {
        guard let v = output.value(of: who) else { return nil }
        let parts = v.split(separator: " ")
        guard parts.count == 2 else { return nil }
        inode = String(parts[0])
        perms = String(parts[1])
    }
}

@Suite("fork")
struct ForkTests {
    struct Observed {
        let before, child, parent: MappingInfo
    }

    /// Runs fork.c `scenario` in `mode` (nil: VMMALLOC_FORK unset) and checks
    /// what every mode must do: both processes keep working and keep their data.
    func runData(_ scenario: String, mode: String?, relativeDirectory: Bool = false) throws -> Observed? {
        let exe = try Programs.build("fork.c")
        let r: PoolRun
        if relativeDirectory {
            // VMMALLOC_POOL_DIR relative to the working directory the program starts in.
            let pool = TempDir.pool()
            defer { pool.remove() }
            let parent = (pool.path as NSString).deletingLastPathComponent
            let env = try poolEnvironment(dir: (pool.path as NSString).lastPathComponent, size: "64M", fork: mode)
            let result = try run(exe, [scenario], environment: env, directory: parent, timeout: 120)
            r = PoolRun(result: result, poolDir: pool.path, leftovers: pool.entries())
        } else {
            r = try runInPool(exe, [scenario], size: "64M", fork: mode)
        }
        let label = "VMMALLOC_FORK=\(mode ?? "<unset>") fork \(scenario):"
        expectClean(r, label)
        let out = r.result.stdout
        #expect(out.contains("child ok"), "\(label) the child did not finish\n\(r.result)")
        #expect(out.value(of: "child_status") == "0", "\(label) the child did not exit 0\n\(r.result)")
        #expect(out.contains("OK \(scenario)"), "\(label)\n\(r.result)")
        guard let before = MappingInfo(out, "before"), let child = MappingInfo(out, "child"),
              let parent = MappingInfo(out, "parent") else {
            Issue.record("\(label) missing mapping lines\n\(r.result)")
            return nil
        }
        #expect(before.shared, "\(label) before the fork the pool is not a shared mapping: \(before)")
        return Observed(before: before, child: child, parent: parent)
    }

    @Test("fork with a thread allocating, modes 1 (default) and unset: the pool becomes private in both, same file",
          arguments: [nil, "1"] as [String?])
    func privateMode(_ mode: String?) throws {
        guard let o = try runData("data", mode: mode) else { return }
        #expect(o.child.isPrivate && o.parent.isPrivate,
                "mode \(mode ?? "unset"): expected private (rw-p) pool mappings after fork; child \(o.child), parent \(o.parent)")
        #expect(o.child.inode == o.before.inode && o.parent.inode == o.before.inode,
                "mode \(mode ?? "unset"): the pool file changed: before \(o.before), child \(o.child), parent \(o.parent)")
    }

    @Test("fork with a thread allocating, modes 2 and 3: the child gets its own pool file, the parent keeps its own",
          arguments: ["2", "3"])
    func copyMode(_ mode: String) throws {
        guard let o = try runData("data", mode: mode) else { return }
        #expect(o.child.inode != o.before.inode,
                "mode \(mode): the child still maps the parent's pool file (inode \(o.before.inode)); expected a copy")
        #expect(o.child.shared, "mode \(mode): the child's own pool should be a shared mapping of its file: \(o.child)")
        #expect(o.parent.inode == o.before.inode && o.parent.shared,
                "mode \(mode): the parent's pool changed: before \(o.before), after \(o.parent)")
    }

    @Test("a relative VMMALLOC_POOL_DIR and a program that changes its working directory before fork: the copy lands in the pool directory (modes 2 and 3)",
          arguments: ["2", "3"])
    func copyAfterChdir(_ mode: String) throws {
        guard let o = try runData("chdir", mode: mode, relativeDirectory: true) else { return }
        #expect(o.child.inode != o.before.inode && o.child.shared,
                "mode \(mode): expected the child on its own copy of the pool file; before \(o.before), child \(o.child)")
    }

    @Test("mode 1 (default): a child sees the pool as it was at the instant of the fork, like the rest of memory, while another thread writes without pause (50 forks)",
          arguments: [nil, "1"] as [String?])
    func snapshotAtTheFork(_ mode: String?) throws {
        let exe = try Programs.build("fork.c")
        let r = try runInPool(exe, ["snapshot"], size: "256M", fork: mode, timeout: 120)
        expectClean(r, "fork snapshot (mode \(mode ?? "unset")):")
        #expect(r.result.stdout.contains("snapshot_children=50 snapshot_older=0"),
                "mode \(mode ?? "unset"): a child saw the pool older than the rest of its memory:\n\(r.result)")
    }

    @Test("mode 3 when the copy cannot be made (RLIMIT_FSIZE): fork still works, as mode 1")
    func copyFallsBack() throws {
        guard let o = try runData("limit", mode: "3") else { return }
        #expect(o.child.isPrivate && o.parent.isPrivate,
                "mode 3 fallback: expected private (rw-p) mappings as in mode 1; child \(o.child), parent \(o.parent)")
        #expect(o.child.inode == o.before.inode && o.parent.inode == o.before.inode,
                "mode 3 fallback: expected the same pool file: before \(o.before), child \(o.child), parent \(o.parent)")
    }

    @Test("fork+exec, fork+_exit, system(), popen(), posix_spawn() work in every mode",
          arguments: [nil, "0", "1", "2", "3"] as [String?])
    func forkExec(_ mode: String?) throws {
        let exe = try Programs.build("fork.c")
        let r = try runInPool(exe, ["exec"], size: "64M", fork: mode)
        expectClean(r, "VMMALLOC_FORK=\(mode ?? "<unset>") fork exec:")
        let out = r.result.stdout
        #expect(out.value(of: "fork_exec_true") == "0" && out.value(of: "fork_exec_hello") == "0"
                && out.value(of: "system") == "3" && out.value(of: "popen") == "hello-from-popen"
                && out.value(of: "posix_spawn") == "0" && out.contains("OK exec"),
                "mode \(mode ?? "unset"):\n\(r.result)")
    }
}
