import Synchronization
import VMMallocShim

/// Every thread heap there is, which thread has which, and the heaps whose
/// threads have exited.
///
/// A thread gets a heap on its first allocation: one left by an exited
/// thread if there is one (its pages and all), else a new one. When the
/// thread exits, a thread-specific-data destructor gives back its empty pages
/// and puts the heap on the abandoned queue. Heaps are never destroyed, so
/// a program that runs a million short threads one after another uses one
/// heap. The slow path of running threads tends abandoned heaps, so memory
/// freed into them is given back even if no new thread comes, and, one at a
/// time, the heaps of other live threads, which may be waiting.
///
/// Calls that cannot have a heap of their own (a thread past its destructor)
/// use the orphan heap, under a lock.
enum HeapRegistry {
    // Layout of the storage in pool metadata.
    private static let lockOffset = 0
    private static let orphanLockOffset = 4
    private static let allHeapsOffset = 8
    private static let abandonedHeadOffset = 16
    private static let abandonedTailOffset = 24
    private static let slabNextOffset = 32
    private static let slabEndOffset = 40
    private static let heapCountOffset = 48
    private static let threadCountOffset = 56
    /// The heap of a live thread tended last (`tendAnother`).
    private static let tendCursorOffset = 64
    private static let sentinelOffset = 128
    private static let orphanOffset = sentinelOffset + MemoryLayout<Page>.stride
    private static let exitedOffset = orphanOffset + ThreadHeap.size
    static let storageSize = exitedOffset + ThreadHeap.size

    nonisolated(unsafe) private static var storage: UInt = 0
    /// The page with no free block that every empty size class points at.
    nonisolated(unsafe) private(set) static var sentinelPage: UInt = 0
    /// The heap of threads past their destructor: no page, so every call takes the slow path.
    nonisolated(unsafe) private(set) static var exitedHeap: UInt = 0
    nonisolated(unsafe) private(set) static var orphanHeap: UInt = 0
    nonisolated(unsafe) private static var key = pthread_key_t()

    private static var lock: Mutex { Mutex(at: UnsafeMutableRawPointer(bitPattern: storage).unsafelyUnwrapped) }
    static var orphanLock: Mutex {
        Mutex(at: UnsafeMutableRawPointer(bitPattern: storage + UInt(orphanLockOffset)).unsafelyUnwrapped)
    }

    private static func word(_ offset: Int) -> UnsafeMutablePointer<UInt> {
        UnsafeMutablePointer(bitPattern: storage + UInt(offset)).unsafelyUnwrapped
    }

    /// Thread heaps that live in the area after the slice tables: 176 KiB,
    /// under 1/64 of the smallest pool, and no file space until used.
    /// Heaps are never given back, so a heap placed among the pages would
    /// split the free space around it for good; only a program with more
    /// threads than this at once gets its further heaps from slabs at the top
    /// of the pool (`newHeap`).
    static let areaCapacity = 64

    /// Sets up the registry's state at `address`, with room for `capacity`
    /// heaps at `area` (metadata space whose file space is reserved as heaps
    /// are placed there).
    static func create(at address: UnsafeMutableRawPointer, area: UnsafeMutableRawPointer, capacity: Int) {
        storage = UInt(bitPattern: address)
        word(slabNextOffset).pointee = UInt(bitPattern: area)
        word(slabEndOffset).pointee = UInt(bitPattern: area) + UInt(capacity * ThreadHeap.size)
        sentinelPage = storage + UInt(sentinelOffset)
        UnsafeMutablePointer<Page>(bitPattern: sentinelPage).unsafelyUnwrapped.initialize(to: Page())
        orphanHeap = storage + UInt(orphanOffset)
        exitedHeap = storage + UInt(exitedOffset)
        // No thread frees into these heaps' caches: a free by a thread without a heap goes to the page.
        ThreadHeap(orphanHeap).initialize(caching: false)
        ThreadHeap(exitedHeap).initialize(caching: false)
        _ = pthread_key_create(&key) { value in
            if let value { HeapRegistry.threadExited(ThreadHeap(value)) }
        }
    }

    private static let active: UInt32 = 1
    private static let abandoned: UInt32 = 2
    /// Abandoned by fork, in the child: what its thread's fast paths were
    /// changing may be torn (see `ThreadHeap.forgetFastPathState`), so that
    /// is dropped when the heap is first taken off the abandoned queue.
    private static let forked: UInt32 = 3

    // MARK: - Threads

    /// The calling thread's heap, given one if it has none; nil for a thread
    /// past its destructor, or when the pool has no room for a new heap.
    /// Under valgrind no thread gets one: all use the orphan heap, and the
    /// fast paths, which need the thread's heap, leave every call to the
    /// slow paths, where memcheck is told of it (`MemcheckAPI`).
    @inline(never)
    static func heapOfThisThread() -> ThreadHeap? {
        if let current = ThreadHeap.current {
            let address = UInt(bitPattern: current)
            return address == exitedHeap ? nil : ThreadHeap(address)
        }
        if Memcheck.isRunning { return nil }
        let held = lock.lock()
        var heap = popAbandoned()
        if heap == nil { heap = newHeap() }
        if let heap {
            heap.state = active
            word(threadCountOffset).pointee += 1
        }
        if held { lock.unlock() }
        guard let heap else { return nil }
        let pointer = UnsafeMutableRawPointer(bitPattern: heap.address).unsafelyUnwrapped
        ThreadHeap.current = pointer
        // May allocate (in glibc, for keys past the first 32): the slot is already set.
        _ = pthread_setspecific(key, pointer)
        return heap
    }

    /// The destructor: the heap gives back what it can and waits for another thread.
    private static func threadExited(_ heap: ThreadHeap) {
        ThreadHeap.current = UnsafeMutableRawPointer(bitPattern: exitedHeap)
        // The current pages stay for the next thread; tending gives them back if none comes.
        heap.withLock { heap.collect(.allButCurrent) }
        let held = lock.lock()
        heap.state = abandoned
        pushAbandoned(heap)
        if held { lock.unlock() }
    }

    /// Largest slab of heaps taken from the extents, in slices (32 holds 186 heaps).
    private static let slabLimit = 32

    /// A heap never used before: from the area after the tables, then from
    /// slabs taken off the top of the pool (or, when the pool is too full
    /// there or its granules are 1 GiB huge pages, from among the pages),
    /// each as large as all heaps so far (up to `slabLimit`), so that a
    /// program with many threads has few of them.
    private static func newHeap() -> ThreadHeap? {
        let next = word(slabNextOffset)
        let end = word(slabEndOffset)
        // The extents' lock also guards the reservation bitmap.
        let extents = Extents.lock
        let held = extents.lock()
        if next.pointee + UInt(ThreadHeap.size) > end.pointee {
            let share = heapCount * ThreadHeap.size / Slices.size
            let slices = share < 1 ? 1 : share > slabLimit ? slabLimit : share
            // Not on huge pages larger than 2 MiB: the top would cost a granule of its own.
            let top = Pool.reservation.granule <= 2 << 20 ? Extents.takeTopLocked(slices) : nil
            guard let slab = top ?? Extents.allocateLocked(slices) else {
                if held { extents.unlock() }
                return nil
            }
            next.pointee = UInt(bitPattern: Slices.address(slab))
            end.pointee = next.pointee + UInt(slices * Slices.size)
        }
        let from = Pool.offset(of: UnsafeRawPointer(bitPattern: next.pointee).unsafelyUnwrapped)
        let reserved = Pool.reservation.ensure(from: from, to: from + ThreadHeap.size)
        if held { extents.unlock() }
        guard reserved else { return nil }
        // Metadata is data a copy of the pool must hold.
        Pool.reservation.markWritten(from: from, to: from + ThreadHeap.size)
        let heap = ThreadHeap(next.pointee)
        next.pointee += UInt(ThreadHeap.size)
        heap.initialize()
        heap.nextInRegistry = word(allHeapsOffset).pointee
        word(allHeapsOffset).pointee = heap.address
        word(heapCountOffset).pointee += 1
        return heap
    }

    // MARK: - Abandoned heaps (a queue, so that tending goes round them all)

    private static func pushAbandoned(_ heap: ThreadHeap) {
        heap.nextAbandoned = 0
        let tail = word(abandonedTailOffset)
        if tail.pointee != 0 { ThreadHeap(tail.pointee).nextAbandoned = heap.address }
        else { word(abandonedHeadOffset).pointee = heap.address }
        tail.pointee = heap.address
    }

    private static func popAbandoned() -> ThreadHeap? {
        let head = word(abandonedHeadOffset)
        guard head.pointee != 0 else { return nil }
        let heap = ThreadHeap(head.pointee)
        head.pointee = heap.nextAbandoned
        if head.pointee == 0 { word(abandonedTailOffset).pointee = 0 }
        if heap.state == forked {
            // Off the queue the heap is the caller's alone, and nothing else touches what this drops.
            heap.forgetFastPathState()
            heap.state = abandoned
        }
        return heap
    }

    /// Collects the remote frees of one abandoned heap and gives back its empty pages.
    static func tendAbandoned(_ which: ThreadHeap.Collection = .idle) {
        guard lock.tryLock() else { return }
        let heap = popAbandoned()
        lock.unlock()
        guard let heap else { return }
        // Only tried: the caller may hold its own heap's lock, and fork takes every heap's lock.
        let heapLock = heap.lock
        if heapLock.tryLock() {
            heap.collect(which)
            heapLock.unlock()
        }
        let held = lock.lock()
        pushAbandoned(heap)
        if held { lock.unlock() }
    }

    /// Tends every abandoned heap once (when the pool is short of space).
    static func tendAllAbandoned() {
        let held = lock.lock()
        let count = heapCount
        if held { lock.unlock() }
        for _ in 0..<count { tendAbandoned(.everything) }
    }

    // MARK: - Heaps of live threads

    /// Tends (`ThreadHeap.tend`) the next heap of a live thread after the
    /// last one tended, if it is not `mine` and its lock is free: a thread
    /// that waits keeps no empty page, nor pages that other threads' frees
    /// emptied, for long. Called from the heartbeat.
    static func tendAnother(than mine: ThreadHeap) {
        guard lock.tryLock() else { return }
        var address = word(tendCursorOffset).pointee
        address = address == 0 ? word(allHeapsOffset).pointee : ThreadHeap(address).nextInRegistry
        if address == 0 { address = word(allHeapsOffset).pointee }
        word(tendCursorOffset).pointee = address
        let state = address == 0 ? 0 : ThreadHeap(address).state
        lock.unlock()
        guard address != 0, address != mine.address, state == active else { return }
        tendLive(ThreadHeap(address), .idle)
    }

    /// Tends every heap of a live thread but the caller's (when the pool is short of space).
    static func tendAllOthers() {
        let mine = UInt(bitPattern: ThreadHeap.current)
        forEachThreadHeap { heap in
            if heap.address != mine && heap.state == active { tendLive(heap, .everything) }
        }
    }

    /// Tends `heap` if its lock is free (never waits: the caller may hold its own heap's lock).
    private static func tendLive(_ heap: ThreadHeap, _ which: ThreadHeap.Collection) {
        let heapLock = heap.lock
        guard heapLock.tryLock() else { return }
        // Checked again under the heap's lock: its thread may have exited meanwhile.
        if heap.state == active { heap.tend(which) }
        heapLock.unlock()
    }

    // MARK: - The orphan heap

    /// A small block from the orphan heap, for a thread without a heap or
    /// one that shares its pages. When the pool has no room for a new page,
    /// the orphan heap's own empty pages of other classes are given back
    /// first (`Heap.reclaim` cannot: the caller holds the orphan's lock).
    static func allocateOrphan(_ c: Int) -> UInt? {
        let lock = orphanLock
        let held = lock.lock()
        defer { if held { lock.unlock() } }
        let orphan = ThreadHeap(orphanHeap)
        if let block = orphan.allocate(c) { return block }
        orphan.collect(.everything)
        return orphan.allocate(c)
    }

    /// Collects the orphan heap's remote frees and gives back its empty
    /// pages as `which` says, if its lock is free. No thread owns the orphan
    /// heap, so without this the pages that threads shared in a crowded pool
    /// would stay with it, empty, for good.
    static func tendOrphan(_ which: ThreadHeap.Collection) {
        let lock = orphanLock
        guard lock.tryLock() else { return }
        ThreadHeap(orphanHeap).collect(which)
        lock.unlock()
    }

    // MARK: - Fork

    /// Holds every lock across fork, in the lock order: orphan, every heap's
    /// (no slow path is halfway through a heap, for the child or a copy of the
    /// pool; another heap's lock is only ever tried, so the order among heaps
    /// does not matter), registry, extents.
    static func lockAll() -> Bool {
        let a = orphanLock.lock()
        forEachThreadHeap { heap in _ = heap.lock.lock() }
        let b = lock.lock()
        let c = Extents.lock.lock()
        return a && b && c
    }

    static func unlockAll() {
        Extents.lock.unlock()
        forEachThreadHeap { heap in heap.lock.unlock() }
        lock.unlock()
        orphanLock.unlock()
    }

    /// In the child: the locks are free, and every other thread's heap is now
    /// abandoned (as `forked`: its fast-path state is dropped when first
    /// used, not here, so that a child that only execs pays nothing).
    static func childAfterFork() {
        Extents.lock.reset()
        lock.reset()
        orphanLock.reset()
        let mine = UInt(bitPattern: ThreadHeap.current)
        forEachThreadHeap { heap in
            // A thread that does not exist here may have held its heap's lock at the fork.
            heap.lock.reset()
            if heap.address != mine && heap.state == active {
                heap.state = forked
                pushAbandoned(heap)
            }
        }
    }

    // MARK: - Statistics

    /// Calls `body` with every heap, the orphan heap included.
    static func forEachHeap(_ body: (ThreadHeap) -> Void) {
        body(ThreadHeap(orphanHeap))
        forEachThreadHeap(body)
    }

    /// Calls `body` with every heap threads have had, newest first (heaps
    /// are never destroyed, and a new one goes in front, so the walk needs
    /// no lock).
    private static func forEachThreadHeap(_ body: (ThreadHeap) -> Void) {
        var address = word(allHeapsOffset).pointee
        while address != 0 {
            let heap = ThreadHeap(address)
            body(heap)
            address = heap.nextInRegistry
        }
    }

    /// Threads that have had a heap.
    static var threadCount: Int { Int(word(threadCountOffset).pointee) }
    static var heapCount: Int { Int(word(heapCountOffset).pointee) }
}
