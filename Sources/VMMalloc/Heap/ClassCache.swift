/// The per-class state of a heap the fast paths use, on half a cache line:
/// the cache of blocks the thread freed (a list linked through the blocks,
/// last in first out), the current page, what a free checks a pointer
/// against, and the countdown to the next slow-path malloc. Malloc and free
/// of a cached block touch this line and the block, nothing else of the
/// heap. A cached block carries `FreeBlock.kept` of its mark, so that any
/// thread refuses it as already free.
struct ClassCache {
    /// The most recently freed cached block, or 0.
    var head: UInt = 0
    /// The page the class allocates from when the cache is empty.
    var page: UInt = 0
    /// ⌊2⁶⁴ / blockSize⌋ + 1 (see `Page.reciprocal`).
    var reciprocal: UInt = 0
    /// Blocks the cache may still take: `limit` less those it holds.
    var room: UInt16 = 0
    /// Blocks the cache holds at most (0: no caching).
    var limit: UInt16 = 0
    /// Fast-path mallocs of the class left before one takes the slow path
    /// (see `ThreadHeap.spend`).
    var budget: UInt32 = 0

    /// Blocks the cache holds.
    var count: Int { Int(limit) - Int(room) }

    static let stride = 32

    /// Blocks of `size` bytes a cache holds: 32 KiB of them, from 8 to 512
    /// blocks; of blocks above 8 KiB, 2 to 4 (at most 128 KiB).
    static func limit(_ size: Int) -> Int {
        let blocks = (32 << 10) / size
        let least = size > 8 << 10 ? 2 : 8
        return blocks < least ? least : blocks > 512 ? 512 : blocks
    }

    /// Lets an empty cache hold its class's `limit` of blocks of `size` bytes.
    static func open(_ cache: UnsafeMutablePointer<ClassCache>, blockSize size: Int) {
        cache.pointee.limit = UInt16(limit(size))
        cache.pointee.room = cache.pointee.limit
    }

    /// Pushes `block` (its free `mark` given); the cache must have room.
    @inline(__always)
    static func push(_ cache: UnsafeMutablePointer<ClassCache>, _ block: UInt, mark: UInt) {
        push(cache, block, mark: mark, room: cache.pointee.room &- 1)
    }

    /// `push` with the room left after it already computed.
    @inline(__always)
    static func push(_ cache: UnsafeMutablePointer<ClassCache>, _ block: UInt, mark: UInt, room: UInt16) {
        FreeBlock.push(block, before: cache.pointee.head, mark: FreeBlock.kept(mark))
        cache.pointee.head = block
        cache.pointee.room = room
    }

    @inline(__always)
    static func pop(_ cache: UnsafeMutablePointer<ClassCache>) -> UInt {
        let block = cache.pointee.head
        vmmAssert(FreeBlock.looksKept(block), "a cached block is not marked free (written after free?)",
                  UnsafeRawPointer(bitPattern: block))
        cache.pointee.head = FreeBlock.next(block)
        cache.pointee.room &+= 1
        FreeBlock.unmark(block)
        return block
    }
}
