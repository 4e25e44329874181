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

// The current heap (one lock, boundary tags) has no size classes. It reports
// the exact block sizes of its exact-fit bins, 32 to 1024 bytes in steps of 16,
// as the classes; bigger blocks below 2 MiB are large, the rest huge. It does
// not know which threads allocated.
//
// Its state (Heap.swift) is private to that file; this walk reads the first
// words of the pool metadata where Heap.create put it, in the order `State`
// declares them, and checks them before trusting them.
extension Heap {
    private static let largestClass = 1024
    private static let classStep = 16
    private static let classCount = 1024 / 16 + 1

    /// Walks the heap under its lock and returns what it found. Afterwards,
    /// with the lock released, calls `sizeClass` once per size class that has
    /// blocks in use, in increasing block size: the block size, the blocks in
    /// use, and the pages (of `Platform.pageSize`) that hold at least one of them.
    static func collectStatistics(sizeClass: (_ blockSize: Int, _ blocksInUse: Int, _ pagesHeld: Int) -> Void)
        -> HeapStatistics {
        var statistics = HeapStatistics(hugeSize: 2 << 20)
        var blocks = InlineArray<65, Int>(repeating: 0)
        var pages = InlineArray<65, Int>(repeating: 0)
        var lastPage = InlineArray<65, Int>(repeating: -1)
        let pageShift = Platform.pageSize.trailingZeroBitCount

        let held = lock.lock()
        let metadata = Pool.base
        let start = metadata.load(fromByteOffset: 8, as: UnsafeMutableRawPointer.self)
        let top = metadata.load(fromByteOffset: 16, as: UnsafeMutableRawPointer.self)
        let end = metadata.load(fromByteOffset: 24, as: UnsafeMutableRawPointer.self)
        if start > metadata && start <= top && top <= end && end == metadata + Int(Pool.length) {
            statistics.freeBytes = end - top
            statistics.largestFreeExtent = end - top
            var block = Block(start)
            while block.address < top && block.size >= Block.minimumSize {
                let size = block.size
                if !block.isInUse {
                    statistics.freeBytes += size
                    if size > statistics.largestFreeExtent { statistics.largestFreeExtent = size }
                } else {
                    statistics.blocksInUse += 1
                    statistics.bytesInUse += size - Block.headerSize
                    if size <= largestClass {
                        let index = size / classStep
                        let first = UInt(bitPattern: block.address) >> pageShift
                        let last = (UInt(bitPattern: block.end) - 1) >> pageShift
                        blocks[index] += 1
                        pages[index] += Int(last - first) + (Int(first) == lastPage[index] ? 0 : 1)
                        lastPage[index] = Int(last)
                    } else if size < statistics.hugeSize {
                        statistics.largeBlocks += 1
                        statistics.largeBytes += size
                    } else {
                        statistics.hugeBlocks += 1
                        statistics.hugeBytes += size
                    }
                }
                block = block.next
            }
        }
        if held { lock.unlock() }

        for index in 0..<classCount where blocks[index] > 0 {
            sizeClass(index * classStep, blocks[index], pages[index])
        }
        return statistics
    }
}
