/// Blocks freed under valgrind wait here, not addressable, before they go
/// back to the heap: without the wait, the next malloc of the same size
/// would get a block back at once, and a read or write through a pointer
/// freed a moment before would land in a block in use, which memcheck
/// cannot tell from a correct one.
///
/// A queue, oldest out first, of up to `limit` bytes (a 32nd of the pool,
/// at most 8 MiB), linked through the blocks' first word. A mark in the
/// block's guard bytes (`MemcheckAPI`: never the program's, so what is read
/// there is never the program's undefined data) tells a waiting block, so
/// that a second free of it is refused. Before a
/// call is refused for lack of room, every waiting block goes back
/// (`release`). The orphan heap's lock, which every allocation takes under
/// valgrind anyway, guards the queue.
enum MemcheckQuarantine {
    nonisolated(unsafe) private static var oldest: UInt = 0
    nonisolated(unsafe) private static var newest: UInt = 0
    nonisolated(unsafe) private static var bytes = 0

    private static var limit: Int {
        let share = Int(Pool.length) / 32
        return share < 8 << 20 ? share : 8 << 20
    }

    /// The mark of a waiting block: its address, mixed, so that no block in use carries it by chance.
    private static func mark(_ block: UInt) -> UInt { (block &* 0x9E37_79B9_7F4A_7C15) ^ 0x7175_6172_616E_7469 }

    private static func word(_ block: UInt, _ index: Int) -> UnsafeMutablePointer<UInt> {
        UnsafeMutablePointer<UInt>(bitPattern: block).unsafelyUnwrapped + index
    }

    /// Where the mark of `block`, of `room` usable bytes, goes: the first
    /// word of its guard bytes (the last word holds the size asked for).
    private static func markWord(_ block: UInt, room: Int) -> UnsafeMutablePointer<UInt> {
        word(block, room / 8 - 2)
    }

    /// Whether `block` (a block in use for the heap, `room` bytes) waits here: the program freed it.
    static func holds(_ block: UnsafeMutableRawPointer, room: Int) -> Bool {
        let address = UInt(bitPattern: block)
        return markWord(address, room: room).pointee == mark(address)
    }

    /// Takes the block the program freed, `room` bytes, and gives the oldest
    /// back to the heap beyond the limit; false (nothing done) when it waits
    /// here already.
    static func admit(_ block: UnsafeMutableRawPointer, room: Int) -> Bool {
        let address = UInt(bitPattern: block)
        let lock = HeapRegistry.orphanLock
        let held = lock.lock()
        defer { if held { lock.unlock() } }
        if markWord(address, room: room).pointee == mark(address) { return false }
        word(address, 0).pointee = 0
        markWord(address, room: room).pointee = mark(address)
        if newest != 0 { word(newest, 0).pointee = address } else { oldest = address }
        newest = address
        bytes += room
        while bytes > limit && oldest != address { giveBackOldest() }
        return true
    }

    /// Gives every waiting block back to the heap (the pool is short of room).
    static func release() {
        let lock = HeapRegistry.orphanLock
        let held = lock.lock()
        defer { if held { lock.unlock() } }
        while oldest != 0 { giveBackOldest() }
    }

    /// Whether any block waits (read without the lock: a hint).
    static var isEmpty: Bool { oldest == 0 }

    private static func giveBackOldest() {
        let address = oldest
        oldest = word(address, 0).pointee
        if oldest == 0 { newest = 0 }
        let block = UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
        let room = Heap.usableSize(block) ?? 0
        if room >= 16 { markWord(address, room: room).pointee = 0 }
        bytes -= room
        _ = Heap.free(block)
    }
}
