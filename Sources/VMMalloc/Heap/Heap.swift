import VMMallocShim

/// The heap inside the pool, behind a narrow interface: allocate, free,
/// usable size, reallocate. One lock guards it.
///
/// Blocks carry boundary tags (see `Block`) and are coalesced on free; free
/// blocks wait in size bins (see `FreeBins`); what has never been handed out
/// is the top, carved from the front. Every block handed out has its file
/// space reserved first, and the top of memory never written since the pool
/// was created is known to be zero, so calloc skips clearing it.
enum Heap {
    /// The heap's state, kept at the start of the pool.
    private struct State {
        var lockWord: UInt32
        /// The first block.
        var start: UnsafeMutableRawPointer
        /// Start of the top: everything from here to `end` is one free run.
        var top: UnsafeMutableRawPointer
        var end: UnsafeMutableRawPointer
        /// Nothing at or above this address has been written since creation.
        var untouched: UnsafeMutableRawPointer
    }

    private static let stateSize = 64
    /// Bytes of pool metadata the heap needs at the pool start.
    static let metadataSize = stateSize + FreeBins.storageSize

    /// Where `State` lies; the bins follow it. A plain integer, so that the
    /// global needs no lazy initialisation on the hot path.
    nonisolated(unsafe) private static var stateAddress: UInt = 0

    private static var state: UnsafeMutablePointer<State> {
        UnsafeMutablePointer(bitPattern: stateAddress).unsafelyUnwrapped
    }

    private static var bins: FreeBins { FreeBins(storage: UnsafeMutableRawPointer(state) + stateSize) }

    static var lock: Mutex { Mutex(at: UnsafeMutableRawPointer(state)) }

    /// Lays out an empty heap: metadata at `metadata`, blocks in [blocks, end).
    static func create(metadata: UnsafeMutableRawPointer, blocks: UnsafeMutableRawPointer, end: UnsafeMutableRawPointer) {
        stateAddress = UInt(bitPattern: metadata)
        state.initialize(to: State(lockWord: 0, start: blocks, top: blocks, end: end, untouched: blocks))
    }

    /// The largest request the heap could ever serve.
    static var capacity: Int { state.pointee.end - UnsafeMutableRawPointer(state) }

    // MARK: - The interface

    /// A block of at least `bytes` bytes aligned to `alignment` (a power of two),
    /// zero-filled if asked; nil when the pool cannot hold it.
    static func allocate(_ bytes: Int, alignment: Int, zeroed: Bool) -> UnsafeMutableRawPointer? {
        guard let size = Block.size(forRequest: bytes), size <= capacity, alignment <= capacity else { return nil }
        let held = lock.lock()
        defer { if held { lock.unlock() } }
        guard let (payload, dirtyEnd) = allocateLocked(size: size, alignment: alignment) else { return nil }
        if zeroed {
            // Only what lies below the untouched part can hold old data.
            let end = Block(payload: payload).end
            let clearEnd = dirtyEnd < end ? dirtyEnd : end
            if clearEnd > payload { memset(payload, 0, clearEnd - payload) }
        }
        return payload
    }

    /// Returns a block to the heap; false (and nothing done) when `payload`
    /// is not a block in use: a double free or a pointer the heap never gave.
    static func free(_ payload: UnsafeMutableRawPointer) -> Bool {
        let held = lock.lock()
        defer { if held { lock.unlock() } }
        let block = Block(payload: payload)
        guard isInUseLocked(block) else { return false }
        freeLocked(block)
        return true
    }

    /// Bytes the caller may use in the block at `payload`; nil when it is not a block in use.
    static func usableSize(_ payload: UnsafeMutableRawPointer) -> Int? {
        let block = Block(payload: payload)
        guard isAligned(block.address), block.address >= state.pointee.start, block.address < state.pointee.end,
              block.hasInUseTag
        else { return nil }
        return block.size - Block.headerSize
    }

    enum Reallocation {
        case done(UnsafeMutableRawPointer)
        case outOfMemory
        case notABlock
    }

    /// Resizes the block at `payload`, in place where the neighbours allow;
    /// when the pool cannot hold the new size the block is left as it was.
    static func reallocate(_ payload: UnsafeMutableRawPointer, to bytes: Int) -> Reallocation {
        let held = lock.lock()
        defer { if held { lock.unlock() } }
        let block = Block(payload: payload)
        guard isInUseLocked(block) else { return .notABlock }
        guard let size = Block.size(forRequest: bytes), size <= capacity else { return .outOfMemory }
        if resizeInPlaceLocked(block, to: size) { return .done(payload) }
        guard let (moved, _) = allocateLocked(size: size, alignment: Block.alignment) else { return .outOfMemory }
        let keep = block.size < size ? block.size : size
        memcpy(moved, payload, keep - Block.headerSize)
        freeLocked(block)
        return .done(moved)
    }

    /// Whether `block` is a block in use that the heap handed out: inside the
    /// heap, tagged, and consistent with its neighbour. Checked before the
    /// header is trusted, so a bad pointer never corrupts the heap.
    private static func isInUseLocked(_ block: Block) -> Bool {
        guard isAligned(block.address), block.address >= state.pointee.start, block.address < state.pointee.top,
              block.hasInUseTag, block.size >= Block.minimumSize
        else { return false }
        let end = block.end
        guard end <= state.pointee.top else { return false }
        return end == state.pointee.top || block.next.previousInUse
    }

    @inline(__always)
    private static func isAligned(_ address: UnsafeMutableRawPointer) -> Bool {
        UInt(bitPattern: address) & UInt(Block.alignment - 1) == 0
    }

    // MARK: - Allocation

    /// Places a block of `size` bytes; also says where memory that may hold
    /// old data ends (from there on the block is untouched, so zero).
    private static func allocateLocked(size: Int, alignment: Int) -> (UnsafeMutableRawPointer, UnsafeMutableRawPointer)? {
        // An aligned request needs room to slide to the boundary, and for a free block before it.
        let slack = alignment > Block.alignment ? alignment + Block.minimumSize : 0
        if let block = bins.find(atLeast: size + slack),
           let payload = place(size: size, alignment: alignment, in: block.address, end: block.end, fromTop: false) {
            return (payload, block.end)
        }
        let top = state.pointee.top
        let dirtyEnd = state.pointee.untouched
        if alignment <= Block.alignment {
            guard let payload = carveFromTop(size: size) else { return nil }
            return (payload, dirtyEnd)
        }
        guard let payload = place(size: size, alignment: alignment, in: top, end: state.pointee.end, fromTop: true)
        else { return nil }
        return (payload, dirtyEnd)
    }

    /// The common case of `place`: an unaligned block from the front of the top.
    @inline(__always)
    private static func carveFromTop(size: Int) -> UnsafeMutableRawPointer? {
        let block = Block(state.pointee.top)
        let blockEnd = block.address + size
        guard blockEnd <= state.pointee.end, Pool.reserve(block.address, blockEnd) else { return nil }
        block.setHeader(size: size, inUse: true, previousInUse: true)
        state.pointee.top = blockEnd
        if blockEnd > state.pointee.untouched { state.pointee.untouched = blockEnd }
        return block.payload
    }

    /// Carves a block of `size` bytes aligned to `alignment` out of the free
    /// run [start, end) (a free block, or the top), reserving file space before
    /// writing anything. Space in front of the block becomes a free block;
    /// space behind it goes back to the bins or stays top.
    private static func place(size: Int, alignment: Int, in start: UnsafeMutableRawPointer,
                              end: UnsafeMutableRawPointer, fromTop: Bool) -> UnsafeMutableRawPointer? {
        var payload = start + Block.headerSize
        if alignment > Block.alignment {
            payload = alignUp(payload, alignment)
            while payload - Block.headerSize != start && payload - Block.headerSize - start < Block.minimumSize {
                payload += alignment
            }
        }
        let block = Block(payload: payload)
        guard end - block.address >= size else { return nil }
        var blockEnd = block.address + size
        let leading = block.address - start
        var trailing = end - blockEnd
        if !fromTop && trailing < Block.minimumSize {
            blockEnd = end
            trailing = 0
        }
        guard Pool.reserve(block.address, blockEnd),
              leading == 0 || Pool.reserve(start, start + Block.minimumSize),
              fromTop || trailing == 0 || Pool.reserve(blockEnd, blockEnd + Block.minimumSize)
        else { return nil }

        if !fromTop { bins.remove(Block(start)) }
        let previousInUse = fromTop || Block(start).previousInUse
        if leading > 0 {
            let gap = Block(start)
            gap.setHeader(size: leading, inUse: false, previousInUse: previousInUse)
            bins.insert(gap)
            block.previousSize = leading
        }
        block.setHeader(size: blockEnd - block.address, inUse: true, previousInUse: leading == 0 && previousInUse)
        if fromTop {
            state.pointee.top = blockEnd
            if blockEnd > state.pointee.untouched { state.pointee.untouched = blockEnd }
        } else if trailing > 0 {
            let rest = Block(blockEnd)
            rest.setHeader(size: trailing, inUse: false, previousInUse: true)
            rest.next.previousSize = trailing
            bins.insert(rest)
        } else {
            block.next.setPreviousInUse(true)
        }
        return payload
    }

    @inline(__always)
    private static func alignUp(_ address: UnsafeMutableRawPointer, _ alignment: Int) -> UnsafeMutableRawPointer {
        let value = (UInt(bitPattern: address) + UInt(alignment) - 1) & ~(UInt(alignment) - 1)
        return UnsafeMutableRawPointer(bitPattern: value).unsafelyUnwrapped
    }

    // MARK: - Free

    /// Frees a block, merging it with free neighbours or into the top.
    private static func freeLocked(_ freed: Block) {
        var block = freed
        var size = block.size
        let previousInUse = block.previousInUse
        freed.erase()
        if !previousInUse {
            let previous = Block(block.address - block.previousSize)
            bins.remove(previous)
            size += previous.size
            block = previous
        }
        let next = Block(block.address + size)
        if next.address == state.pointee.top {
            state.pointee.top = block.address
            return
        }
        if !next.isInUse {
            bins.remove(next)
            size += next.size
        }
        block.setHeader(size: size, inUse: false, previousInUse: true)
        let after = block.next
        after.previousSize = size
        after.setPreviousInUse(false)
        bins.insert(block)
    }

    // MARK: - Resize

    /// Shrinks or grows `block` to `size` without moving it, if it can.
    private static func resizeInPlaceLocked(_ block: Block, to size: Int) -> Bool {
        let current = block.size
        if size <= current {
            if current - size >= Block.minimumSize {
                block.resize(size)
                let rest = Block(block.address + size)
                rest.setHeader(size: current - size, inUse: true, previousInUse: true)
                freeLocked(rest)
            }
            return true
        }
        let next = block.next
        let growth = size - current
        if next.address == state.pointee.top {
            guard state.pointee.end - next.address >= growth, Pool.reserve(next.address, block.address + size)
            else { return false }
            block.resize(size)
            state.pointee.top = block.address + size
            if state.pointee.top > state.pointee.untouched { state.pointee.untouched = state.pointee.top }
            return true
        }
        guard !next.isInUse, next.size >= growth else { return false }
        let available = current + next.size
        let keepsRest = available - size >= Block.minimumSize
        guard Pool.reserve(next.address, block.address + size),
              !keepsRest || Pool.reserve(block.address + size, block.address + size + Block.minimumSize)
        else { return false }
        bins.remove(next)
        if keepsRest {
            block.resize(size)
            let rest = Block(block.address + size)
            rest.setHeader(size: available - size, inUse: false, previousInUse: true)
            rest.next.previousSize = available - size
            bins.insert(rest)
        } else {
            block.resize(available)
            block.next.setPreviousInUse(true)
        }
        return true
    }
}
