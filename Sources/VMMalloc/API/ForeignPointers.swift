import Synchronization
import VMMallocShim

/// Pointers that did not come from the pool (for example from a library
/// opened with RTLD_DEEPBIND, which binds to libc's malloc) go back to the
/// allocator that made them, and never touch the pool.
enum ForeignPointers {
    /// libc's malloc_usable_size, looked up on first use.
    private static let usableSizeFunction = Atomic<UInt>(0)

    /// A block from the system allocator, for the calls the pool cannot serve
    /// (while it is being created, or in a process that cannot have one);
    /// nil where there is none.
    static func allocate(_ size: Int, alignment: Int, zeroed: Bool) -> UnsafeMutableRawPointer? {
        Log.say(.calls, "allocating from the system allocator (no pool yet, or none possible)")
        #if os(Linux)
        if alignment > 16 { return __libc_memalign(alignment, size) }
        return zeroed ? __libc_calloc(1, size) : __libc_malloc(size)
        #else
        return nil
        #endif
    }

    static func free(_ pointer: UnsafeMutableRawPointer) {
        #if os(Linux)
        __libc_free(pointer)
        #endif
        // Elsewhere there is no second allocator: the block is left alone.
    }

    static func reallocate(_ pointer: UnsafeMutableRawPointer, to size: Int) -> UnsafeMutableRawPointer? {
        #if os(Linux)
        return __libc_realloc(pointer, size)
        #else
        return nil
        #endif
    }

    static func usableSize(_ pointer: UnsafeMutableRawPointer) -> Int {
        typealias UsableSize = @convention(c) (UnsafeMutableRawPointer?) -> Int
        var address = usableSizeFunction.load(ordering: .relaxed)
        if address == 0 {
            address = UInt(bitPattern: vmm_next_symbol(cString("malloc_usable_size")))
            usableSizeFunction.store(address, ordering: .relaxed)
        }
        guard address != 0 else { return 0 }
        let function = unsafeBitCast(address, to: UsableSize.self)
        return function(pointer)
    }
}
