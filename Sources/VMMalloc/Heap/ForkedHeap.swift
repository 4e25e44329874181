/// The heap of a thread that did not survive a fork, as the child finds it.
///
/// Fork holds every heap's lock, so no slow path is halfway through a heap.
/// The fast paths take no lock, though, and other threads keep running them
/// while the pool is copied for the child: in modes 2 and 3 the copy of the
/// file takes a while, and even the copy-on-write snapshot of mode 1 is taken
/// a page at a time. A class cache or a current page may therefore reach the
/// child torn: a cache head copied before a pop and the block copied after
/// the program wrote into it, a count that disagrees with its list. What the
/// fast paths change is exactly this: each class cache (head, room, the
/// cached blocks' links) and each current page's free list and count of
/// blocks in use. The child trusts none of it.
extension ThreadHeap {
    /// Drops what the fast paths of this heap's (vanished) thread were
    /// changing: every class cache becomes empty, and every current page
    /// counts all its carved blocks as in use and has no free list. No block
    /// can then be handed out twice; what the caches and those free lists
    /// held is lost to this process (at most a cache's 32 KiB and part of a
    /// page, per class). Blocks not yet carved, the remote frees (only slow
    /// paths make them) and every other page stay as they were. Called once,
    /// by the thread that takes the heap off the abandoned queue.
    func forgetFastPathState() {
        for c in 1..<SizeClass.count {
            let cache = classCache(c)
            cache.pointee.head = 0
            cache.pointee.room = cache.pointee.limit
            let page = currentPage(c)
            if UInt(bitPattern: page) == HeapRegistry.sentinelPage { continue }
            page.pointee.free = 0
            page.pointee.used = page.pointee.carved
        }
    }
}
