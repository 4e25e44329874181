import Synchronization
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
///
/// A second bitmap says which granules may have been written since they were
/// last known to be zero (at creation, or when their space was given back):
/// calloc need not clear memory in granules never written.
struct SpaceReservation {
    /// The reservation granule for a file system of the given page size.
    static func granule(forPageSize pageSize: Int) -> Int {
        pageSize > 2 << 20 ? pageSize : 2 << 20
    }

    /// Bytes of both bitmaps for a pool of `poolSize` bytes.
    static func bitmapBytes(poolSize: Int, granule: Int) -> Int {
        let granules = (poolSize + granule - 1) / granule
        return (granules + 63) / 64 * 8 * 2
    }

    // Plain integers, so that the global holding this needs no lazy initialisation.
    private var bitmapAddress: UInt = 0
    private var writtenAddress: UInt = 0
    private var poolAddress: UInt = 0
    private var granuleShift = 21
    private var poolSize = 0

    /// An empty reservation, before the pool exists.
    init() {}

    init(pool: UnsafeMutableRawPointer, bitmap: UnsafeMutableRawPointer, granule: Int, poolSize: Int) {
        self.poolAddress = UInt(bitPattern: pool)
        self.bitmapAddress = UInt(bitPattern: bitmap)
        self.writtenAddress = bitmapAddress + UInt(Self.bitmapBytes(poolSize: poolSize, granule: granule) / 2)
        self.granuleShift = granule.trailingZeroBitCount
        self.poolSize = poolSize
    }

    private var bitmap: UnsafeMutablePointer<UInt64> {
        UnsafeMutablePointer(bitPattern: bitmapAddress).unsafelyUnwrapped
    }

    var granule: Int { 1 << granuleShift }

    /// Marked by any thread without a lock, hence atomic.
    private var written: UnsafeMutablePointer<Atomic<UInt64>> {
        UnsafeMutablePointer(bitPattern: writtenAddress).unsafelyUnwrapped
    }

    @inline(__always)
    private func isReserved(_ index: Int) -> Bool {
        bitmap[index &>> 6] & (1 &<< UInt64(index & 63)) != 0
    }

    private func isWritten(_ index: Int) -> Bool {
        written[index &>> 6].load(ordering: .relaxed) & (1 &<< UInt64(index & 63)) != 0
    }

    /// Calls `body` with each run [start, end) of granules in [first, end)
    /// for which `test` holds, until `body` returns false (then false).
    private func forEachRun(_ first: Int, _ end: Int, where test: (Int) -> Bool,
                            _ body: (Int, Int) -> Bool) -> Bool {
        var index = first
        while index < end {
            guard test(index) else {
                index += 1
                continue
            }
            var runEnd = index + 1
            while runEnd < end && test(runEnd) { runEnd += 1 }
            if !body(index, runEnd) { return false }
            index = runEnd
        }
        return true
    }

    /// The pool offset where granule `end` starts, clipped to the pool size.
    private func clippedOffset(_ end: Int) -> Int {
        let limit = end << granuleShift
        return limit < poolSize ? limit : poolSize
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
    private func reserveSlow(first: Int, last: Int) -> Bool {
        // fstat and madvise may set errno; a call that succeeds must leave it alone.
        let savedErrno = vmm_errno()
        defer { vmm_set_errno(savedErrno) }
        let mapping = UnsafeMutableRawPointer(bitPattern: poolAddress).unsafelyUnwrapped
        let reserved = forEachRun(first, last + 1, where: { !isReserved($0) }) { index, end in
            let offset = index << granuleShift
            let length = clippedOffset(end) - offset
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
            return true
        }
        return reserved
    }

    /// Whether granule `index` may hold data: reserved, or written since it
    /// was last known zero (a granule given back in part is no longer
    /// reserved, but its other part may hold blocks).
    private func mayHoldData(_ index: Int) -> Bool {
        isReserved(index) || isWritten(index)
    }

    /// Calls `body` with each run of granules that may hold data, as pool
    /// offsets [start, end): what a copy of the pool must hold.
    func forEachHeldRun(_ body: (Int, Int) -> Bool) -> Bool {
        let granules = (poolSize + granule - 1) >> granuleShift
        return forEachRun(0, granules, where: { mayHoldData($0) }) { index, end in
            body(index << granuleShift, clippedOffset(end))
        }
    }

    /// Bytes of the granules that may hold data.
    var heldBytes: Int {
        var total = 0
        _ = forEachHeldRun { start, end in
            total += end - start
            return true
        }
        return total
    }

    // MARK: - Written granules, and giving space back

    /// Notes that pool offsets [from, to) may be written from now on.
    func markWritten(from: Int, to: Int) {
        var index = from >> granuleShift
        let last = (to - 1) >> granuleShift
        while index <= last {
            if !isWritten(index) { written[index >> 6].bitwiseOr(1 << UInt64(index & 63), ordering: .relaxed) }
            index += 1
        }
    }

    /// Whether pool offsets [from, to) are known to read as zeros.
    func isUnwritten(from: Int, to: Int) -> Bool {
        var index = from >> granuleShift
        let last = (to - 1) >> granuleShift
        while index <= last {
            if isWritten(index) { return false }
            index += 1
        }
        return true
    }

    /// Gives the file space under pool offsets [from, to) (page aligned)
    /// back to the file system; it reads as zeros again. Every granule it
    /// touches is reserved anew when next used (fallocate fills the holes and
    /// leaves the rest alone); granules wholly inside are known zero again.
    /// Once the pool is private (fork mode 1) only the process's copies of
    /// the pages are dropped; on hugetlbfs they are kept, as the granules
    /// stay marked reserved (a huge page dropped would be taken again by the
    /// next store, a SIGBUS when the system has none left).
    @discardableResult
    func release(from: Int, to: Int) -> Bool {
        guard from < to else { return false }
        let savedErrno = vmm_errno()
        defer { vmm_set_errno(savedErrno) }
        let mapping = UnsafeMutableRawPointer(bitPattern: poolAddress).unsafelyUnwrapped
        guard Pool.file.isShared else {
            guard !Pool.file.isHugetlbfs else { return false }
            Platform.discard(mapping + from, length: to - from)
            return true
        }
        var released = false
        // Only what was reserved holds file space.
        _ = forEachRun(from >> granuleShift, ((to - 1) >> granuleShift) + 1, where: { isReserved($0) }) { index, runEnd in
            let start = max(from, index << granuleShift)
            let end = min(to, runEnd << granuleShift)
            if Pool.file.punch(offset: start, length: end - start, mapping: mapping) {
                released = true
                for cleared in index..<runEnd {
                    bitmap[cleared >> 6] &= ~(1 << UInt64(cleared & 63))
                    let whole = cleared << granuleShift >= from && (cleared + 1) << granuleShift <= to
                    if whole { written[cleared >> 6].bitwiseAnd(~(1 << UInt64(cleared & 63)), ordering: .relaxed) }
                }
            }
            return true
        }
        return released
    }
}
