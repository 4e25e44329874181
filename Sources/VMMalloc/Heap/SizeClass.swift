/// The block sizes small allocations are rounded up to.
///
/// Up to 128 bytes the classes are multiples of 16 (every block is 16-byte
/// aligned, as glibc's are). Above, each doubling is split into eight steps,
/// so a block is less than 12.5% larger than the request it serves. The
/// largest class is 8 KiB; bigger requests are large blocks (see `Extents`),
/// which go back to the pool-wide extents when freed and are reused by any size.
enum SizeClass {
    /// Number of classes; class 0 is unused.
    static let count = 57
    /// The largest small block.
    static let largestSize = 8 << 10

    /// The class serving a request of `size` bytes (1 ... largestSize; 0 counts as 1).
    @inline(__always)
    static func of(_ size: Int) -> Int {
        if size <= 128 { return ((size == 0 ? 1 : size) &+ 15) &>> 4 }
        let t = UInt(bitPattern: size &- 1)
        let k = (UInt.bitWidth &- 1) &- t.leadingZeroBitCount
        return 8 &+ (k &- 7) &* 8 &+ Int((t &>> UInt(k &- 3)) & 7) &+ 1
    }

    /// The block size of class `index`.
    static func size(_ index: Int) -> Int {
        if index <= 8 { return index &* 16 }
        let j = index &- 9
        let k = 7 &+ j &>> 3
        return (1 &<< k) &+ ((j & 7) &+ 1) &<< (k &- 3)
    }

    /// ⌊(2⁶⁴ - 1) / size⌋ + 1 for the block size of class `index`: an offset
    /// of less than 2²⁰ bytes times it has, in its high word, the offset
    /// divided by the block size (exact for a power of two too).
    static func reciprocal(_ index: Int) -> UInt { UInt.max / UInt(size(index)) &+ 1 }

    /// Whether `offset` (below 2³²) is a multiple of the block size whose
    /// `reciprocal` is given: one multiplication, no division. The low word
    /// of offset × ⌈2⁶⁴ / size⌉ is below ⌈2⁶⁴ / size⌉ exactly for multiples
    /// (Lemire, Kaser and Kurz, "Faster remainder by direct computation",
    /// 2019). Tests/Programs/interior.c frees every 8-byte step inside blocks
    /// of every class.
    @inline(__always)
    static func isMultiple(_ offset: UInt, reciprocal: UInt) -> Bool {
        offset &* reciprocal <= reciprocal &- 1
    }

    /// The class serving a request of `size` bytes aligned to `alignment` (a
    /// power of two); nil when it is a large block.
    @inline(__always)
    static func forRequest(_ size: Int, alignment: Int) -> Int? {
        guard UInt(bitPattern: size) <= UInt(largestSize) else { return nil }
        return alignment <= 16 ? of(size) : aligned(size, alignment)
    }

    /// The smallest class of at least `size` bytes whose blocks are all
    /// aligned to `alignment` (a power of two, at most a slice): its block size
    /// is a multiple of the alignment, and pages start on slice boundaries.
    /// That is the class of the request rounded up to the alignment: a class
    /// size is a multiple of its doubling's step (16 up to 256 bytes, then an
    /// eighth of the power of two below), so either the rounded size is a
    /// class size itself, or the step exceeds the alignment and every class
    /// of that doubling is a multiple of it.
    static func aligned(_ size: Int, _ alignment: Int) -> Int? {
        let target = size < alignment ? alignment : size
        let rounded = (target &+ alignment &- 1) & ~(alignment &- 1)
        return rounded <= largestSize ? of(rounded) : nil
    }

    /// Slices of a page of class `index`: one for blocks up to an eighth of a
    /// slice, else enough for eight blocks.
    static func pageSlices(_ index: Int) -> Int {
        let bytes = size(index)
        if bytes <= Slices.size / 8 { return 1 }
        return (bytes * 8 + Slices.size - 1) >> Slices.shift
    }
}
