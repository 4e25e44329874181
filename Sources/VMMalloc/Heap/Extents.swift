/// The pool-wide allocator of spans of slices, behind one lock: small pages
/// and large blocks come from here and go back here.
///
/// Free spans are coalesced with their free neighbours at once (their first
/// and last slices carry tags, see `Slices`) and kept in bins by length:
/// exact bins up to 64 slices (4 MiB), then four bins per doubling. A request
/// takes the best fitting span, from its front. Spans that stay free for a
/// while have their whole granules given back to the file system (see
/// `purgeIfDue`), so a pool that was full once does not stay full on disk.
enum Extents {
    static let binCount = 192
    private static let exactBins = 64

    // Layout of the storage in pool metadata.
    private static let lockOffset = 0
    private static let magicOffset = 4
    private static let lastPurgeOffset = 8
    private static let wildernessFreedAtOffset = 12
    private static let wildernessOffset = 16
    private static let wildernessPurgedOffset = 20
    private static let usedOffset = 24
    private static let peakOffset = 32
    private static let bitmapOffset = 40
    private static let binsOffset = bitmapOffset + 4 * 8
    static let storageSize = binsOffset + binCount * 4

    nonisolated(unsafe) private static var storage: UInt = 0

    static var lock: Mutex { Mutex(at: UnsafeMutableRawPointer(bitPattern: storage).unsafelyUnwrapped) }

    private static var bitmap: UnsafeMutablePointer<UInt64> {
        UnsafeMutablePointer(bitPattern: storage + UInt(bitmapOffset)).unsafelyUnwrapped
    }

    private static var bins: UnsafeMutablePointer<UInt32> {
        UnsafeMutablePointer(bitPattern: storage + UInt(binsOffset)).unsafelyUnwrapped
    }

    private static var lastPurge: UnsafeMutablePointer<UInt32> {
        UnsafeMutablePointer(bitPattern: storage + UInt(lastPurgeOffset)).unsafelyUnwrapped
    }

    /// The wilderness: from this slice to the end of the pool, one free run
    /// kept out of the bins, whose table entries are untouched (a new pool
    /// reserves nothing for it). Spans freed next to it go back into it.
    private static var wildernessPointer: UnsafeMutablePointer<UInt32> {
        UnsafeMutablePointer(bitPattern: storage + UInt(wildernessOffset)).unsafelyUnwrapped
    }

    static var wilderness: Int { Int(wildernessPointer.pointee) }

    /// Slices taken out of the block slices (pages, large blocks, heap slabs
    /// placed among them), counted under the lock.
    private static var used: UnsafeMutablePointer<UInt> {
        UnsafeMutablePointer(bitPattern: storage + UInt(usedOffset)).unsafelyUnwrapped
    }

    /// The most slices ever taken at once (`takenLocked`): the pool's high-water mark.
    private static var peak: UnsafeMutablePointer<UInt> {
        UnsafeMutablePointer(bitPattern: storage + UInt(peakOffset)).unsafelyUnwrapped
    }

    /// Slices that are not free now: pages, large blocks and heap slabs among
    /// the block slices, and the heap slabs taken off the top of the pool.
    private static var takenLocked: Int {
        Int(used.pointee) + (Int(Pool.length) >> Slices.shift) - Slices.end
    }

    /// Raises the high-water mark to what is taken now. Every change of the
    /// pool space in use passes here, under the lock: the fast paths never do.
    private static func notePeakLocked() {
        let taken = UInt(takenLocked)
        if taken > peak.pointee { peak.pointee = taken }
    }

    /// Bytes of the pool in use (metadata, pages, large blocks, heap slabs),
    /// now and at the high-water mark. The caller holds the lock.
    static func poolInUseLocked() -> (now: Int, peak: Int) {
        let blockSlices = (Int(Pool.length) >> Slices.shift) - Slices.first
        func inUse(_ taken: Int) -> Int { Int(Pool.length) - ((blockSlices - taken) << Slices.shift) }
        let taken = takenLocked
        let highest = Int(peak.pointee) > taken ? Int(peak.pointee) : taken
        return (inUse(taken), inUse(highest))
    }

    /// Starts the high-water mark again from what is in use now (a child of
    /// fork on a pool of its own). The caller holds the lock or is alone.
    static func restartPeakLocked() {
        peak.pointee = UInt(takenLocked)
    }

    /// Whether more than a quarter of the pool's slices are taken: then a
    /// heap's first blocks of a size class do not get a slice of their own
    /// (see `ThreadHeap.allocate`). Read without the lock: a hint.
    static var isCrowded: Bool {
        Int(used.pointee) > (Slices.end - Slices.first) / 4
    }

    /// When a span last went back into the wilderness, and whether its space was given back since.
    private static var wildernessFreedAt: UnsafeMutablePointer<UInt32> {
        UnsafeMutablePointer(bitPattern: storage + UInt(wildernessFreedAtOffset)).unsafelyUnwrapped
    }

    private static var wildernessPurged: UnsafeMutablePointer<UInt32> {
        UnsafeMutablePointer(bitPattern: storage + UInt(wildernessPurgedOffset)).unsafelyUnwrapped
    }

    /// Sets up the allocator with every block slice in the wilderness.
    static func create(at address: UnsafeMutableRawPointer) -> Bool {
        storage = UInt(bitPattern: address)
        address.storeBytes(of: magic, toByteOffset: magicOffset, as: UInt32.self)
        wildernessPointer.pointee = UInt32(Slices.first)
        wildernessPurged.pointee = 1
        return true
    }

    /// A word at the pool start that only an overwritten header lacks.
    private static let magic: UInt32 = 0x766d_6d31

    /// Whether the pool header still holds its mark (debug checks).
    static var headerIsIntact: Bool {
        UnsafeRawPointer(bitPattern: storage).unsafelyUnwrapped.load(fromByteOffset: magicOffset, as: UInt32.self) == magic
    }

    // MARK: - Bins

    static func bin(forLength length: Int) -> Int {
        if length <= exactBins { return length - 1 }
        let k = (Int.bitWidth - 1) - length.leadingZeroBitCount
        return exactBins + (k - 6) * 4 + ((length >> (k - 2)) & 3)
    }

    private static func insertFree(_ start: Int, _ length: Int, freedAt: UInt32, purged: Bool) {
        let page = Slices.page(start)
        page.pointee.slices = UInt32(length)
        page.pointee.freedAt = freedAt
        page.pointee.flags = purged ? Flag.purged : 0
        page.pointee.heap = 0
        Slices.setTag(start, Slices.Tag.freeSpanStart)
        // A span reaching the end of the pool has no right neighbour to find
        // it by its last slice, whose table entries stay untouched (and unreserved).
        if length > 1 && start + length < Slices.end {
            Slices.setTag(start + length - 1, Slices.Tag.freeSpanEnd)
            Slices.page(start + length - 1).pointee.spanStart = UInt32(start)
        }
        let b = bin(forLength: length)
        let head = bins[b]
        page.pointee.next = head
        page.pointee.previous = 0
        if head != 0 { Slices.page(Int(head)).pointee.previous = UInt32(start) }
        bins[b] = UInt32(start)
        bitmap[b >> 6] |= 1 << UInt64(b & 63)
    }

    /// The first bin at or after `start` that holds a span.
    private static func nonEmptyBin(from start: Int) -> Int? {
        var b = start
        while b < binCount {
            let word = bitmap[b >> 6] & (~0 << UInt64(b & 63))
            if word != 0 { return (b & ~63) + word.trailingZeroBitCount }
            b = (b | 63) + 1
        }
        return nil
    }

    /// Takes a free span out of its bin and clears its tags.
    private static func removeFree(_ start: Int) {
        let page = Slices.page(start)
        let length = Int(page.pointee.slices)
        let b = bin(forLength: length)
        let next = page.pointee.next
        let previous = page.pointee.previous
        if previous != 0 { Slices.page(Int(previous)).pointee.next = next } else { bins[b] = next }
        if next != 0 { Slices.page(Int(next)).pointee.previous = previous }
        if bins[b] == 0 { bitmap[b >> 6] &= ~(1 << UInt64(b & 63)) }
        Slices.setTag(start, Slices.Tag.none)
        if length > 1 && start + length < Slices.end { Slices.setTag(start + length - 1, Slices.Tag.none) }
    }

    enum Flag {
        /// The span's whole granules have been given back to the file system.
        static let purged: UInt8 = 2
    }

    // MARK: - Allocation

    /// A span of `length` slices aligned to `alignment` bytes (at least a
    /// slice), reserved and out of the bins; when the pool has none, the empty
    /// pages kept by heaps are given back first (`Heap.reclaim`) and the search
    /// is made again. Takes the lock; nil when there is no room.
    /// `heapLocked`: the caller holds its own heap's lock.
    static func allocate(_ length: Int, alignment: Int = Slices.size, heapLocked: Bool = false) -> Int? {
        let alignment = alignment > Slices.size ? alignment : Slices.size
        var held = lock.lock()
        var span = allocateLocked(length, alignment: alignment)
        if span == nil {
            if held { lock.unlock() }
            Heap.reclaim(heapLocked: heapLocked)
            held = lock.lock()
            span = allocateLocked(length, alignment: alignment)
        }
        purgeIfDueLocked(now: Platform.coarseMilliseconds)
        if held { lock.unlock() }
        return span
    }

    /// A span of `length` slices whose first slice is aligned to `alignment`
    /// bytes, with its file space and table entries reserved; nil when the pool
    /// has no such span or the file system no room. The caller holds the lock.
    static func allocateLocked(_ length: Int, alignment: Int = Slices.size) -> Int? {
        vmmAssert(headerIsIntact, "the pool header was overwritten", UnsafeRawPointer(bitPattern: storage))
        let alignSlices = alignment > Slices.size ? alignment >> Slices.shift : 1
        let start: Int
        if let span = find(length, alignSlices: alignSlices) {
            start = alignedStart(span, alignSlices)
            guard take(start, start + length, from: span) else { return nil }
        } else {
            start = alignedStart(wilderness, alignSlices)
            guard takeFromWilderness(start, start + length) else { return nil }
        }
        Slices.page(start).pointee.slices = UInt32(length)
        Slices.page(start).pointee.flags = 0
        return start
    }

    /// Takes `length` slices off the top of the pool for good, for metadata
    /// that is never given back (slabs of thread heaps), so that it splits no
    /// free space: the block slices end below it from now on. Nil when the
    /// wilderness does not reach that far down. Reserves no file space. The
    /// caller holds the lock.
    static func takeTopLocked(_ length: Int) -> Int? {
        let start = Slices.end - length
        guard start >= wilderness else { return nil }
        Slices.lowerEnd(to: start)
        notePeakLocked()
        return start
    }

    /// Reserves the file space of slices [start, end) and the table entries
    /// from slice `tablesFrom` to `end` (where a free span may start next).
    private static func reserve(_ start: Int, _ end: Int, tablesFrom: Int) -> Bool {
        Pool.reservation.ensure(from: Slices.offset(start), to: Slices.offset(end))
            && Slices.reserveTables(tablesFrom, end < Slices.end ? end + 1 : end)
    }

    /// Takes slices [start, end) out of the free span at `span`; what is left
    /// on either side stays free, as old as the span was.
    private static func take(_ start: Int, _ end: Int, from span: Int) -> Bool {
        guard reserve(start, end, tablesFrom: start > Slices.first ? start - 1 : start) else { return false }
        used.pointee += UInt(end - start)
        notePeakLocked()
        let spanEnd = span + Int(Slices.page(span).pointee.slices)
        let freedAt = Slices.page(span).pointee.freedAt
        let purged = Slices.page(span).pointee.flags & Flag.purged != 0
        removeFree(span)
        if start > span { insertFree(span, start - span, freedAt: freedAt, purged: purged) }
        if spanEnd > end { insertFree(end, spanEnd - end, freedAt: freedAt, purged: purged) }
        return true
    }

    /// Takes slices [start, end) from the front of the wilderness (a gap left
    /// for alignment becomes a free span); false when it is too short.
    private static func takeFromWilderness(_ start: Int, _ end: Int) -> Bool {
        let from = wilderness
        guard end <= Slices.end, reserve(start, end, tablesFrom: from) else { return false }
        wildernessPointer.pointee = UInt32(end)
        used.pointee += UInt(end - start)
        notePeakLocked()
        if start > from {
            insertFree(from, start - from, freedAt: wildernessFreedAt.pointee, purged: wildernessPurged.pointee != 0)
        }
        return true
    }

    @inline(__always)
    private static func alignedStart(_ span: Int, _ alignSlices: Int) -> Int {
        if alignSlices == 1 { return span }
        // Slice indices count from the pool start, which is granule aligned;
        // for larger alignments, align the address.
        let address = UInt(bitPattern: Slices.address(span))
        let mask = UInt(alignSlices << Slices.shift) - 1
        return Slices.index(of: UnsafeRawPointer(bitPattern: (address + mask) & ~mask).unsafelyUnwrapped)
    }

    private static func fits(_ span: Int, _ length: Int, _ alignSlices: Int) -> Bool {
        let spanLength = Int(Slices.page(span).pointee.slices)
        return alignedStart(span, alignSlices) + length <= span + spanLength
    }

    /// The best fitting free span: the first fitting one in the bin of the
    /// request (the closest of the first few in a bin of mixed lengths), or the
    /// first span of the next non-empty bin.
    private static func find(_ length: Int, alignSlices: Int) -> Int? {
        let need = length + alignSlices - 1
        guard need < Int(UInt32.max) else { return nil }
        var b = bin(forLength: need)
        // In the bin of the request, spans may be shorter than needed.
        var best = 0
        var bestLength = Int.max
        var candidate = Int(bins[b])
        var looked = 0
        while candidate != 0 && looked < 16 {
            let candidateLength = Int(Slices.page(candidate).pointee.slices)
            if candidateLength < bestLength && fits(candidate, length, alignSlices) {
                best = candidate
                bestLength = candidateLength
                if candidateLength == need { break }
            }
            candidate = Int(Slices.page(candidate).pointee.next)
            looked += 1
        }
        if best != 0 { return best }
        b += 1
        while let found = nonEmptyBin(from: b) {
            b = found
            var span = Int(bins[b])
            while span != 0 {
                if fits(span, length, alignSlices) { return span }
                span = Int(Slices.page(span).pointee.next)
            }
            b += 1
        }
        return nil
    }

    /// Grows the span at `start` (in use, `length` slices) to `newLength` in
    /// place, if the span behind it is free and long enough. The caller holds the lock.
    static func growLocked(_ start: Int, _ length: Int, to newLength: Int) -> Bool {
        let next = start + length
        let end = start + newLength
        if next == wilderness {
            guard takeFromWilderness(next, end) else { return false }
        } else {
            guard next < Slices.end, Slices.tag(next) == Slices.Tag.freeSpanStart,
                  next + Int(Slices.page(next).pointee.slices) >= end, take(next, end, from: next)
            else { return false }
        }
        Slices.page(start).pointee.slices = UInt32(newLength)
        return true
    }

    // MARK: - Free

    /// `freeLocked`, taking the lock.
    static func free(_ start: Int, _ length: Int) {
        let held = lock.lock()
        freeLocked(start, length)
        if held { lock.unlock() }
    }

    /// Gives back the span of `length` slices at `start`, whose tags other
    /// than the first are `none`, and purges what is due. The caller holds the lock.
    static func freeLocked(_ start: Int, _ length: Int) {
        let now = Platform.coarseMilliseconds
        defer { purgeIfDueLocked(now: now) }
        vmmAssert(headerIsIntact, "the pool header was overwritten", UnsafeRawPointer(bitPattern: storage))
        vmmAssert(start >= Slices.first && start + length <= Slices.end, "a span outside the pool is freed",
                  UnsafeRawPointer(Slices.address(start)))
        used.pointee -= UInt(length)
        var first = start
        var end = start + length
        // The merged span is as old as its oldest part, so that a span that
        // keeps absorbing fresh neighbours still ages and is given back.
        var freedAt = now
        Slices.setTag(start, Slices.Tag.none)
        if first > Slices.first {
            let tag = Slices.tag(first - 1)
            if tag == Slices.Tag.freeSpanStart || tag == Slices.Tag.freeSpanEnd {
                let left = tag == Slices.Tag.freeSpanStart ? first - 1 : Int(Slices.page(first - 1).pointee.spanStart)
                freedAt = older(freedAt, Slices.page(left).pointee.freedAt, now: now)
                removeFree(left)
                first = left
            }
        }
        if end == wilderness {
            wildernessPointer.pointee = UInt32(first)
            wildernessFreedAt.pointee = now
            wildernessPurged.pointee = 0
            return
        }
        if end < Slices.end && Slices.tag(end) == Slices.Tag.freeSpanStart {
            let rightLength = Int(Slices.page(end).pointee.slices)
            freedAt = older(freedAt, Slices.page(end).pointee.freedAt, now: now)
            removeFree(end)
            end += rightLength
        }
        insertFree(first, end - first, freedAt: freedAt, purged: false)
    }

    /// The earlier of two times on the wrapping millisecond clock.
    private static func older(_ a: UInt32, _ b: UInt32, now: UInt32) -> UInt32 {
        now &- a > now &- b ? a : b
    }

    // MARK: - Giving space back

    /// How long a span stays free before its space goes back to the file system.
    static let purgeDelay: UInt32 = 250
    private static let purgeInterval: UInt32 = 100
    /// Spans shorter than this (in slices) keep their space: a hole of a few
    /// slices among blocks in use is soon taken again, and punching it would
    /// cost a system call now and the page faults of all of it then. Spans
    /// coalesce as their neighbours are freed, so a pool that empties still
    /// gives everything back.
    private static let purgeMinimum: UInt32 = 4

    /// Gives back the file space of the spans that have stayed free for
    /// `purgeDelay`, at most every `purgeInterval`. The caller holds the lock.
    static func purgeIfDueLocked(now: UInt32) {
        guard now &- lastPurge.pointee >= purgeInterval else { return }
        lastPurge.pointee = now
        if wildernessPurged.pointee == 0 && now &- wildernessFreedAt.pointee >= purgeDelay {
            Pool.releaseSpace(from: Slices.offset(wilderness), to: Slices.offset(Slices.end))
            wildernessPurged.pointee = 1
        }
        var b = 0
        while let found = nonEmptyBin(from: b) {
            b = found
            var span = Int(bins[b])
            while span != 0 {
                let page = Slices.page(span)
                if page.pointee.flags & Flag.purged == 0 && now &- page.pointee.freedAt >= purgeDelay
                    && page.pointee.slices >= purgeMinimum {
                    Pool.releaseSpace(from: Slices.offset(span), to: Slices.offset(span + Int(page.pointee.slices)))
                    page.pointee.flags |= Flag.purged
                }
                span = Int(page.pointee.next)
            }
            b += 1
        }
    }

    // MARK: - Statistics

    /// Free slices in all, the longest free span and the wilderness, in
    /// slices, and the number of free spans (the wilderness one of them).
    static func freeSlicesLocked() -> (total: Int, longest: Int, top: Int, spans: Int) {
        let top = Slices.end - wilderness
        var total = top
        var longest = total
        var spans = top > 0 ? 1 : 0
        for b in 0..<binCount {
            var span = Int(bins[b])
            while span != 0 {
                let length = Int(Slices.page(span).pointee.slices)
                total += length
                spans += 1
                if length > longest { longest = length }
                span = Int(Slices.page(span).pointee.next)
            }
        }
        return (total, longest, top, spans)
    }

    /// Gives back the file space of every free span now, whatever its age and
    /// length (malloc_trim), but the first `keep` bytes of the wilderness.
    /// Whether any space went back. The caller holds the lock.
    static func purgeAllLocked(keep: Int) -> Bool {
        var released = false
        let keptSlices = (keep + Slices.size - 1) >> Slices.shift
        let topStart = wilderness + keptSlices
        if topStart < Slices.end {
            released = Pool.releaseSpace(from: Slices.offset(topStart), to: Slices.offset(Slices.end)) || released
            if keptSlices == 0 { wildernessPurged.pointee = 1 }
        }
        var b = 0
        while let found = nonEmptyBin(from: b) {
            b = found
            var span = Int(bins[b])
            while span != 0 {
                let page = Slices.page(span)
                if page.pointee.flags & Flag.purged == 0 {
                    released = Pool.releaseSpace(from: Slices.offset(span), to: Slices.offset(span + Int(page.pointee.slices)))
                        || released
                    page.pointee.flags |= Flag.purged
                }
                span = Int(page.pointee.next)
            }
            b += 1
        }
        return released
    }
}
