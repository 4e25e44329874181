import VMMallocShim

/// The allocation calls under valgrind (`Memcheck.isRunning`), where every
/// call reaches the slow path: no thread has a heap, so the fast paths find
/// none and step aside, and what a call does is told to memcheck.
///
/// Each block has 16 bytes more than asked for, its guard bytes, never
/// addressable to the program: an overrun meets them before it meets the
/// next block; the block's last 8 bytes hold the size asked for, which
/// memcheck needs for a resize in place and `malloc_usable_size` answers
/// (the bytes past it are not the program's under memcheck), and the 8
/// before them the quarantine's mark (`MemcheckQuarantine`).
enum MemcheckAPI {
    private static let guardBytes = 16

    // Each call is a function of its own (`@inline(never)`), so that the
    // slow paths it branches off keep their code and stack frame as they
    // were: one comparison is all they pay outside valgrind.

    /// An allocation of `size` bytes (a size_t beyond Int.max is negative), told to memcheck; nil when the pool is full.
    @inline(never)
    static func allocate(_ size: Int, alignment: Int, zeroed: Bool, file: StaticString, line: UInt,
                         function: StaticString) -> UnsafeMutableRawPointer? {
        guard size >= 0 && size <= Int.max - guardBytes else { return nil }
        served = true
        // At least 16 bytes before the guard: the quarantine links a waiting block through its first word.
        let padded = (size > 16 ? size : 16) + guardBytes
        let block: UnsafeMutableRawPointer? = Memcheck.quietly {
            var block = Heap.allocate(padded, alignment: alignment, zeroed: zeroed)
            if block == nil && !MemcheckQuarantine.isEmpty {
                MemcheckQuarantine.release()
                block = Heap.allocate(padded, alignment: alignment, zeroed: zeroed)
            }
            if let block { setRequestedSize(block, size) }
            Trace.allocated(size, alignment: alignment, block, file: file, line: line, function: function)
            return block
        }
        if let block { Memcheck.allocated(block, size: size, zeroed: zeroed) }
        return block
    }

    /// A free of `pointer` (in the pool): memcheck reports it first if it
    /// is no block in use (freed twice, or never handed out); false then.
    /// The block waits in the quarantine before it goes back to the heap.
    @inline(never)
    static func free(_ pointer: UnsafeMutableRawPointer, file: StaticString, line: UInt, function: StaticString) -> Bool {
        Memcheck.freed(pointer)
        return Memcheck.quietly {
            Trace.freeing(pointer, file: file, line: line, function: function)
            guard let room = Heap.usableSize(pointer) else { return false }
            return MemcheckQuarantine.admit(pointer, room: room)
        }
    }

    enum Reallocation {
        case done(UnsafeMutableRawPointer?)
        case outOfMemory
        case notABlock
    }

    /// A realloc of `pointer` (in the pool) to `size`: in place (a resize,
    /// for memcheck) while the block's room holds it and it keeps at least
    /// half the room, otherwise a new block, the bytes copied, the old block
    /// freed. Size 0 frees, as glibc does.
    @inline(never)
    static func reallocate(_ pointer: UnsafeMutableRawPointer, to size: Int) -> Reallocation {
        let room = Memcheck.quietly { Heap.usableSize(pointer).flatMap { MemcheckQuarantine.holds(pointer, room: $0) ? nil : $0 } }
        guard let room else {
            // Memcheck's own words for it: an invalid free of what realloc was given.
            Memcheck.freed(pointer)
            return .notABlock
        }
        let oldSize = Memcheck.quietly { requestedSize(pointer, room: room) }
        if size == 0 {
            return free(pointer, file: #fileID, line: #line, function: #function) ? .done(nil) : .notABlock
        }
        if size > 0 && size <= room - guardBytes && (size + guardBytes) * 2 >= room {
            Memcheck.quietly { setRequestedSize(pointer, size) }
            Memcheck.resized(pointer, from: oldSize, to: size)
            Memcheck.quietly { Trace.resized(pointer, from: oldSize, to: size, pointer) }
            return .done(pointer)
        }
        guard let moved = allocate(size, alignment: 16, zeroed: false, file: #fileID, line: #line, function: #function) else {
            Memcheck.quietly { Trace.resized(pointer, from: oldSize, to: size, nil) }
            return .outOfMemory
        }
        memcpy(moved, pointer, oldSize < size ? oldSize : size)
        _ = free(pointer, file: #fileID, line: #line, function: #function)
        Memcheck.quietly { Trace.resized(pointer, from: oldSize, to: size, moved) }
        return .done(moved)
    }

    /// The bytes of the block at `pointer` (in the pool) the program may
    /// use under memcheck, the size it asked for; nil when it is no block in use.
    @inline(never)
    static func usableSize(_ pointer: UnsafeMutableRawPointer) -> Int? {
        Memcheck.quietly {
            guard let room = Heap.usableSize(pointer), !MemcheckQuarantine.holds(pointer, room: room) else { return nil }
            return requestedSize(pointer, room: room)
        }
    }

    /// Whether an allocation call reached the library under valgrind.
    nonisolated(unsafe) private static var served = false

    /// At exit, says in one line when no allocation call reached the
    /// library under valgrind: valgrind put its own malloc in place of the
    /// library's (it does so unless told otherwise), so the program's blocks
    /// were not in the pool and memcheck's reports said nothing about it.
    /// (The library cannot ask before: it would have to call malloc itself.)
    static func sayIfReplaced() {
        guard !served else { return }
        var line = Message("libvmmalloc: no allocation reached the pool under valgrind, which puts its own malloc in ")
        line.append("place of this library's unless run with --soname-synonyms=somalloc=nouserintercepts")
        line.writeLine()
    }

    // MARK: - The size asked for, in the block's last 8 bytes

    private static func setRequestedSize(_ block: UnsafeMutableRawPointer, _ size: Int) {
        guard let room = Heap.usableSize(block) else { return }
        (block + room - 8).storeBytes(of: size, as: Int.self)
    }

    private static func requestedSize(_ block: UnsafeMutableRawPointer, room: Int) -> Int {
        (block + room - 8).load(as: Int.self)
    }
}
