import Synchronization
import VMMallocShim

/// A futex-based lock over a 32-bit word of pool metadata.
///
/// Uncontended, lock and unlock are one atomic each. A thread that asks for
/// the lock while it holds it for a fork (an atfork handler of another
/// library that allocates) is let through, so fork never deadlocks on us.
/// The futex is private to the process: the word keeps its address when the
/// pool is remapped for a fork, and waiters stay keyed to that address.
struct Mutex {
    private static let unlocked: UInt32 = 0
    private static let locked: UInt32 = 1
    private static let contended: UInt32 = 2

    private let word: UnsafeMutablePointer<Atomic<UInt32>>

    init(at address: UnsafeMutableRawPointer) {
        word = address.bindMemory(to: Atomic<UInt32>.self, capacity: 1)
    }

    /// Takes the lock; returns false when the caller already holds it for a fork.
    @inline(__always)
    func lock() -> Bool {
        if word.pointee.compareExchange(expected: Self.unlocked, desired: Self.locked, ordering: .acquiring).exchanged {
            return true
        }
        return lockSlow()
    }

    /// Takes the lock if it is free; never waits.
    @inline(__always)
    func tryLock() -> Bool {
        word.pointee.compareExchange(expected: Self.unlocked, desired: Self.locked, ordering: .acquiring).exchanged
    }

    @inline(never)
    private func lockSlow() -> Bool {
        if ForkSupport.isForkingThread { return false }
        for _ in 0..<100 {
            if word.pointee.load(ordering: .relaxed) == Self.unlocked,
               word.pointee.compareExchange(expected: Self.unlocked, desired: Self.locked, ordering: .acquiring).exchanged {
                return true
            }
        }
        // The futex call sets errno (EAGAIN, EINTR); a successful malloc must not.
        let savedErrno = vmm_errno()
        while word.pointee.exchange(Self.contended, ordering: .acquiring) != Self.unlocked {
            vmm_futex_wait(futexAddress, Self.contended)
        }
        vmm_set_errno(savedErrno)
        return true
    }

    @inline(__always)
    func unlock() {
        if word.pointee.exchange(Self.unlocked, ordering: .releasing) == Self.contended { wake() }
    }

    @inline(never)
    private func wake() {
        let savedErrno = vmm_errno()
        vmm_futex_wake_one(futexAddress)
        vmm_set_errno(savedErrno)
    }

    /// Forgets every holder: for the only thread of a child after fork.
    func reset() {
        word.pointee.store(Self.unlocked, ordering: .relaxed)
    }

    private var futexAddress: UnsafeMutablePointer<UInt32> {
        UnsafeMutableRawPointer(word).assumingMemoryBound(to: UInt32.self)
    }
}
