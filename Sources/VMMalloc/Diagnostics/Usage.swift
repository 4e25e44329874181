import Synchronization

/// The counts the heap metadata cannot give at exit: forks (both variants,
/// counted by the fork handlers), allocations refused (both variants, counted
/// where they fail) and, in the debug variant only, the bytes handed out now
/// and at their peak, which every allocation call updates.
enum Usage {
    /// Forks this process made (a child starts again from 0). Only the fork
    /// handlers change it, with the heap lock held.
    nonisolated(unsafe) static var forks = 0

    /// Allocations this process was refused with ENOMEM (a child starts again from 0).
    private static let refused = Atomic<Int>(0)

    /// An allocation fails with ENOMEM: only the failing path counts it.
    static func refuse() {
        refused.wrappingAdd(1, ordering: .relaxed)
    }

    static var refusals: Int { refused.load(ordering: .relaxed) }

    /// In a child of fork: its counts start from nothing.
    static func childStarts() {
        forks = 0
        refused.store(0, ordering: .relaxed)
    }

#if VMMALLOC_DEBUG
    private static let bytes = Atomic<Int>(0)
    private static let peak = Atomic<Int>(0)
#endif

    /// The usable bytes of a block just handed out (debug variant only).
    @inline(__always)
    static func add(_ count: Int) {
#if VMMALLOC_DEBUG
        let now = bytes.wrappingAdd(count, ordering: .relaxed).newValue
        var highest = peak.load(ordering: .relaxed)
        while now > highest {
            let (exchanged, original) = peak.compareExchange(expected: highest, desired: now, ordering: .relaxed)
            if exchanged { break }
            highest = original
        }
#endif
    }

    /// The usable bytes of a block about to be freed (debug variant only).
    @inline(__always)
    static func remove(_ count: Int) {
#if VMMALLOC_DEBUG
        bytes.wrappingSubtract(count, ordering: .relaxed)
#endif
    }

    /// The most bytes handed out at once, nil in the release variant (not tracked).
    static var peakBytes: Int? {
#if VMMALLOC_DEBUG
        peak.load(ordering: .relaxed)
#else
        nil
#endif
    }
}
