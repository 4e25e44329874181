/// A block of the heap: a 16-byte header, then the caller's bytes.
///
///     word 0: the size of the previous block, valid only while that one is free
///     word 1: a 16-bit check tag | this block's size (a multiple of 16, below
///             2^48) | inUse | previousInUse
///     free blocks only: next and previous links of their bin, in the payload
///
/// The tag, derived from the block's address, is set only while the block is
/// in use: a pointer the heap did not hand out, or one already freed, almost
/// never carries a valid tag, so free can refuse it before it corrupts anything.
///
/// Blocks tile the heap from its start to the top (the untouched rest of the
/// pool), so the next block is always `address + size`. Two free blocks are
/// never neighbours, and the block before the top is never free.
struct Block: Equatable {
    static let headerSize = 16
    static let minimumSize = 32
    static let alignment = 16

    private static let inUseFlag = 1
    private static let previousInUseFlag = 2
    private static let flagMask = 15
    /// Sizes stay below 2^48 (pools are at most 128 TiB); the tag sits above.
    private static let tagShift = 48
    private static let sizeMask = ((1 << tagShift) - 1) & ~flagMask

    let address: UnsafeMutableRawPointer

    init(_ address: UnsafeMutableRawPointer) { self.address = address }
    init(payload: UnsafeMutableRawPointer) { address = payload - Self.headerSize }

    /// The block size for a request of `bytes`, nil when it cannot exist
    /// (a size_t above Int.max arrives here negative).
    @inline(__always)
    static func size(forRequest bytes: Int) -> Int? {
        guard UInt(bitPattern: bytes) <= UInt(Int.max / 2) else { return nil }
        let size = (bytes + headerSize + alignment - 1) & ~(alignment - 1)
        return size < minimumSize ? minimumSize : size
    }

    var payload: UnsafeMutableRawPointer { address + Self.headerSize }

    private var word: Int {
        get { address.load(fromByteOffset: 8, as: Int.self) }
        nonmutating set { address.storeBytes(of: newValue, toByteOffset: 8, as: Int.self) }
    }

    var size: Int { word & Self.sizeMask }
    var isInUse: Bool { word & Self.inUseFlag != 0 }

    /// The check tag of a block in use at this address, in place.
    private var tag: Int {
        let mixed = (UInt(bitPattern: address) >> 4) &* 0x9E37_79B9_7F4A_7C15
        return Int(bitPattern: mixed >> UInt(Int.bitWidth - 16)) << Self.tagShift
    }

    /// Whether the header is that of a block in use at this address.
    var hasInUseTag: Bool {
        word & ~Self.sizeMask & ~Self.previousInUseFlag == tag | Self.inUseFlag
    }

    /// Forgets the header, so the address no longer passes for a block in use.
    func erase() { word = 0 }
    var previousInUse: Bool { word & Self.previousInUseFlag != 0 }
    var end: UnsafeMutableRawPointer { address + size }
    var next: Block { Block(end) }

    /// Sets size and both flags at once.
    func setHeader(size: Int, inUse: Bool, previousInUse: Bool) {
        word = size | (inUse ? tag | Self.inUseFlag : 0) | (previousInUse ? Self.previousInUseFlag : 0)
    }

    /// Changes the size, keeping the flags and the tag.
    func resize(_ size: Int) {
        word = size | (word & ~Self.sizeMask)
    }

    func setPreviousInUse(_ value: Bool) {
        word = value ? word | Self.previousInUseFlag : word & ~Self.previousInUseFlag
    }

    /// The size of the free block before this one (valid when !previousInUse).
    var previousSize: Int {
        get { address.load(as: Int.self) }
        nonmutating set { address.storeBytes(of: newValue, as: Int.self) }
    }

    var nextFree: UnsafeMutableRawPointer? {
        get { address.load(fromByteOffset: 16, as: UnsafeMutableRawPointer?.self) }
        nonmutating set { address.storeBytes(of: newValue, toByteOffset: 16, as: UnsafeMutableRawPointer?.self) }
    }

    var previousFree: UnsafeMutableRawPointer? {
        get { address.load(fromByteOffset: 24, as: UnsafeMutableRawPointer?.self) }
        nonmutating set { address.storeBytes(of: newValue, toByteOffset: 24, as: UnsafeMutableRawPointer?.self) }
    }
}
