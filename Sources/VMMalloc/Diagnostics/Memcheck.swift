import VMMallocShim

/// What valgrind's memcheck is told about the pool, through its client
/// requests (`vmmalloc_memcheck.h`), when the process runs under valgrind.
///
/// Memcheck sees the pool as the program may use it: the blocks handed out
/// are addressable for the bytes asked for (undefined after malloc, defined
/// after calloc) and known to its leak checker with the stack of the call;
/// the rest of the pool, the heap's metadata and every free block, is not
/// addressable. Only the slice tags stay addressable, for the release
/// variant's fast free reads one before it finds that this thread has no
/// heap (under valgrind none has one: see `HeapRegistry.heapOfThisThread`,
/// and the calls in `MemcheckAPI`).
///
/// The allocator itself reads and writes what the program may not touch:
/// it does so inside `quietly`, where the calling thread's errors are not
/// reported.
enum Memcheck {
    /// Set once, when the pool is created: the process runs under valgrind.
    nonisolated(unsafe) private(set) static var isRunning = false

    /// When the pool has just been created: whether this is valgrind, and if
    /// so, all of the pool but the slice tags made not addressable.
    static func watchPool() {
        guard vmm_valgrind_running() != 0 else { return }
        isRunning = true
        hide(from: 0, to: Int(Slices.tagsAddress - Pool.start))
        hide(from: Int(Slices.pagesAddress - Pool.start), to: Int(Pool.length))
    }

    /// After the pool was mapped again at its address (fork modes 1 to 3),
    /// which valgrind takes as new memory, all of it addressable and defined:
    /// the metadata is hidden again. (Free blocks among the pages stay
    /// addressable from then on; the blocks in use keep their place in the
    /// leak checker.)
    static func poolRemapped() {
        guard isRunning else { return }
        hide(from: 0, to: Int(Slices.tagsAddress - Pool.start))
        hide(from: Int(Slices.pagesAddress - Pool.start), to: Slices.offset(Slices.first))
        hide(from: Slices.offset(Slices.end), to: Int(Pool.length))
    }

    /// Pool offsets [from, to) made not addressable.
    private static func hide(from: Int, to: Int) {
        guard to > from else { return }
        vmm_memcheck_make_noaccess(Pool.base + from, to - from)
    }

    /// Runs `body`, the allocator at work on what the program may not touch,
    /// without reporting the calling thread's errors (a no-op natively).
    @inline(__always)
    static func quietly<R>(_ body: () -> R) -> R {
        guard isRunning else { return body() }
        vmm_memcheck_disable_errors()
        defer { vmm_memcheck_enable_errors() }
        return body()
    }

    /// A block handed to the program: `size` bytes at `block`, defined when `zeroed`.
    static func allocated(_ block: UnsafeMutableRawPointer, size: Int, zeroed: Bool) {
        vmm_memcheck_malloclike(block, size, zeroed ? 1 : 0)
    }

    /// A block the program gives back; memcheck reports one it never saw handed out.
    static func freed(_ block: UnsafeMutableRawPointer) {
        vmm_memcheck_freelike(block)
    }

    /// A block resized where it is.
    static func resized(_ block: UnsafeMutableRawPointer, from oldSize: Int, to newSize: Int) {
        vmm_memcheck_resize_in_place(block, oldSize, newSize)
    }
}
