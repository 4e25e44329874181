/// The pool as a row of 16 KiB slices, with two tables in pool metadata that
/// say, for any address, what it belongs to in O(1):
///
/// - an entry of 8 bytes per slice: its tag (`Tag`, the first byte), which
///   says where small pages, large blocks and free spans start and how far an
///   inner slice of a small page is from its start; and, for a small page,
///   what the fast free checks a pointer against without reading the page's
///   descriptor: its size class and how far its blocks are carved (`SmallPageEntry`);
/// - a descriptor per slice (`Page`), used at the first slice of a page, of a
///   large block or of a free span (and at the last slice of a free span).
///
/// Both tables live in the sparse pool file; their file space is reserved
/// as the slices they describe come into use.
enum Slices {
    static let shift = 14
    static let size = 1 << shift

    enum Tag {
        /// Nothing a pointer may be freed at starts here: metadata, the inside
        /// of a free span or of a large block.
        static let none: UInt8 = 0
        static let largeBlock: UInt8 = 2
        static let freeSpanStart: UInt8 = 3
        static let freeSpanEnd: UInt8 = 4
        /// The first slice of a small page; `smallPage | k` is its k-th slice,
        /// so the bit says "a small page" and the rest how far back it starts.
        static let smallPage: UInt8 = 0x80
    }

    // Plain integers, so that globals need no lazy initialisation.
    nonisolated(unsafe) private(set) static var tagsAddress: UInt = 0
    nonisolated(unsafe) private(set) static var pagesAddress: UInt = 0
    /// The first slice holding blocks, and one past the last.
    nonisolated(unsafe) private(set) static var first = 0
    nonisolated(unsafe) private(set) static var end = 0

    /// Bytes of an entry of the first table.
    static let entrySize = 8

    /// Ends the block slices at `newEnd`: the slices above are metadata from
    /// now on (see `Extents.takeTopLocked`).
    static func lowerEnd(to newEnd: Int) { end = newEnd }

    /// Bytes of both tables for a pool of `slices` slices.
    static func tableBytes(slices: Int) -> Int { slices * entrySize + slices * MemoryLayout<Page>.stride }

    /// Places the tables at pool offset `tables`, then `areaBytes` of metadata
    /// for the caller (returned as a pool offset, 128-byte aligned); blocks
    /// start at the first slice after them. Nil when no slice is left for blocks.
    static func create(tables: Int, slices: Int, areaBytes: Int) -> Int? {
        // Tags first: small, so the tags of the first slices share the pool
        // start's granule, and a new pool touches as few granules as it can.
        tagsAddress = Pool.start + UInt(tables)
        pagesAddress = (tagsAddress + UInt(slices * entrySize) + 127) & ~127
        let area = (Int(pagesAddress - Pool.start) + slices * MemoryLayout<Page>.stride + 127) & ~127
        first = (area + areaBytes + size - 1) >> shift
        // Slice indices are kept in 32 bits: a pool of 64 TiB (the largest) leaves its last slice unused.
        end = slices < Int(UInt32.max) ? slices : Int(UInt32.max)
        return first < end ? area : nil
    }

    @inline(__always)
    static func index(of pointer: UnsafeRawPointer) -> Int {
        Int(bitPattern: (UInt(bitPattern: pointer) &- Pool.start) &>> UInt(shift))
    }

    /// Pool offset of slice `index`.
    @inline(__always)
    static func offset(_ index: Int) -> Int { index &<< shift }

    @inline(__always)
    static func address(_ index: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: Pool.start &+ UInt(bitPattern: index) &<< UInt(shift)).unsafelyUnwrapped
    }

    @inline(__always)
    static func tag(_ index: Int) -> UInt8 {
        UnsafePointer<UInt8>(bitPattern: tagsAddress).unsafelyUnwrapped[index &* entrySize]
    }

    /// The whole entry of slice `index` (the tag is its low byte).
    @inline(__always)
    static func entry(_ index: Int) -> UInt64 {
        UnsafePointer<UInt64>(bitPattern: tagsAddress).unsafelyUnwrapped[index]
    }

    @inline(__always)
    static func setEntry(_ index: Int, _ entry: UInt64) {
        UnsafeMutablePointer<UInt64>(bitPattern: tagsAddress).unsafelyUnwrapped[index] = entry
    }

    /// The small page whose slice `index` holds `address`: its first slice,
    /// the address's offset from the page's start, and the entry of the
    /// page's first slice (see `SmallPageEntry`). Nil when slice `index`
    /// belongs to no small page.
    @inline(__always)
    static func smallPage(at index: Int, _ address: UInt) -> (start: Int, offset: UInt, entry: UInt64)? {
        var entry = entry(index)
        let tag = UInt8(truncatingIfNeeded: entry)
        var start = index
        var offset = address & UInt(size - 1)
        if _slowPath(tag != Tag.smallPage) {
            // Another slice of a page (its tag says how many slices back the page starts), or no page at all.
            guard tag & Tag.smallPage != 0 else { return nil }
            let k = Int(tag & ~Tag.smallPage)
            start = index &- k
            offset = offset &+ UInt(bitPattern: k) &<< UInt(shift)
            entry = Self.entry(start)
        }
        return (start, offset, entry)
    }

    @inline(__always)
    static func setTag(_ index: Int, _ tag: UInt8) {
        UnsafeMutablePointer<UInt8>(bitPattern: tagsAddress).unsafelyUnwrapped[index &* entrySize] = tag
    }

    @inline(__always)
    static func page(_ index: Int) -> UnsafeMutablePointer<Page> {
        UnsafeMutablePointer<Page>(bitPattern: pagesAddress).unsafelyUnwrapped + index
    }

    @inline(__always)
    static func index(of page: UnsafeMutablePointer<Page>) -> Int {
        Int(bitPattern: (UInt(bitPattern: page) &- pagesAddress)) / MemoryLayout<Page>.stride
    }

    /// Reserves the file space of both tables' entries for slices [from, to).
    static func reserveTables(_ from: Int, _ to: Int) -> Bool {
        let stride = UInt(MemoryLayout<Page>.stride)
        let pages = pagesAddress &- Pool.start
        let tags = tagsAddress &- Pool.start
        let pagesFrom = Int(pages + UInt(from) * stride), pagesTo = Int(pages + UInt(to) * stride)
        let tagsFrom = Int(tags + UInt(from * entrySize)), tagsTo = Int(tags + UInt(to * entrySize))
        guard Pool.reservation.ensure(from: pagesFrom, to: pagesTo), Pool.reservation.ensure(from: tagsFrom, to: tagsTo)
        else { return false }
        // Metadata is data a copy of the pool must hold, whatever happens to its granule's reservation.
        Pool.reservation.markWritten(from: pagesFrom, to: pagesTo)
        Pool.reservation.markWritten(from: tagsFrom, to: tagsTo)
        return true
    }
}

/// The entry of a slice of a small page, beyond its tag: the size class in
/// the second byte and, in the entry of the page's first slice, the
/// `SizeClass.blockStartBound` of the blocks carved so far, in the high 32
/// bits.
/// The owner writes it when it creates the page and when it carves; the
/// fast free of any thread reads it.
enum SmallPageEntry {
    @inline(__always)
    static func make(tag: UInt8, sizeClass: Int, blockStartBound: UInt) -> UInt64 {
        UInt64(tag) | UInt64(UInt8(sizeClass)) << 8 | UInt64(UInt32(blockStartBound)) << 32
    }

    @inline(__always)
    static func sizeClass(_ entry: UInt64) -> Int { Int(truncatingIfNeeded: (entry &>> 8) & 0xff) }

    @inline(__always)
    static func blockStartBound(_ entry: UInt64) -> UInt { UInt(entry &>> 32) }
}
