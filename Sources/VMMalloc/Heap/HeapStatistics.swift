import Synchronization

/// What the heap's metadata says about its use: the numbers of the summary
/// printed at exit (VMMALLOC_LOG_STATS, see Diagnostics/Statistics.swift).
///
/// This is the whole interface between the heap and the statistics: one
/// function, `Heap.collectStatistics`, that walks the metadata when asked and
/// costs the allocation paths nothing. Any heap core implements it; the
/// numbers it cannot know stay nil and the report says so.
struct HeapStatistics {
    /// Blocks handed out and not freed.
    var blocksInUse = 0
    /// What the program may use of them: the sum of their usable sizes.
    var bytesInUse = 0
    /// Bytes of the pool free for new blocks, and the largest run of them.
    var freeBytes = 0
    var largestFreeExtent = 0
    /// Free runs of slices (the top of the pool one of them), and the bytes of the top one.
    var freeExtents = 0
    var topFreeBytes = 0
    /// Bytes of the pool in use (metadata, pages, large blocks), now and at
    /// the most ever (the high-water mark, kept by the extents).
    var poolInUse = 0
    var poolInUsePeak = 0
    /// Of the pool in use, what comes before the first slice of blocks: the
    /// slice tables (sized for the whole pool), the first thread heaps.
    var metadataBytes = 0
    /// Blocks above the largest size class and below `hugeSize`: count and bytes (block sizes).
    var largeBlocks = 0
    var largeBytes = 0
    /// Blocks of `hugeSize` bytes or more: count and bytes.
    var hugeBlocks = 0
    var hugeBytes = 0
    /// The block size from which a block counts as huge.
    var hugeSize = 0
    /// Threads that allocated from the heap, nil where the heap does not know.
    var threadCount: Int?
}

// Small blocks: every heap's pages (the orphan heap's too), by size class;
// a page's blocks in use are those handed out less those freed, counting the
// remote frees its owner has not collected yet. Large blocks: the spans
// tagged as such, found by walking the slices span by span.
extension Heap {
    /// Walks the heap metadata and returns what it found; calls `sizeClass`
    /// once per size class that has blocks in use, in increasing block size:
    /// the block size, the blocks in use, and the pages (in 16 KiB slices) that
    /// hold them. Other threads may still run: the numbers are a snapshot.
    static func collectStatistics(sizeClass: (_ blockSize: Int, _ blocksInUse: Int, _ pagesHeld: Int) -> Void)
        -> HeapStatistics {
        var statistics = HeapStatistics(hugeSize: Pool.reservation.granule)
        // One entry per size class (`SizeClass.count`, which a generic argument cannot name).
        var blocks = InlineArray<81, Int>(repeating: 0)
        var pages = InlineArray<81, Int>(repeating: 0)
        HeapRegistry.forEachHeap { heap in
            heap.forEachPage { page in
                var remote = page.remoteFree.pointee.load(ordering: .acquiring) & ~Page.RemoteState.mask
                var pending = 0
                while remote != 0 && pending <= Int(page.pointee.capacity) {
                    pending += 1
                    remote = FreeBlock.next(remote)
                }
                let inUse = Int(page.pointee.used) - pending
                let c = Int(page.pointee.sizeClass)
                guard c > 0 && c < SizeClass.count else { return }
                pages[c] += Int(page.pointee.slices)
                if inUse > 0 {
                    blocks[c] += inUse
                    statistics.blocksInUse += inUse
                    statistics.bytesInUse += inUse * Int(page.pointee.blockSize)
                }
            }
            // Blocks in a thread's caches are free, though their pages count them as handed out.
            heap.forEachCached { c, cached in
                blocks[c] -= cached
                statistics.blocksInUse -= cached
                statistics.bytesInUse -= cached * SizeClass.size(c)
            }
        }
        statistics.threadCount = HeapRegistry.threadCount

        let lock = Extents.lock
        let held = lock.lock()
        let free = Extents.freeSlicesLocked()
        statistics.freeBytes = free.total << Slices.shift
        statistics.largestFreeExtent = free.longest << Slices.shift
        statistics.freeExtents = free.spans
        statistics.topFreeBytes = free.top << Slices.shift
        let inUse = Extents.poolInUseLocked()
        statistics.poolInUse = inUse.now
        statistics.poolInUsePeak = inUse.peak
        statistics.metadataBytes = Slices.first << Slices.shift
        var index = Slices.first
        while index < Extents.wilderness {
            let tag = Slices.tag(index)
            let length = Int(Slices.page(index).pointee.slices)
            if tag == Slices.Tag.largeBlock {
                let bytes = length << Slices.shift
                statistics.blocksInUse += 1
                statistics.bytesInUse += bytes
                if bytes < statistics.hugeSize {
                    statistics.largeBlocks += 1
                    statistics.largeBytes += bytes
                } else {
                    statistics.hugeBlocks += 1
                    statistics.hugeBytes += bytes
                }
            }
            let isSpan = tag == Slices.Tag.largeBlock || tag == Slices.Tag.freeSpanStart || tag == Slices.Tag.smallPage
            index += isSpan && length > 0 ? length : 1
        }
        if held { lock.unlock() }

        for c in 1..<SizeClass.count where blocks[c] > 0 {
            sizeClass(SizeClass.size(c), blocks[c], pages[c])
        }
        return statistics
    }
}
