import Synchronization

/// The work a heap's slow path does now and then, off the fast path:
/// reading the notices of pages that remote frees gave room again, giving
/// empty pages and spare slices back, and looking after the heaps no thread
/// tends (`HeapRegistry`). Another thread may do part of it for a heap whose
/// thread is idle (`tend`).
extension ThreadHeap {
    /// Takes the pages that remote frees moved off the full list back into their queues.
    private func readNotices() {
        if notified.pointee.load(ordering: .relaxed) == 0 { return }
        var address = notified.pointee.exchange(0, ordering: .acquiring)
        while address != 0 {
            let page = UnsafeMutablePointer<Page>(bitPattern: address).unsafelyUnwrapped
            address = page.pointee.nextNotified
            page.remoteFree.pointee.bitwiseAnd(~Page.RemoteState.mask, ordering: .acquiringAndReleasing)
            if page.isInFull {
                removeFromFull(page)
                pushBack(page, Slices.index(of: page))
            }
        }
    }

    /// Tells the owner of `page` (a heap, maybe without a thread) that the page has room again.
    static func notice(_ page: UnsafeMutablePointer<Page>, heap: UInt) {
        let notified = ThreadHeap(heap).notified
        var head = notified.pointee.load(ordering: .relaxed)
        while true {
            page.pointee.nextNotified = head
            let (exchanged, seen) = notified.pointee.compareExchange(
                expected: head, desired: UInt(bitPattern: page), ordering: .releasing)
            if exchanged { return }
            head = seen
        }
    }

    /// Work that must happen now and then but not on the fast path, done on
    /// the slow path: read notices always; every 64 calls, if 100 ms have
    /// passed, give back pages empty since the last beat, look after the
    /// orphan heap and a heap without a thread, and give free space back to
    /// the file system.
    func heartbeat(_ c: Int) {
        classCache(c).pointee.budget = Self.budgetPerBeat
        readNotices()
        header.pointee.genericCalls &+= 1
        guard header.pointee.genericCalls & 63 == 0 else { return }
        let now = Platform.coarseMilliseconds
        guard now &- header.pointee.lastBeat >= 100 else { return }
        header.pointee.lastBeat = now
        collect(.idle)
        HeapRegistry.tendOrphan(.idle)
        HeapRegistry.tendAbandoned()
        HeapRegistry.tendAnother(than: self)
        let lock = Extents.lock
        if lock.tryLock() {
            Extents.purgeIfDueLocked(now: now)
            lock.unlock()
        }
    }

    enum Collection {
        /// Empty pages that were empty, untouched, at the previous heartbeat too.
        case idle
        /// Every empty page but the only page of its class.
        case allButCurrent
        /// Every empty page (when the pool is short of space).
        case everything
    }

    /// Gives the class caches' blocks back to their pages, collects every
    /// page's remote frees, and gives back empty pages, as `which` says, and
    /// the spare slices.
    func collect(_ which: Collection) {
        flushCaches()
        givePagesBack(which, sparingCurrent: false)
    }

    /// What another thread may do for a heap whose thread is alive but may
    /// be idle (it runs no heartbeat while it waits): `collect` without the
    /// class caches and the current pages, which the owner's fast paths use
    /// without the lock. `which` is `.idle` or `.everything`. The caller
    /// holds the heap's lock.
    func tend(_ which: Collection) {
        givePagesBack(which, sparingCurrent: true)
    }

    /// Reads the notices, collects every page's remote frees, gives back the
    /// empty pages `which` says (not the current ones if `sparingCurrent`),
    /// then the spare slices.
    private func givePagesBack(_ which: Collection, sparingCurrent: Bool) {
        readNotices()
        for c in 1..<SizeClass.count {
            let current = sparingCurrent ? currentPage(c) : nil
            var index = Int(queue(c).pointee.first)
            while index != 0 {
                let page = Slices.page(index)
                let next = Int(page.pointee.next)
                if page != current {
                    Self.collectRemote(page)
                    if page.pointee.used == 0 && shouldRelease(page, which, isOnly: index == Int(queue(c).pointee.first) && next == 0) {
                        release(page, index)
                    }
                }
                index = next
            }
        }
        var index = Int(header.pointee.full)
        while index != 0 {
            let page = Slices.page(index)
            let next = Int(page.pointee.next)
            if page.pointee.used == 0 { release(page, index) }
            index = next
        }
        flushSpares()
    }

    private func shouldRelease(_ page: UnsafeMutablePointer<Page>, _ which: Collection, isOnly: Bool) -> Bool {
        switch which {
        case .everything: return true
        case .allButCurrent: return !isOnly
        case .idle:
            // Idle: empty now and at the last beat, with the same free lists (no traffic between).
            let mark = page.pointee.free | 1
            if page.pointee.idleMark == mark { return true }
            page.pointee.idleMark = mark
            return false
        }
    }

    private func flushSpares() {
        guard header.pointee.spareCount > 0 else { return }
        let lock = Extents.lock
        let held = lock.lock()
        while let spare = takeSpare() { Extents.freeLocked(spare, 1) }
        if held { lock.unlock() }
    }
}
