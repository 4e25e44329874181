/// The block sizes small allocations are rounded up to.
///
/// Up to 128 bytes the classes are multiples of 16 (every block is 16-byte
/// aligned, as glibc's are). Above, each doubling is split into eight steps,
/// so a block is less than 12.5% larger than the request it serves. The
/// largest class is 64 KiB; bigger requests are large blocks (see `Extents`),
/// which go back to the pool-wide extents when freed and are reused by any size.
/// (Large blocks are whole 16 KiB slices: served so, a 9 KiB request would
/// take 16 KiB and one of 17 KiB 32 KiB. Above 64 KiB a slice is at most a
/// fifth of the block, and above 128 KiB at most an eighth.)
enum SizeClass {
    /// Number of classes; class 0 is unused.
    static let count = 81
    /// The largest small block.
    static let largestSize = 64 << 10

    /// The class serving a request of `size` bytes (1 ... largestSize; 0 counts as 1).
    @inline(__always)
    static func of(_ size: Int) -> Int {
        if size <= 128 { return ((size == 0 ? 1 : size) &+ 15) &>> 4 }
        let t = UInt(bitPattern: size &- 1)
        let k = (UInt.bitWidth &- 1) &- t.leadingZeroBitCount
        return 8 &+ (k &- 7) &* 8 &+ Int((t &>> UInt(k &- 3)) & 7) &+ 1
    }

    /// Requests up to this size find their class in `table`.
    static let tableLimit = 1024

    /// The class of every request up to `tableLimit` bytes, by ⌈size / 16⌉
    /// (every class boundary up there is a multiple of 16): one load instead
    /// of `of`'s branches. Filled by `fillTable` before the pool has a heap,
    /// so before any fast path can use it. (Integers, so that the global
    /// needs no lazy initialisation.)
    nonisolated(unsafe) private static var table: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0)

    static func fillTable() {
        withUnsafeMutableBytes(of: &table) { bytes in
            for i in 0...(tableLimit >> 4) { bytes[i] = UInt8(of(i << 4)) }
        }
    }

    /// The block size of class `index`.
    static func size(_ index: Int) -> Int {
        if index <= 8 { return index &* 16 }
        let j = index &- 9
        let k = 7 &+ j &>> 3
        return (1 &<< k) &+ ((j & 7) &+ 1) &<< (k &- 3)
    }

    /// r = ⌊2⁶⁴ / size⌋ + 1 for the block size of class `index`. An offset
    /// of less than 2²⁰ bytes times r has, in its high word, the offset
    /// divided by the block size (a multiplication, no division).
    static func reciprocal(_ index: Int) -> UInt {
        let size = UInt(size(index))
        // ⌊(2⁶⁴ - 1) / size⌋ is one short of ⌊2⁶⁴ / size⌋ exactly when size divides 2⁶⁴.
        let short: UInt = UInt.max % size == size &- 1 ? 1 : 0
        return UInt.max / size &+ short &+ 1
    }

    /// The bound that tells, with one multiplication and one comparison,
    /// whether an offset into a page is the start of one of its first
    /// `blocks` blocks: `offset &* reciprocal < bound`.
    ///
    /// With r = `reciprocal` and e = r × size − 2⁶⁴ (1 ≤ e ≤ size), the
    /// offset k × size + j (0 ≤ j < size) times r is, modulo 2⁶⁴, k × e + j × r
    /// (Lemire, Kaser and Kurz, "Faster remainder by direct computation",
    /// 2019). For a block start (j = 0) that is k × e, below blocks × e
    /// exactly when k < blocks; for any other offset it is at least r, which
    /// is above every bound (offsets and bounds are below 2²⁰, r above 2⁵⁰).
    /// Tests/Programs/interior.c frees every 8-byte step inside blocks of
    /// every class, and beyond the blocks carved so far.
    @inline(__always)
    static func blockStartBound(blocks: UInt, reciprocal: UInt, size: UInt) -> UInt {
        blocks &* (reciprocal &* size)
    }

    /// The class serving a request of `size` bytes aligned to `alignment` (a
    /// power of two); nil when it is a large block.
    @inline(__always)
    static func forRequest(_ size: Int, alignment: Int) -> Int? {
        if _fastPath(alignment <= 16 && UInt(bitPattern: size) <= UInt(tableLimit)) {
            return withUnsafeMutableBytes(of: &table) { Int($0[(size &+ 15) &>> 4]) }
        }
        guard UInt(bitPattern: size) <= UInt(largestSize) else { return nil }
        return alignment <= 16 ? of(size) : aligned(size, alignment)
    }

    /// The smallest class of at least `size` bytes whose blocks are all
    /// aligned to `alignment` (a power of two; nil above a slice): its block
    /// size is a multiple of the alignment, and pages start on slice boundaries.
    /// That is the class of the request rounded up to the alignment: a class
    /// size is a multiple of its doubling's step (16 up to 256 bytes, then an
    /// eighth of the power of two below), so either the rounded size is a
    /// class size itself, or the step exceeds the alignment and every class
    /// of that doubling is a multiple of it.
    static func aligned(_ size: Int, _ alignment: Int) -> Int? {
        // A page starts on a slice boundary: that is all the alignment its blocks can count on.
        guard alignment <= Slices.size else { return nil }
        let target = size < alignment ? alignment : size
        let rounded = (target &+ alignment &- 1) & ~(alignment &- 1)
        return rounded <= largestSize ? of(rounded) : nil
    }

    /// Slices of a page of class `index`: one for blocks up to an eighth of a
    /// slice, enough for eight blocks up to 8 KiB; above, the fewest slices
    /// that hold two blocks and leave less than an eighth of the page over
    /// (at most 8 slices, 128 KiB). Every thread that uses a class holds a
    /// page of it, and a page's file space is reserved whole: eight blocks of
    /// 60 KiB would cost each of 200 threads holding one such block 480 KiB.
    static func pageSlices(_ index: Int) -> Int {
        let bytes = size(index)
        if bytes <= Slices.size / 8 { return 1 }
        if bytes <= 8 << 10 { return (bytes * 8 + Slices.size - 1) >> Slices.shift }
        var slices = (bytes * 2 + Slices.size - 1) >> Slices.shift
        while (slices << Slices.shift) % bytes > (slices << Slices.shift) / 8 { slices += 1 }
        return slices
    }
}
