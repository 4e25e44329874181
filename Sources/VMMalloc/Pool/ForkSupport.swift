import Synchronization
import VMMallocShim

/// What the pool does across fork(2), per VMMALLOC_FORK (see `ForkMode`).
///
/// The atfork handlers hold the heap lock across the fork, so the child sees
/// consistent heap metadata, and either remap the pool private (copy on
/// write) or give the child a copy of the pool file of its own.
enum ForkSupport {
    /// The thread running fork with the heap lock held, as an integer; 0 if none.
    private static let forkingThread = Atomic<UInt>(0)
    nonisolated(unsafe) private static var lockHeld = false
    /// The child's copy of the pool file, between prepare and the child handler.
    nonisolated(unsafe) private static var copy = BackingFile()

    /// Whether the calling thread is the one forking (it already holds the lock).
    static var isForkingThread: Bool {
        let forking = forkingThread.load(ordering: .relaxed)
        return forking != 0 && forking == Platform.currentThread
    }

    /// Registers the handlers, unless fork support is off (mode 0).
    static func install(mode: ForkMode) {
        guard mode != .shared else { return }
        // Under valgrind, the handlers' reads and writes of pool metadata are the allocator's own.
        _ = pthread_atfork(
            { Memcheck.quietly { ForkSupport.prepare() } },
            { Memcheck.quietly { ForkSupport.parentResumes() } },
            { Memcheck.quietly { ForkSupport.childStarts() } })
    }

    /// Before fork, in the forking thread: hold the heap still and ready the pool for two processes.
    /// (Copying the pool makes system calls that are cancellation points: the
    /// thread must not end here, with every lock held.)
    private static func prepare() {
        Platform.withoutCancellation { prepareHoldingStill() }
    }

    private static func prepareHoldingStill() {
        let savedErrno = vmm_errno()
        defer { vmm_set_errno(savedErrno) }
        lockHeld = Heap.prepareFork()
        forkingThread.store(Platform.currentThread, ordering: .relaxed)
        Trace.forkStarts()
        switch Pool.configuration.forkMode {
        case .shared:
            break
        case .copyOnWrite:
            if Pool.file.isShared && !Pool.file.isStillOpen {
                // The program closed the pool's descriptor (as daemons do), so the
                // file cannot be mapped again: the child gets a copy of it, as in mode 2.
                Log.say(.calls, "the pool's descriptor is closed: copying the pool for the child instead")
                if case .failure(let error) = copyPool() {
                    var line = Message("libvmmalloc: VMMALLOC_FORK=1: the program closed the pool's file descriptor ")
                    line.append(Int(Pool.file.fd))
                    line.append(", and the pool cannot be copied for the child process instead: ")
                    line.append(error)
                    fatal(&line)
                }
            } else {
                makePrivate()
            }
        case .copyFile:
            if case .failure(let error) = copyPool() {
                var line = Message("libvmmalloc: VMMALLOC_FORK=2: cannot copy the pool for the child process: ")
                line.append(error)
                fatal(&line)
            }
        case .copyFileOrCopyOnWrite:
            if case .failure(let error) = copyPool() {
                Log.error("cannot copy the pool for the child process, copying on write instead", error)
                makePrivate()
            }
        }
    }

    /// After fork, in the parent: drop the child's copy and let the heap go.
    private static func parentResumes() {
        if copy.fd >= 0 {
            copy.close()
            copy = BackingFile()
        }
        forkingThread.store(0, ordering: .relaxed)
        Trace.forkParentResumes()
        if lockHeld { Heap.parentAfterFork() }
    }

    /// After fork, in the child (one thread): switch to its own copy if it has one; the lock is free.
    private static func childStarts() {
        let savedErrno = vmm_errno()
        defer { vmm_set_errno(savedErrno) }
        if copy.fd >= 0 {
            if !Platform.remap(Pool.base, length: Int(Pool.length), fd: copy.fd, shared: true) {
                var line = Message("libvmmalloc: cannot map the child's copy of the pool: ")
                line.append(Platform.Errno.current)
                fatal(&line)
            }
            if Pool.file.isStillOpen { Pool.file.close() }
            Pool.file = copy
            copy = BackingFile()
            Memcheck.poolRemapped()
        }
        forkingThread.store(0, ordering: .relaxed)
        Heap.childAfterFork()
        Usage.childStarts()
        Statistics.childStarts()
        Trace.forkChildStarts()
    }

    /// Mode 1: from now on parent and child write to private copies of the pages.
    private static func makePrivate() {
        Log.say(.calls, "remapping the pool private")
        guard Pool.file.isShared else { return }
        guard Pool.file.isStillOpen else {
            var line = Message("libvmmalloc: the program closed the pool's file descriptor ")
            line.append(Int(Pool.file.fd))
            line.append(", so the pool cannot be remapped private for fork (VMMALLOC_FORK=3, after the copy failed)")
            fatal(&line)
        }
        guard Platform.remap(Pool.base, length: Int(Pool.length), fd: Pool.file.fd, shared: false) else {
            var line = Message("libvmmalloc: cannot remap the pool private for fork: ")
            line.append(Platform.Errno.current)
            fatal(&line)
        }
        Pool.file.isShared = false
        Memcheck.poolRemapped()
    }

    /// Modes 2 and 3: a new unnamed file holding the pool as it is now, with
    /// the same space reserved. The caller holds the heap lock.
    private static func copyPool() -> Result<Void, Platform.Errno> {
        Log.say(.calls, "copying the pool file for the child")
        let length = Int(Pool.length)
        let file: BackingFile
        switch BackingFile.open(in: Pool.configuration.directory) {
        case .success(let value): file = value
        case .failure(let error): return .failure(error)
        }
        if let failure = file.setSize(length, roomNeeded: Pool.reservation.heldBytes) {
            file.close()
            return .failure(failure.errno)
        }
        guard let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, Platform.sharedFileMapping, file.fd, 0),
              mapping != Platform.mapFailed
        else {
            let error = Platform.Errno.current
            file.close()
            return .failure(error)
        }
        var failure: Platform.Errno?
        _ = Pool.reservation.forEachHeldRun { start, end in
            if let error = Platform.reserveSpace(file.fd, offset: start, length: end - start) {
                failure = error
                return false
            }
            memcpy(mapping + start, Pool.base + start, end - start)
            return true
        }
        _ = munmap(mapping, length)
        if let failure {
            file.close()
            return .failure(failure)
        }
        copy = file
        return .success(())
    }
}
