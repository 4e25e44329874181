import VMMallocShim

/// Which granules of the pool file have their space reserved.
///
/// The pool file is sparse. Before the heap hands out (or writes metadata
/// into) a range, the file blocks under it are allocated with fallocate, one
/// granule (2 MiB, or the huge page size) at a time as the heap first reaches
/// it. A full file system then shows up as ENOMEM from malloc instead of a
/// SIGBUS on a later store, and a huge pool costs nothing until it is used.
/// Granules once reserved stay reserved; the bitmap lives in the pool.
/// (How a run of granules is reserved is the backing file's business.)
struct SpaceReservation {
    /// The reservation granule for a file system of the given page size.
    static func granule(forPageSize pageSize: Int) -> Int {
        pageSize > 2 << 20 ? pageSize : 2 << 20
    }

    /// Bytes of bitmap needed for a pool of `poolSize` bytes.
    static func bitmapBytes(poolSize: Int, granule: Int) -> Int {
        let granules = (poolSize + granule - 1) / granule
        return (granules + 63) / 64 * 8
    }

    // Plain integers, so that the global holding this needs no lazy initialisation.
    private var bitmapAddress: UInt = 0
    private var poolAddress: UInt = 0
    private var granuleShift = 21
    private var poolSize = 0

    /// An empty reservation, before the pool exists.
    init() {}

    init(pool: UnsafeMutableRawPointer, bitmap: UnsafeMutableRawPointer, granule: Int, poolSize: Int) {
        self.poolAddress = UInt(bitPattern: pool)
        self.bitmapAddress = UInt(bitPattern: bitmap)
        self.granuleShift = granule.trailingZeroBitCount
        self.poolSize = poolSize
    }

    private var bitmap: UnsafeMutablePointer<UInt64> {
        UnsafeMutablePointer(bitPattern: bitmapAddress).unsafelyUnwrapped
    }

    private var granule: Int { 1 << granuleShift }

    @inline(__always)
    private func isReserved(_ index: Int) -> Bool {
        bitmap[index &>> 6] & (1 &<< UInt64(index & 63)) != 0
    }

    /// Reserves the file space under pool offsets [from, to); false when the
    /// file system has no room for it.
    /// (Mutating only so that callers work on the global in place, not on a copy.)
    @inline(__always)
    mutating func ensure(from: Int, to: Int) -> Bool {
        let first = from &>> granuleShift
        let last = (to &- 1) &>> granuleShift
        if isReserved(first) && isReserved(last) && last &- first <= 1 { return true }
        return reserveSlow(first: first, last: last)
    }

    @inline(never)
    private mutating func reserveSlow(first: Int, last: Int) -> Bool {
        // fstat and madvise may set errno; a call that succeeds must leave it alone.
        let savedErrno = vmm_errno()
        defer { vmm_set_errno(savedErrno) }
        var index = first
        while index <= last {
            if isReserved(index) {
                index += 1
                continue
            }
            var end = index + 1
            while end <= last && !isReserved(end) { end += 1 }
            let offset = index << granuleShift
            let limit = end << granuleShift
            let mapping = UnsafeMutableRawPointer(bitPattern: poolAddress).unsafelyUnwrapped
            let length = (limit < poolSize ? limit : poolSize) - offset
            if Log.isOn(.calls) {
                var line = Log.start(.calls)
                line.append("reserving file space at offset ")
                line.append(offset)
                line.append(", ")
                line.append(length)
                line.append(" bytes")
                Log.write(&line)
            }
            if !Pool.file.reserve(offset: offset, length: length, mapping: mapping) { return false }
            for marked in index..<end {
                bitmap[marked >> 6] |= 1 << UInt64(marked & 63)
            }
            index = end
        }
        return true
    }

    /// Calls `body` with each run of reserved granules, as pool offsets [start, end).
    func forEachReservedRun(_ body: (Int, Int) -> Bool) -> Bool {
        let granules = (poolSize + granule - 1) >> granuleShift
        var index = 0
        while index < granules {
            if !isReserved(index) {
                index += 1
                continue
            }
            var end = index + 1
            while end < granules && isReserved(end) { end += 1 }
            let limit = end << granuleShift
            if !body(index << granuleShift, limit < poolSize ? limit : poolSize) { return false }
            index = end
        }
        return true
    }

    /// Bytes reserved so far.
    var reservedBytes: Int {
        var total = 0
        _ = forEachReservedRun { start, end in
            total += end - start
            return true
        }
        return total
    }
}
