import Synchronization
import VMMallocShim

/// The small pages one thread allocates from, kept in pool metadata.
///
/// A heap belongs to one thread at a time: the thread that has it in its
/// thread-local slot allocates and frees in its pages without any lock or
/// atomic read-modify-write. Other threads free into its pages through each
/// page's remote list. When its thread exits, the heap, pages and all, waits
/// in `HeapRegistry` for the next thread.
///
/// Per size class, a queue of pages with room and, among them, the current
/// page (`currentPage`), which the fast path allocates from when the class's
/// cache is empty: the page the slow path found room in. Pages with nothing
/// left go to the full list until a free gives them room again.
///
/// Per size class too, a cache of free blocks (`ClassCache`): the blocks the
/// thread freed, whatever heap's pages they come from, handed out again last
/// in first out while they are still in the thread's cache; a free writes
/// only the block and the cache, not the page's descriptor. Blocks go back to
/// their pages in batches: half the cache when it is full, all of it at
/// every heartbeat's collection and when the thread exits.
struct ThreadHeap {
    let address: UInt

    init(_ address: UInt) { self.address = address }

    /// The calling thread's heap: its thread-local slot (in the shim), or nil before its first allocation.
    @inline(__always)
    static var current: UnsafeMutableRawPointer? {
        get { vmm_tls_heap }
        set { vmm_tls_heap = newValue }
    }
    init(_ pointer: UnsafeMutableRawPointer) { address = UInt(bitPattern: pointer) }

    // Layout: a `Header`, then a `ClassCache` per size class (what the fast
    // paths touch, one class on half a cache line), then a `ClassQueue` per
    // size class (what only the slow paths touch).

    /// A heap's own fields, on its first two cache lines. The first line is
    /// the owner's; `notified`, which other threads write, has the second to
    /// itself.
    struct Header {
        /// The word of the heap's `lock`.
        var lock: UInt32 = 0
        private var padding0: UInt32 = 0
        /// The first page of the full list (a slice index), or 0.
        var full: UInt32 = 0
        /// Where the heap stands in `HeapRegistry` (active, abandoned, ...).
        var state: UInt32 = 0
        /// Link in the registry's list of every heap.
        var nextInRegistry: UInt = 0
        /// Link in the registry's queue of heaps without a thread.
        var nextAbandoned: UInt = 0
        /// Slow-path mallocs so far: the heartbeat looks at the clock every 64th.
        var genericCalls: UInt = 0
        /// When the heartbeat last ran (coarse milliseconds).
        var lastBeat: UInt32 = 0
        /// How many of `spares` are held.
        var spareCount: UInt32 = 0
        /// Empty one-slice pages (slice indices) the heap keeps for its next
        /// new page instead of giving them back to the extents.
        var spares: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)

        /// Pages a remote free took off the full list, pushed by the freeing
        /// thread (an `Atomic<UInt>`: see `ThreadHeap.notified`).
        var notified: UInt = 0
        private var padding1: (UInt, UInt, UInt, UInt, UInt, UInt, UInt) = (0, 0, 0, 0, 0, 0, 0)
    }

    /// The page queue of a size class, and what a heap counts of the class.
    struct ClassQueue {
        /// The first and last pages with room (slice indices), or 0.
        var first: UInt32 = 0
        var last: UInt32 = 0
        /// Pages of the class the heap holds, full ones included.
        var pageCount: UInt32 = 0
        /// Bytes of blocks of the class the heap's thread took from the orphan
        /// heap's pages while it had no page of the class (only the owner counts).
        var sharedBytes: UInt32 = 0
    }

    /// Empty one-slice pages a heap keeps for its next new page (`Header.spares`).
    static let spareCapacity = 4
    /// Fast-path allocations of a class between two of its passes through the slow path (see `spend`).
    static let budgetPerBeat: UInt32 = 256
    private static let classesOffset = MemoryLayout<Header>.size
    private static let queuesOffset = classesOffset + SizeClass.count * ClassCache.stride
    static let size = (queuesOffset + SizeClass.count * MemoryLayout<ClassQueue>.stride + 63) & ~63

    /// `notified`, the first field of `Header`'s second cache line.
    private static let notifiedOffset = 64

    @inline(__always)
    private func word<T: ~Copyable>(_ offset: Int, _ type: T.Type) -> UnsafeMutablePointer<T> {
        UnsafeMutablePointer<T>(bitPattern: address &+ UInt(offset)).unsafelyUnwrapped
    }

    var header: UnsafeMutablePointer<Header> { word(0, Header.self) }
    /// Pages a remote free took off the full list, pushed by the freeing thread.
    var notified: UnsafeMutablePointer<Atomic<UInt>> { word(Self.notifiedOffset, Atomic<UInt>.self) }
    /// Held by the owner in its slow paths and by another thread tending the
    /// heap (`tend`): everything but the class caches and the current pages,
    /// which only the owner's fast paths touch, lock-free. (`Header.lock` is
    /// the header's first field.)
    var lock: Mutex { Mutex(at: UnsafeMutableRawPointer(header)) }

    /// Runs `body` holding the heap's lock.
    @inline(__always)
    func withLock<R>(_ body: () -> R) -> R {
        let lock = self.lock
        let held = lock.lock()
        defer { if held { lock.unlock() } }
        return body()
    }
    var state: UInt32 {
        get { header.pointee.state }
        nonmutating set { header.pointee.state = newValue }
    }
    var nextInRegistry: UInt {
        get { header.pointee.nextInRegistry }
        nonmutating set { header.pointee.nextInRegistry = newValue }
    }
    var nextAbandoned: UInt {
        get { header.pointee.nextAbandoned }
        nonmutating set { header.pointee.nextAbandoned = newValue }
    }

    /// The most recently kept spare page (its first slice), or nil.
    func takeSpare() -> Int? {
        let count = Int(header.pointee.spareCount)
        guard count > 0 else { return nil }
        header.pointee.spareCount -= 1
        return withUnsafeBytes(of: header.pointee.spares) { Int($0.load(fromByteOffset: (count - 1) * 4, as: UInt32.self)) }
    }

    /// Keeps the empty one-slice page at `index` as a spare; false when the heap holds `spareCapacity` already.
    private func keepSpare(_ index: Int) -> Bool {
        let count = Int(header.pointee.spareCount)
        guard count < Self.spareCapacity else { return false }
        withUnsafeMutableBytes(of: &header.pointee.spares) { $0.storeBytes(of: UInt32(index), toByteOffset: count * 4, as: UInt32.self) }
        header.pointee.spareCount += 1
        return true
    }

    /// The cache and current page of class `c`.
    @inline(__always)
    func classCache(_ c: Int) -> UnsafeMutablePointer<ClassCache> {
        word(Self.classesOffset &+ c &* ClassCache.stride, ClassCache.self)
    }
    /// The page queue and counts of class `c`.
    func queue(_ c: Int) -> UnsafeMutablePointer<ClassQueue> {
        word(Self.queuesOffset &+ c &* MemoryLayout<ClassQueue>.stride, ClassQueue.self)
    }

    /// A heap takes blocks of a class from the orphan heap's pages (shared,
    /// locked) rather than a page of its own while the pool is crowded, it
    /// has no page of the class, and it has taken less than a page's worth
    /// of them so far (a slice's worth for classes of one-slice pages): a
    /// thread that uses a few blocks of many classes costs no page per class
    /// (nor, while it waits, holds one), and one that uses many gets its own
    /// page soon.
    private static func sharedBytesLimit(_ c: Int) -> UInt32 {
        UInt32(SizeClass.pageSlices(c) &<< Slices.shift)
    }

    func sharesOrphanPages(_ c: Int) -> Bool {
        let queue = queue(c)
        return queue.pointee.pageCount == 0 && queue.pointee.sharedBytes < Self.sharedBytesLimit(c) && address != HeapRegistry.orphanHeap
            && Extents.isCrowded
    }

    /// Whether the heap holds no page of class `c` (`Heap.allocate` then
    /// tries the orphan heap's pages); counts the block it may take there.
    func mayShare(_ c: Int) -> Bool {
        let queue = queue(c)
        guard queue.pointee.pageCount == 0 else { return false }
        // Counted up to the limit only: it never wraps back below it.
        if queue.pointee.sharedBytes < Self.sharedBytesLimit(c) { queue.pointee.sharedBytes += UInt32(SizeClass.size(c)) }
        return true
    }

    /// An empty heap: every class points at the sentinel page, which has no
    /// free block, and has an empty cache that holds `limit` blocks (none for
    /// a heap no thread frees into: see `HeapRegistry`).
    func initialize(caching: Bool = true) {
        vmmAssert(MemoryLayout<Header>.size == 128 && withUnsafeMutablePointer(to: &header.pointee.notified) {
            UInt(bitPattern: $0) == address &+ UInt(Self.notifiedOffset) }, "a heap's header is not laid out as `notified` says")
        memset(UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped, 0, Self.size)
        for c in 0..<SizeClass.count {
            let cache = classCache(c)
            cache.pointee.page = HeapRegistry.sentinelPage
            guard c > 0 else { continue }
            cache.pointee.reciprocal = SizeClass.reciprocal(c)
            if caching && !Variant.isDebug { ClassCache.open(cache, blockSize: SizeClass.size(c)) }
            cache.pointee.budget = Self.budgetPerBeat
        }
    }

    // MARK: - The fast path

    /// The page the fast path allocates class `c` from when the class's cache
    /// is empty: a page of the class's queue, or the sentinel.
    @inline(__always)
    func currentPage(_ c: Int) -> UnsafeMutablePointer<Page> {
        UnsafeMutablePointer<Page>(bitPattern: classCache(c).pointee.page).unsafelyUnwrapped
    }

    /// Makes `page`, of class `c` and on its queue, the current page of its class.
    @inline(__always)
    func makeCurrent(_ page: UnsafeMutablePointer<Page>, _ c: Int) {
        classCache(c).pointee.page = UInt(bitPattern: page)
    }

    /// Counts a fast-path allocation from `cache`; false once every
    /// `budgetPerBeat` of them, when the allocation takes the slow path so
    /// that the heartbeat runs even in a program that frees everything it
    /// allocates at once. (Per class, on the line malloc touches anyway: the
    /// slow path still comes once every `budgetPerBeat` fast mallocs or
    /// sooner, whatever the mix of classes.)
    @inline(__always)
    static func spend(_ cache: UnsafeMutablePointer<ClassCache>) -> Bool {
        let left = cache.pointee.budget &- 1
        cache.pointee.budget = left
        return left != 0
    }

    @inline(__always)
    static func pop(_ page: UnsafeMutablePointer<Page>) -> UInt {
        let block = page.pointee.free
        vmmAssert(isBlock(block, of: page), "a free-list link leaves its page", UnsafeRawPointer(bitPattern: block))
        vmmAssert(FreeBlock.looksFree(block), "a block on a free list is not marked free (written after free?)",
                  UnsafeRawPointer(bitPattern: block))
        let next = FreeBlock.next(block)
        page.pointee.free = next
        page.pointee.used &+= 1
        FreeBlock.unmark(block)
        return block
    }

    // MARK: - Allocation when the current page is empty

    /// A block of class `c`: from the current page after a refill, from the
    /// next page of the queue, or from a new page; nil when the pool is full.
    func allocate(_ c: Int) -> UInt? {
        vmmAssert(Extents.headerIsIntact, "the pool header was overwritten", UnsafeRawPointer(bitPattern: address))
        heartbeat(c)
        // Here after the budget ran out, or with the cache and the current page empty (the sentinel is always empty).
        let cache = classCache(c)
        if cache.pointee.head != 0 { return ClassCache.pop(cache) }
        let current = currentPage(c)
        if current.pointee.free != 0 { return Self.pop(current) }
        var index = Int(queue(c).pointee.first)
        while index != 0 {
            let page = Slices.page(index)
            if refill(page) {
                makeCurrent(page, c)
                return Self.pop(page)
            }
            let next = Int(page.pointee.next)
            // Nothing left: off the queue, unless remote frees just arrived.
            if !markFull(page, index) { continue }
            index = next
        }
        // In a crowded pool a class this heap has no page of takes no slice
        // of its own: the caller shares the orphan heap's pages instead, so
        // that many threads that each use a few blocks of many classes do not
        // run the pool out with pages that are mostly empty.
        if sharesOrphanPages(c) {
            stopCaching(c)
            return nil
        }
        guard let page = newPage(c) else { return nil }
        makeCurrent(page, c)
        return Self.pop(page)
    }

    /// Gives the page free blocks to allocate from: its own frees, the remote
    /// ones, or blocks never used yet. False when it has none.
    private func refill(_ page: UnsafeMutablePointer<Page>) -> Bool {
        if page.pointee.free != 0 { return true }
        if Self.collectRemote(page) { return true }
        if page.pointee.carved < page.pointee.capacity {
            Self.carve(page)
            return true
        }
        return false
    }

    /// Whether `block` is the start of a carved block of `page` (debug checks).
    static func isBlock(_ block: UInt, of page: UnsafeMutablePointer<Page>) -> Bool {
        let start = UInt(bitPattern: Slices.address(Slices.index(of: page)))
        guard block >= start, block < start + UInt(page.pointee.slices) << UInt(Slices.shift),
              let index = page.blockIndex(atOffset: block - start)
        else { return false }
        return index < UInt(page.pointee.carved)
            && Int(page.pointee.blockSize) == SizeClass.size(Int(page.pointee.sizeClass))
    }

    /// Moves the remote frees of `page` to its free list; false when there were none.
    /// Only the holder of the owning heap's lock calls this (for the current page, only the owner).
    @discardableResult
    static func collectRemote(_ page: UnsafeMutablePointer<Page>) -> Bool {
        let remote = page.remoteFree
        var old = remote.pointee.load(ordering: .relaxed)
        while true {
            if old & ~Page.RemoteState.mask == 0 { return false }
            let (exchanged, seen) = remote.pointee.compareExchange(
                expected: old, desired: old & Page.RemoteState.mask, ordering: .acquiring)
            if exchanged { break }
            old = seen
        }
        let list = old & ~Page.RemoteState.mask
        var tail = list
        var count: UInt32 = 1
        while true {
            vmmAssert(isBlock(tail, of: page), "a remote free list leaves its page", UnsafeRawPointer(bitPattern: tail))
            let next = FreeBlock.next(tail)
            if next == 0 { break }
            tail = next
            count &+= 1
        }
        FreeBlock.setNext(tail, page.pointee.free)
        page.pointee.free = list
        vmmAssert(page.pointee.used >= count, "remote frees outnumber the blocks in use", UnsafeRawPointer(bitPattern: list))
        page.pointee.used &-= count
        return true
    }

    /// Links the next few never-used blocks into the free list (a few KiB at
    /// a time, so memory is touched as it is needed).
    private static func carve(_ page: UnsafeMutablePointer<Page>) {
        let size = UInt(page.pointee.blockSize)
        let left = page.pointee.capacity - page.pointee.carved
        var count = UInt32(4096 / size)
        if count == 0 { count = 1 }
        if count > left { count = left }
        let start = UInt(bitPattern: Slices.address(Slices.index(of: page))) + UInt(page.pointee.carved) * size
        var block = start
        for _ in 1..<count {
            FreeBlock.push(block, before: block + size)
            block += size
        }
        FreeBlock.push(block, before: page.pointee.free)
        page.pointee.free = start
        page.pointee.carved += count
        let index = Slices.index(of: page)
        let bound = SizeClass.blockStartBound(blocks: UInt(page.pointee.carved), reciprocal: page.pointee.reciprocal, size: size)
        Slices.setEntry(index, SmallPageEntry.make(tag: Slices.Tag.smallPage, sizeClass: Int(page.pointee.sizeClass),
                                                   blockStartBound: bound))
    }

    /// Moves a page with nothing left from its queue to the full list, asking
    /// the first remote free to say so; false (page left alone) when remote
    /// frees arrived meanwhile.
    private func markFull(_ page: UnsafeMutablePointer<Page>, _ index: Int) -> Bool {
        guard page.remoteFree.pointee.compareExchange(
            expected: 0, desired: Page.RemoteState.wantsNotice, ordering: .acquiringAndReleasing).exchanged
        else { return false }
        removeFromQueue(page, index)
        page.pointee.flags |= Page.inFull
        let head = header.pointee.full
        page.pointee.next = head
        page.pointee.previous = 0
        if head != 0 { Slices.page(Int(head)).pointee.previous = UInt32(index) }
        header.pointee.full = UInt32(index)
        return true
    }

    func removeFromFull(_ page: UnsafeMutablePointer<Page>) {
        let next = page.pointee.next
        let previous = page.pointee.previous
        if previous != 0 { Slices.page(Int(previous)).pointee.next = next } else { header.pointee.full = next }
        if next != 0 { Slices.page(Int(next)).pointee.previous = previous }
        page.pointee.flags &= ~Page.inFull
    }

    private func removeFromQueue(_ page: UnsafeMutablePointer<Page>, _ index: Int) {
        let c = Int(page.pointee.sizeClass)
        let next = page.pointee.next
        let previous = page.pointee.previous
        let queue = queue(c)
        if previous != 0 { Slices.page(Int(previous)).pointee.next = next } else { queue.pointee.first = next }
        if next != 0 { Slices.page(Int(next)).pointee.previous = previous } else { queue.pointee.last = previous }
        // The current page must be on the queue: without it, the next malloc's slow path picks one.
        if classCache(c).pointee.page == UInt(bitPattern: page) { classCache(c).pointee.page = HeapRegistry.sentinelPage }
    }

    private func pushFront(_ page: UnsafeMutablePointer<Page>, _ index: Int) {
        let c = Int(page.pointee.sizeClass)
        let queue = queue(c)
        let head = queue.pointee.first
        page.pointee.next = head
        page.pointee.previous = 0
        if head != 0 { Slices.page(Int(head)).pointee.previous = UInt32(index) } else { queue.pointee.last = UInt32(index) }
        queue.pointee.first = UInt32(index)
    }

    func pushBack(_ page: UnsafeMutablePointer<Page>, _ index: Int) {
        let c = Int(page.pointee.sizeClass)
        let queue = queue(c)
        let tail = queue.pointee.last
        page.pointee.previous = tail
        page.pointee.next = 0
        if tail != 0 { Slices.page(Int(tail)).pointee.next = UInt32(index) } else { queue.pointee.first = UInt32(index) }
        queue.pointee.last = UInt32(index)
    }

    /// A new page of class `c` at the front of its queue, with blocks carved.
    private func newPage(_ c: Int) -> UnsafeMutablePointer<Page>? {
        let slices = SizeClass.pageSlices(c)
        var start = 0
        if slices == 1, let spare = takeSpare() {
            start = spare
        } else {
            // The orphan heap is shared under its own lock; the caller's heap is not locked then.
            guard let span = Extents.allocate(slices, heapLocked: address != HeapRegistry.orphanHeap) else { return nil }
            start = span
        }
        queue(c).pointee.pageCount += 1
        resumeCaching(c)
        Pool.reservation.markWritten(from: Slices.offset(start), to: Slices.offset(start + slices))
        let page = Slices.page(start)
        let blockSize = SizeClass.size(c)
        page.initialize(to: Page())
        page.pointee.blockSize = UInt32(blockSize)
        page.pointee.capacity = UInt32((slices << Slices.shift) / blockSize)
        page.pointee.reciprocal = SizeClass.reciprocal(c)
        page.pointee.heap = address
        page.pointee.sizeClass = UInt8(c)
        page.pointee.slices = UInt32(slices)
        if slices > 1 {
            for k in 1..<slices {
                Slices.setEntry(start + k, SmallPageEntry.make(tag: Slices.Tag.smallPage | UInt8(k), sizeClass: c, blockStartBound: 0))
            }
        }
        pushFront(page, start)
        // Sets the first slice's entry (its tag last: nothing may be freed there before the rest is set).
        Self.carve(page)
        return page
    }

    // MARK: - Free

    /// A free into one of this heap's pages that bypasses the class cache (the
    /// debug variant, which checks every block where it goes home).
    func freeLocalSlow(_ page: UnsafeMutablePointer<Page>, _ block: UInt) {
        vmmAssert(Self.isBlock(block, of: page), "size class and page metadata disagree", UnsafeRawPointer(bitPattern: block))
        FreeBlock.push(block, before: page.pointee.free)
        returnLocal(page, block, block, 1)
        // The block is the next one of its size handed out (when its page is on the queue).
        if !page.isInFull { makeCurrent(page, Int(page.pointee.sizeClass)) }
        // A page left empty waits for the heartbeat (`collect`).
    }

    /// Puts `count` blocks, linked from `head` to `tail` and marked free, back
    /// on the free list of `page`, one of this heap's pages; a page that was
    /// full goes back to its queue.
    func returnLocal(_ page: UnsafeMutablePointer<Page>, _ head: UInt, _ tail: UInt, _ count: UInt32) {
        FreeBlock.setNext(tail, page.pointee.free)
        page.pointee.free = head
        vmmAssert(page.pointee.used >= count, "more blocks freed than handed out", UnsafeRawPointer(bitPattern: head))
        page.pointee.used &-= count
        if page.isInFull {
            // Back to the queue, unless a remote free already told us (the notice will do it).
            let remote = page.remoteFree
            var old = remote.pointee.load(ordering: .relaxed)
            while old & Page.RemoteState.mask == Page.RemoteState.wantsNotice {
                let (exchanged, seen) = remote.pointee.compareExchange(
                    expected: old, desired: old & ~Page.RemoteState.mask, ordering: .acquiringAndReleasing)
                if exchanged {
                    removeFromFull(page)
                    pushBack(page, Slices.index(of: page))
                    break
                }
                old = seen
            }
        }
    }

    /// Returns an empty page's slices to the spares or the extents.
    func release(_ page: UnsafeMutablePointer<Page>, _ index: Int) {
        // A page a remote free has announced stays until the notice is read.
        if page.remoteFree.pointee.load(ordering: .acquiring) & Page.RemoteState.mask == Page.RemoteState.noticed { return }
        if page.isInFull { removeFromFull(page) } else { removeFromQueue(page, index) }
        queue(Int(page.pointee.sizeClass)).pointee.pageCount -= 1
        page.remoteFree.pointee.store(0, ordering: .relaxed)
        page.pointee.heap = 0
        let slices = Int(page.pointee.slices)
        for k in 0..<slices { Slices.setEntry(index + k, 0) }
        if slices == 1 && keepSpare(index) { return }
        Extents.free(index, slices)
    }

    // MARK: - Statistics

    /// Calls `body` with each page of the heap (queues and full list).
    func forEachPage(_ body: (UnsafeMutablePointer<Page>) -> Void) {
        for c in 1..<SizeClass.count {
            var index = Int(queue(c).pointee.first)
            while index != 0 {
                let page = Slices.page(index)
                body(page)
                index = Int(page.pointee.next)
            }
        }
        var index = Int(header.pointee.full)
        while index != 0 {
            let page = Slices.page(index)
            body(page)
            index = Int(page.pointee.next)
        }
    }
}
