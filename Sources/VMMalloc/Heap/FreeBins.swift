/// The free blocks of the heap, sorted by size into bins.
///
/// Bins 2...64 hold one exact size each (32 to 1024 bytes, in steps of 16);
/// above that, four bins per power of two. A bitmap of non-empty bins finds
/// the next bin that can serve a request in a few instructions.
struct FreeBins {
    static let count = 256
    private static let smallLimit = 1024
    private static let firstLargeBin = 65

    /// Bytes of pool metadata the bins need: heads, then the bitmap.
    static let storageSize = count * 8 + count / 8

    private let heads: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let map: UnsafeMutablePointer<UInt64>

    init(storage: UnsafeMutableRawPointer) {
        heads = storage.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        map = (storage + Self.count * 8).assumingMemoryBound(to: UInt64.self)
    }

    /// The bin of a block of `size` bytes.
    @inline(__always)
    static func index(forSize size: Int) -> Int {
        if size <= smallLimit { return size >> 4 }
        let log = Int.bitWidth - 1 - size.leadingZeroBitCount
        let quarter = (size >> (log - 2)) & 3
        let index = firstLargeBin + (log - 10) * 4 + quarter
        return index < count ? index : count - 1
    }

    /// Whether every block in bin `index` is at least `size` bytes.
    @inline(__always)
    private static func binServesAll(_ index: Int, size: Int) -> Bool {
        size <= smallLimit || index > Self.index(forSize: size)
    }

    func insert(_ block: Block) {
        let index = Self.index(forSize: block.size)
        let head = heads[index]
        block.nextFree = head
        block.previousFree = nil
        if let head { Block(head).previousFree = block.address }
        heads[index] = block.address
        map[index >> 6] |= 1 << UInt64(index & 63)
    }

    func remove(_ block: Block) {
        let next = block.nextFree
        let previous = block.previousFree
        if let next { Block(next).previousFree = previous }
        if let previous {
            Block(previous).nextFree = next
        } else {
            let index = Self.index(forSize: block.size)
            heads[index] = next
            if next == nil { map[index >> 6] &= ~(1 << UInt64(index & 63)) }
        }
    }

    /// A free block of at least `size` bytes, left in its bin: the best fit in
    /// the request's own bin, else the first block of the next non-empty bin.
    func find(atLeast size: Int) -> Block? {
        let index = Self.index(forSize: size)
        if let head = heads[index] {
            if Self.binServesAll(index, size: size) { return Block(head) }
            var best: Block?
            var cursor: UnsafeMutableRawPointer? = head
            while let address = cursor {
                let block = Block(address)
                if block.size >= size && (best == nil || block.size < best.unsafelyUnwrapped.size) {
                    best = block
                    if block.size == size { break }
                }
                cursor = block.nextFree
            }
            if let best { return best }
        }
        guard let next = firstNonEmpty(after: index) else { return nil }
        return Block(heads[next].unsafelyUnwrapped)
    }

    private func firstNonEmpty(after index: Int) -> Int? {
        let first = index + 1
        guard first < Self.count else { return nil }
        var word = first >> 6
        var bits = map[word] & (~0 << UInt64(first & 63))
        while bits == 0 {
            word += 1
            if word == Self.count / 64 { return nil }
            bits = map[word]
        }
        return word * 64 + bits.trailingZeroBitCount
    }
}
