/// Every figure the library reports about its pool, gathered at one moment:
/// what the summary at exit, malloc_stats, malloc_info, mallinfo2 and
/// vmmalloc_stats_get say.
///
/// Gathering walks the metadata (`Heap.collectStatistics`) and takes the
/// extents' lock for a moment; nothing is written while it runs, so a report
/// may then go through the C library's stdio (malloc_info), which may
/// allocate, without any lock of the heap held.
struct Figures {
    var heap = HeapStatistics()
    /// Blocks in use and slices of pages held, by size class (index 0 unused).
    var classBlocks = InlineArray<81, Int>(repeating: 0)
    var classSlices = InlineArray<81, Int>(repeating: 0)
    /// Size classes with blocks in use.
    var classesInUse = 0
    /// Allocations refused with ENOMEM by this process.
    var refused = 0
    /// Forks of this process, nil when no fork handler counts them (VMMALLOC_FORK=0).
    var forks: Int?
    /// The most bytes handed out at once, nil in the release variant (not tracked).
    var handedOutPeak: Int?

    /// The figures now. The pool exists.
    static func gather() -> Figures {
        var figures = Figures()
        var blocks = InlineArray<81, Int>(repeating: 0)
        var slices = InlineArray<81, Int>(repeating: 0)
        var classes = 0
        figures.heap = Heap.collectStatistics { blockSize, blocksInUse, pagesHeld in
            let c = SizeClass.of(blockSize)
            blocks[c] = blocksInUse
            slices[c] = pagesHeld
            classes += 1
        }
        figures.classBlocks = blocks
        figures.classSlices = slices
        figures.classesInUse = classes
        figures.refused = Usage.refusals
        figures.forks = Pool.configuration.forkMode == .shared ? nil : Usage.forks
        figures.handedOutPeak = Usage.peakBytes
        return figures
    }

    /// Calls `body` for every size class with blocks in use, in increasing
    /// block size: the block size, the blocks in use, the slices of its pages.
    func forEachClass(_ body: (_ blockSize: Int, _ blocks: Int, _ slices: Int) -> Void) {
        for c in 1..<SizeClass.count where classBlocks[c] > 0 {
            body(SizeClass.size(c), classBlocks[c], classSlices[c])
        }
    }
}
