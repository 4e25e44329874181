import Synchronization
import VMMallocShim

/// The heap inside the pool, behind a narrow interface: allocate, free,
/// usable size, reallocate.
///
/// - Small blocks (up to 64 KiB, see `SizeClass`) come from the calling
///   thread's cache of blocks it freed, or from pages of one size class
///   owned by its heap (`ThreadHeap`): no lock, no atomic read-modify-write,
///   no header in front of a block. A pointer finds its page through the
///   slice tables (`Slices`) in O(1).
/// - Large blocks are spans of 16 KiB slices from the pool-wide `Extents`.
/// - Every byte handed out has its file space reserved first; space that has
///   stayed free for a while goes back to the file system; calloc does not
///   clear what is known to be zero.
enum Heap {
    /// Where the registry's state starts, after the extents'.
    private static let registryOffset = (Extents.storageSize + 63) & ~63
    /// Bytes of heap state at the start of the pool (the slice tables come later, see `create`).
    static let headerSize = registryOffset + HeapRegistry.storageSize

    /// Lays out an empty heap: state at the pool start, slice tables from pool
    /// offset `tables` on, the first thread heaps' area, then blocks up to
    /// slice `slices`.
    static func create(tables: Int, slices: Int) -> Bool {
        let base = Pool.base
        FreeBlock.secret = (Pool.start ^ 0x9e37_79b9_7f4a_7c15) | 1
        SizeClass.fillTable()
        let heaps = HeapRegistry.areaCapacity
        guard let area = Slices.create(tables: tables, slices: slices, areaBytes: heaps * ThreadHeap.size) else { return false }
        HeapRegistry.create(at: base + registryOffset, area: base + area, capacity: heaps)
        return Extents.create(at: base)
    }

    // MARK: - Allocation

    /// The fast path: a small block from the calling thread's cache or its
    /// current page, or nil when the slow path must run.
    @inline(__always)
    static func allocateFast(_ size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        guard let sizeClass = SizeClass.forRequest(size, alignment: alignment) else { return nil }
        guard let current = ThreadHeap.current else { return nil }
        let heap = ThreadHeap(current)
        let cache = heap.classCache(sizeClass)
        if cache.pointee.head != 0 {
            guard ThreadHeap.spend(cache) else { return nil }
            return UnsafeMutableRawPointer(bitPattern: ClassCache.pop(cache))
        }
        let page = UnsafeMutablePointer<Page>(bitPattern: cache.pointee.page).unsafelyUnwrapped
        guard page.pointee.free != 0, ThreadHeap.spend(cache) else { return nil }
        return UnsafeMutableRawPointer(bitPattern: ThreadHeap.pop(page))
    }

    /// Any allocation (the pool exists): nil when the pool cannot hold it.
    static func allocate(_ size: Int, alignment: Int, zeroed: Bool) -> UnsafeMutableRawPointer? {
        guard let sizeClass = SizeClass.forRequest(size, alignment: alignment) else {
            // A size_t beyond Int.max can never fit.
            return size >= 0 ? allocateLarge(size, alignment: alignment, zeroed: zeroed) : nil
        }
        var block: UInt?
        if let heap = HeapRegistry.heapOfThisThread() {
            block = heap.withLock { heap.allocate(sizeClass) }
            // A heap without a page of the class in a crowded (or full) pool shares the orphan heap's pages.
            if block == nil && heap.mayShare(sizeClass) { block = HeapRegistry.allocateOrphan(sizeClass) }
        } else {
            block = HeapRegistry.allocateOrphan(sizeClass)
        }
        guard let block else { return nil }
        let pointer = UnsafeMutableRawPointer(bitPattern: block).unsafelyUnwrapped
        if zeroed { memset(pointer, 0, size) }
        return pointer
    }

    private static func allocateLarge(_ size: Int, alignment: Int, zeroed: Bool) -> UnsafeMutableRawPointer? {
        guard size <= Int(Pool.length), alignment <= Int(Pool.length) else { return nil }
        let slices = size > 0 ? (size + Slices.size - 1) >> Slices.shift : 1
        guard let start = Extents.allocate(slices, alignment: alignment) else { return nil }
        // Only this thread knows the span yet: its tag and fields need no lock.
        let page = Slices.page(start)
        page.pointee.requested = UInt(size)
        page.pointee.heap = 0
        Slices.setTag(start, Slices.Tag.largeBlock)
        let pointer = Slices.address(start)
        // Which granules read as zeros must be known before they are marked written.
        if zeroed { clearWritten(pointer, size) }
        Pool.reservation.markWritten(from: Slices.offset(start), to: Slices.offset(start + slices))
        return pointer
    }

    /// Before an allocation fails for lack of space: gives back the empty
    /// pages of the calling thread's heap (whose lock it holds if
    /// `heapLocked`), of the orphan heap and every heap without a thread,
    /// and of every other thread's heap whose lock is free (`ThreadHeap.tend`).
    static func reclaim(heapLocked: Bool) {
        if let current = ThreadHeap.current, UInt(bitPattern: current) != HeapRegistry.exitedHeap {
            let heap = ThreadHeap(current)
            if heapLocked { heap.collect(.everything) } else { heap.withLock { heap.collect(.everything) } }
        }
        HeapRegistry.tendOrphan(.everything)
        HeapRegistry.tendAllAbandoned()
        HeapRegistry.tendAllOthers()
    }

    /// Clears the first `size` bytes at `pointer`, skipping the granules known to be zero.
    private static func clearWritten(_ pointer: UnsafeMutableRawPointer, _ size: Int) {
        let granule = Pool.reservation.granule
        var from = Pool.offset(of: pointer)
        let to = from + size
        while from < to {
            let granuleEnd = (from | (granule - 1)) + 1
            let end = granuleEnd < to ? granuleEnd : to
            if !Pool.reservation.isUnwritten(from: from, to: end) { memset(Pool.base + from, 0, end - from) }
            from = end
        }
    }

    // MARK: - Finding a block

    private enum Found {
        case small(UnsafeMutablePointer<Page>, UInt)
        case large(Int)
    }

    /// What `pointer` (in the pool) is: the start of a small block carved from
    /// a page, the start of a large block, or nothing we handed out.
    private static func locate(_ pointer: UnsafeMutableRawPointer) -> Found? {
        let index = Slices.index(of: pointer)
        guard index >= Slices.first && index < Slices.end else { return nil }
        let tag = Slices.tag(index)
        if tag == Slices.Tag.largeBlock {
            return pointer == Slices.address(index) ? .large(index) : nil
        }
        let block = UInt(bitPattern: pointer)
        guard let (start, offset, _) = Slices.smallPage(at: index, block) else { return nil }
        let page = Slices.page(start)
        guard let blockIndex = page.blockIndex(atOffset: offset), blockIndex < UInt(page.pointee.carved) else { return nil }
        return .small(page, block)
    }

    /// Whether `block` is free: marked so (cheap, and what a block in use
    /// almost never is) and then found on one of its page's free lists.
    /// (Another thread may be changing the lists: every link is checked
    /// before it is followed, and the walk is bounded.)
    private static func isFree(_ page: UnsafeMutablePointer<Page>, _ block: UInt) -> Bool {
        // A block in a thread's cache cannot be looked for there: its mark alone says it is free.
        if FreeBlock.looksKept(block) { return true }
        guard FreeBlock.looksFree(block) else { return false }
        let start = UInt(bitPattern: Slices.address(Slices.index(of: page)))
        let end = start + UInt(page.pointee.slices) << UInt(Slices.shift)
        let limit = Int(page.pointee.capacity) + 1
        func search(_ head: UInt) -> Bool {
            var cursor = head
            var steps = 0
            while cursor != 0 && steps < limit {
                if cursor == block { return true }
                guard cursor >= start && cursor < end && cursor & 15 == 0 else { return false }
                cursor = FreeBlock.next(cursor)
                steps += 1
            }
            return false
        }
        return search(page.pointee.free) || search(page.remoteFree.pointee.load(ordering: .acquiring) & ~Page.RemoteState.mask)
    }

    // MARK: - Free

    /// Returns a block to the heap; false (and nothing done) when `pointer` is
    /// not a block in use: a double free or a pointer the heap never gave.
    static func free(_ pointer: UnsafeMutableRawPointer) -> Bool {
        freeFast(pointer) || freeSlow(pointer)
    }

    /// The fast path of `free`: a block carved from a small page (any
    /// heap's), not marked free, into the calling thread's cache of its class
    /// while the cache has room. Reads the slice's entry, the cache and the
    /// block, not the page's descriptor. False when the slow path (`freeSlow`)
    /// must decide.
    @inline(__always)
    static func freeFast(_ pointer: UnsafeMutableRawPointer) -> Bool {
        let block = UInt(bitPattern: pointer)
        guard let (_, offset, entry) = Slices.smallPage(at: Slices.index(of: pointer), block),
              let current = ThreadHeap.current
        else { return false }
        let cache = ThreadHeap(current).classCache(SmallPageEntry.sizeClass(entry))
        let mark = FreeBlock.mark(block)
        // A block start among the blocks carved so far (see `SizeClass.blockStartBound`).
        guard offset &* cache.pointee.reciprocal < SmallPageEntry.blockStartBound(entry),
              !FreeBlock.isMarked(block, mark: mark)
        else { return false }
        let (room, full) = cache.pointee.room.subtractingReportingOverflow(1)
        guard !full else { return false }
        // Last in, first out: the next block of its size handed out.
        ClassCache.push(cache, block, mark: mark, room: room)
        return true
    }

    @inline(never)
    static func freeSlow(_ pointer: UnsafeMutableRawPointer) -> Bool {
        switch locate(pointer) {
        case nil:
            return false
        case .small(let page, let block):
            if isFree(page, block) { return false }
            // A thread that frees before it ever allocated gets its heap here, so that its frees are cached too.
            let address = ThreadHeap.current.map { UInt(bitPattern: $0) } ?? HeapRegistry.heapOfThisThread()?.address ?? 0
            let heap = ThreadHeap(address), c = Int(page.pointee.sizeClass)
            if address != 0 && heap.classCache(c).pointee.limit > 0 {
                heap.withLock { heap.keep(block, c) }
            } else if page.pointee.heap == address {
                // The debug variant: each block goes home, where it is checked.
                heap.withLock { heap.freeLocalSlow(page, block) }
            } else {
                FreeBlock.push(block, before: 0)
                freeRemote(page, block, block)
            }
            return true
        case .large(let start):
            let lock = Extents.lock
            let held = lock.lock()
            defer { if held { lock.unlock() } }
            // Checked again under the lock: two threads may free the same block.
            guard Slices.tag(start) == Slices.Tag.largeBlock else { return false }
            Extents.freeLocked(start, Int(Slices.page(start).pointee.slices))
            return true
        }
    }

    /// Frees blocks into another heap's page (a run of them linked from
    /// `head` to `tail` and marked free): pushed on the page's remote list
    /// at once; the first push into a full page tells the owner.
    static func freeRemote(_ page: UnsafeMutablePointer<Page>, _ head: UInt, _ tail: UInt) {
        let remote = page.remoteFree
        var old = remote.pointee.load(ordering: .relaxed)
        while true {
            FreeBlock.setNext(tail, old & ~Page.RemoteState.mask)
            let state = old & Page.RemoteState.mask
            let desired = head | (state == Page.RemoteState.wantsNotice ? Page.RemoteState.noticed : state)
            let (exchanged, seen) = remote.pointee.compareExchange(expected: old, desired: desired, ordering: .releasing)
            if exchanged { break }
            old = seen
        }
        if old & Page.RemoteState.mask == Page.RemoteState.wantsNotice {
            ThreadHeap.notice(page, heap: page.pointee.heap)
        }
    }

    // MARK: - Size and resize

    /// Bytes the caller may use in the block at `pointer`; nil when it is not a block in use.
    static func usableSize(_ pointer: UnsafeMutableRawPointer) -> Int? {
        switch locate(pointer) {
        case nil:
            return nil
        case .small(let page, let block):
            if isFree(page, block) { return nil }
            return Int(page.pointee.blockSize)
        case .large(let start):
            return Int(Slices.page(start).pointee.slices) << Slices.shift
        }
    }

    enum Reallocation {
        case done(UnsafeMutableRawPointer)
        case outOfMemory
        case notABlock
    }

    /// A realloc that grows a block beyond this size gives a large block.
    static let growsLarge = 8 << 10

    /// Resizes the block at `pointer`, in place where it can; when the pool
    /// cannot hold the new size the block is left as it was.
    static func reallocate(_ pointer: UnsafeMutableRawPointer, to size: Int) -> Reallocation {
        var usable = 0
        let size = size >= 0 ? size : Int.max
        switch locate(pointer) {
        case nil:
            return .notABlock
        case .small(let page, let block):
            if isFree(page, block) { return .notABlock }
            usable = Int(page.pointee.blockSize)
            if size <= usable && size >= usable / 2 { return .done(pointer) }
        case .large(let start):
            usable = Int(Slices.page(start).pointee.slices) << Slices.shift
            if size > growsLarge, let resized = resizeLarge(start, to: size) {
                return resized ? .done(pointer) : .notABlock
            }
        }
        // A block that grows is likely to grow again (strings, vectors): a
        // quarter more room saves about two copies in three. Beyond
        // `growsLarge` it becomes a large block, which grows in place while
        // the slices after it are free: no copy, and no trail of blocks left
        // in the pages of every size class on the way.
        var target = size
        var large = false
        if size > usable && size > 256 {
            if size > growsLarge {
                large = true
            } else {
                target = size + size / 4 < growsLarge ? size + size / 4 : growsLarge
            }
        }
        var moved: UnsafeMutableRawPointer? = nil
        if large {
            // Without a free span, a block of a size class may still have room in a page.
            moved = allocateLarge(target, alignment: 16, zeroed: false)
            if moved == nil && target <= SizeClass.largestSize { moved = allocate(target, alignment: 16, zeroed: false) }
        } else if let fast = allocateFast(target, alignment: 16) {
            moved = fast
        } else {
            moved = allocate(target, alignment: 16, zeroed: false)
        }
        guard let moved else {
            // A block that need not grow stays where it is when there is no room to move it.
            return size <= usable ? .done(pointer) : .outOfMemory
        }
        memcpy(moved, pointer, usable < size ? usable : size)
        _ = free(pointer)
        return .done(moved)
    }

    /// Shrinks or grows a large block in place: true when done, false when it
    /// is no longer a large block (freed meanwhile), nil when it must move.
    private static func resizeLarge(_ start: Int, to size: Int) -> Bool? {
        guard size <= Int(Pool.length) else { return nil }
        let wanted = (size + Slices.size - 1) >> Slices.shift
        let lock = Extents.lock
        let held = lock.lock()
        defer { if held { lock.unlock() } }
        guard Slices.tag(start) == Slices.Tag.largeBlock else { return false }
        let page = Slices.page(start)
        let slices = Int(page.pointee.slices)
        if wanted == slices { return true }
        if wanted < slices {
            // Keep it unless it shrinks to less than half; then give back the tail.
            if wanted * 2 > slices { return true }
            page.pointee.slices = UInt32(wanted)
            Extents.freeLocked(start + wanted, slices - wanted)
            return true
        }
        guard Extents.growLocked(start, slices, to: wanted) else { return nil }
        Pool.reservation.markWritten(from: Slices.offset(start + slices), to: Slices.offset(start + wanted))
        page.pointee.requested = UInt(size)
        return true
    }

    // MARK: - Fork

    /// Holds the heap still across fork; false when the caller already did.
    static func prepareFork() -> Bool { HeapRegistry.lockAll() }

    static func parentAfterFork() { HeapRegistry.unlockAll() }

    /// The child has one thread: the locks are free and the other threads' heaps are abandoned.
    static func childAfterFork() { HeapRegistry.childAfterFork() }
}
