import Synchronization

/// The descriptor of a slice: of a small page (blocks of one size class), of
/// a large block, or of a free span. 128 bytes; the fields the allocation and
/// free paths use come first.
///
/// A small page keeps two lists of free blocks, linked through each block's
/// first word (no header in front of a block):
/// - `free`: what the owning thread allocates from, and where blocks come
///   back from its class caches (see `ClassCache`), without a lock;
/// - `remoteFree`: what other threads freed, pushed with a compare-and-swap
///   and taken by the owner all at once. Its two low bits say whether the
///   owner wants to hear of the first remote free (the page is full: it is
///   off the allocation queue) or has been told.
struct Page {
    // The first cache line: what the owner's malloc touches (its list and
    // count) and what the slow paths check a pointer against.
    var free: UInt = 0
    /// ⌊2⁶⁴ / blockSize⌋ + 1: divides an offset by the block size with a multiplication.
    var reciprocal: UInt = 0
    /// The owning heap (its address), or 0.
    var heap: UInt = 0
    /// Blocks handed out and not yet seen freed.
    var used: UInt32 = 0
    /// Blocks carved out of the page so far (the rest has never been used).
    var carved: UInt32 = 0
    var capacity: UInt32 = 0
    var blockSize: UInt32 = 0
    var flags: UInt8 = 0
    var sizeClass: UInt8 = 0
    private var padding0: UInt16 = 0
    /// Span: its length in slices (first slice of a large block or a free span).
    var slices: UInt32 = 0
    /// When the heartbeat last saw the page empty: its free list then (see `ThreadHeap.collect`).
    var idleMark: UInt = 0
    private var padding2: UInt = 0

    // The second cache line: the word other threads write when they free into
    // the page, so that they do not take the owner's line on every remote
    // free, and what only slow paths use.
    var remoteFree: UInt = 0
    /// Link in a heap's stack of notified pages.
    var nextNotified: UInt = 0
    /// Queue links (pages of a heap) or bin links (free spans), as slice indices; 0 is none.
    var next: UInt32 = 0
    var previous: UInt32 = 0
    /// Free span: when it was freed (coarse milliseconds). Last slice of a free span: its first slice.
    var freedAt: UInt32 = 0
    var spanStart: UInt32 = 0
    /// Large block: the bytes asked for (statistics only).
    var requested: UInt = 0
    private var padding1: (UInt, UInt, UInt) = (0, 0, 0)

    /// A bit of `flags`: the page is on its heap's full list, not on an allocation queue.
    static let inFull: UInt8 = 1

    enum RemoteState {
        static let mask: UInt = 3
        /// The page is full; the first remote free must tell the owner.
        static let wantsNotice: UInt = 1
        /// A remote free has told (or is telling) the owner.
        static let noticed: UInt = 2
    }

    init() {}
}

extension UnsafeMutablePointer where Pointee == Page {
    /// Whether the page is on its heap's full list.
    var isInFull: Bool { pointee.flags & Page.inFull != 0 }

    /// The word `remoteFree`, for atomic access (the first of the second cache line).
    @inline(__always)
    var remoteFree: UnsafeMutablePointer<Atomic<UInt>> {
        (UnsafeMutableRawPointer(self) + 64).assumingMemoryBound(to: Atomic<UInt>.self)
    }

    /// The block index of `offset` bytes into the page, if a block starts there.
    @inline(__always)
    func blockIndex(atOffset offset: UInt) -> UInt? {
        let index = offset.multipliedFullWidth(by: pointee.reciprocal).high
        return index &* UInt(pointee.blockSize) == offset ? index : nil
    }
}

/// The first two words of a free block: the next free block, and a mark
/// that the block is free (its address mixed with a per-pool secret), which
/// makes a double free cheap to suspect.
enum FreeBlock {
    /// Per pool, with bit 0 set (see `kept`).
    nonisolated(unsafe) static var secret: UInt = 0

    @inline(__always)
    static func next(_ block: UInt) -> UInt {
        UnsafePointer<UInt>(bitPattern: block).unsafelyUnwrapped.pointee
    }

    @inline(__always)
    static func setNext(_ block: UInt, _ next: UInt) {
        UnsafeMutablePointer<UInt>(bitPattern: block).unsafelyUnwrapped.pointee = next
    }

    @inline(__always)
    static func mark(_ block: UInt) -> UInt { block ^ secret }

    /// The mark of a free block in a thread's class cache (`ClassCache`),
    /// from its `mark`: bit 0 clear (the secret has it set), so that
    /// `isMarked` tests for both marks with one comparison.
    @inline(__always)
    static func kept(_ mark: UInt) -> UInt { mark ^ 1 }

    /// Whether the block carries either mark, `mark` (given) or its `kept` form.
    @inline(__always)
    static func isMarked(_ block: UInt, mark: UInt) -> Bool {
        UnsafePointer<UInt>(bitPattern: block).unsafelyUnwrapped[1] | 1 == mark
    }

    /// Whether the block carries the mark of a cached block.
    @inline(__always)
    static func looksKept(_ block: UInt) -> Bool {
        UnsafePointer<UInt>(bitPattern: block).unsafelyUnwrapped[1] == kept(mark(block))
    }

    /// Links `block` in front of `next` and marks it free.
    @inline(__always)
    static func push(_ block: UInt, before next: UInt) {
        push(block, before: next, mark: mark(block))
    }

    /// `push` with the block's mark (`mark(block)`) already at hand.
    @inline(__always)
    static func push(_ block: UInt, before next: UInt, mark: UInt) {
        let words = UnsafeMutablePointer<UInt>(bitPattern: block).unsafelyUnwrapped
        words[0] = next
        words[1] = mark
    }

    @inline(__always)
    static func looksFree(_ block: UInt) -> Bool { looksFree(block, mark: mark(block)) }

    @inline(__always)
    static func looksFree(_ block: UInt, mark: UInt) -> Bool {
        UnsafePointer<UInt>(bitPattern: block).unsafelyUnwrapped[1] == mark
    }

    /// Clears the free mark of a block being handed out.
    @inline(__always)
    static func unmark(_ block: UInt) {
        UnsafeMutablePointer<UInt>(bitPattern: block).unsafelyUnwrapped[1] = 0
    }
}
