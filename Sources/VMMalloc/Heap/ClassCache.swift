/// The per-class state of a heap the fast paths use, on half a cache line:
/// the cache of blocks the thread freed (a list linked through the blocks,
/// last in first out), the current page, what a free checks a pointer
/// against, and the countdown to the next slow-path malloc. Malloc and free
/// of a cached block touch this line and the block, nothing else of the
/// heap. A cached block carries `FreeBlock.kept` of its mark, so that any
/// thread refuses it as already free.
struct ClassCache {
    /// The most recently freed cached block, or 0.
    var head: UInt = 0
    /// The page the class allocates from when the cache is empty.
    var page: UInt = 0
    /// ⌊2⁶⁴ / blockSize⌋ + 1 (see `Page.reciprocal`).
    var reciprocal: UInt = 0
    /// Blocks the cache may still take: `limit` less those it holds.
    var room: UInt16 = 0
    /// Blocks the cache holds at most (0: no caching).
    var limit: UInt16 = 0
    /// Fast-path mallocs of the class left before one takes the slow path
    /// (see `ThreadHeap.spend`).
    var budget: UInt32 = 0

    /// Blocks the cache holds.
    var count: Int { Int(limit) - Int(room) }

    static let stride = 32

    /// Blocks of `size` bytes a cache holds: 32 KiB of them, from 8 to 512
    /// blocks; of blocks above 8 KiB, 2 to 4 (at most 128 KiB).
    static func limit(_ size: Int) -> Int {
        let blocks = (32 << 10) / size
        let least = size > 8 << 10 ? 2 : 8
        return blocks < least ? least : blocks > 512 ? 512 : blocks
    }

    /// Lets an empty cache hold its class's `limit` of blocks of `size` bytes.
    static func open(_ cache: UnsafeMutablePointer<ClassCache>, blockSize size: Int) {
        cache.pointee.limit = UInt16(limit(size))
        cache.pointee.room = cache.pointee.limit
    }

    /// Pushes `block` (its free `mark` given); the cache must have room.
    @inline(__always)
    static func push(_ cache: UnsafeMutablePointer<ClassCache>, _ block: UInt, mark: UInt) {
        push(cache, block, mark: mark, room: cache.pointee.room &- 1)
    }

    /// `push` with the room left after it already computed.
    @inline(__always)
    static func push(_ cache: UnsafeMutablePointer<ClassCache>, _ block: UInt, mark: UInt, room: UInt16) {
        FreeBlock.push(block, before: cache.pointee.head, mark: FreeBlock.kept(mark))
        cache.pointee.head = block
        cache.pointee.room = room
    }

    @inline(__always)
    static func pop(_ cache: UnsafeMutablePointer<ClassCache>) -> UInt {
        let block = cache.pointee.head
        vmmAssert(FreeBlock.looksKept(block), "a cached block is not marked free (written after free?)",
                  UnsafeRawPointer(bitPattern: block))
        cache.pointee.head = FreeBlock.next(block)
        cache.pointee.room &+= 1
        FreeBlock.unmark(block)
        return block
    }
}

/// How a heap fills and drains its class caches: a free keeps the block in
/// the freeing thread's cache; blocks go back to their pages a page's run
/// at a time.
extension ThreadHeap {
    /// While the heap shares the orphan heap's pages for class `c`, its
    /// thread's frees of the class go straight back to their pages instead of
    /// its cache: a thread that uses a few blocks of many classes and then
    /// waits (and runs no heartbeat) keeps none of them from other threads
    /// in a crowded pool. The caller holds the heap's lock.
    func stopCaching(_ c: Int) {
        let cache = classCache(c)
        guard cache.pointee.limit != 0 else { return }
        flush(c, keeping: 0)
        cache.pointee.limit = 0
        cache.pointee.room = 0
    }

    /// Caching again, once the heap has a page of class `c` of its own (the
    /// cache is empty: it held nothing while it did not cache).
    func resumeCaching(_ c: Int) {
        let cache = classCache(c)
        guard cache.pointee.limit == 0, address != HeapRegistry.orphanHeap, !Variant.isDebug else { return }
        ClassCache.open(cache, blockSize: SizeClass.size(c))
    }

    /// Keeps `block`, of class `c`, freed by this heap's thread, in the
    /// class's cache, after giving half of a full cache back to the pages.
    func keep(_ block: UInt, _ c: Int) {
        let cache = classCache(c)
        if cache.pointee.room == 0 { flush(c, keeping: Int(cache.pointee.limit) / 2) }
        ClassCache.push(cache, block, mark: FreeBlock.mark(block))
    }

    /// Gives blocks of the cache of class `c` back to their pages until
    /// `keeping` are left: to this heap's pages directly, to other heaps'
    /// through their remote lists, a page's run of blocks at a time. The
    /// blocks given back are the first on the list, the most recently freed:
    /// taking them touches no block but those given back.
    func flush(_ c: Int, keeping: Int) {
        let cache = classCache(c)
        var left = cache.pointee.count - keeping
        guard left > 0 else { return }
        var block = cache.pointee.head
        cache.pointee.room = cache.pointee.limit &- UInt16(keeping)
        // A run: blocks of one page, linked from head to tail.
        var runPage: UnsafeMutablePointer<Page>? = nil
        var head: UInt = 0, tail: UInt = 0
        var count: UInt32 = 0
        while left > 0 {
            left -= 1
            let next = FreeBlock.next(block)
            let (start, _, _) = Slices.smallPage(at: Slices.index(of: UnsafeRawPointer(bitPattern: block).unsafelyUnwrapped), block)
                .unsafelyUnwrapped
            let page = Slices.page(start)
            if page != runPage {
                if let runPage { giveBack(runPage, head, tail, count) }
                runPage = page
                head = 0
                tail = block
                count = 0
            }
            FreeBlock.push(block, before: head)
            head = block
            count &+= 1
            block = next
        }
        cache.pointee.head = block
        if let runPage { giveBack(runPage, head, tail, count) }
    }

    /// Returns a run of blocks to `page`: its free list if this heap owns it, else its remote list.
    /// One of this heap's pages left empty goes back at once, unless it is
    /// the current page of its class: a thread that frees everything and
    /// then waits (and so runs no heartbeat) does not sit on empty pages
    /// other threads could use. (A 1-slice page goes to the spares first,
    /// so a page that empties and fills again does not go through the extents.)
    private func giveBack(_ page: UnsafeMutablePointer<Page>, _ head: UInt, _ tail: UInt, _ count: UInt32) {
        guard page.pointee.heap == address else { return Heap.freeRemote(page, head, tail) }
        returnLocal(page, head, tail, count)
        if page.pointee.used == 0 && currentPage(Int(page.pointee.sizeClass)) != page {
            release(page, Slices.index(of: page))
        }
    }

    /// Gives every cached block back to its page.
    func flushCaches() {
        for c in 1..<SizeClass.count where classCache(c).pointee.count > 0 { flush(c, keeping: 0) }
    }

    /// Blocks in the caches, by class (statistics).
    func forEachCached(_ body: (_ c: Int, _ blocks: Int) -> Void) {
        for c in 1..<SizeClass.count where classCache(c).pointee.count > 0 { body(c, classCache(c).pointee.count) }
    }
}
