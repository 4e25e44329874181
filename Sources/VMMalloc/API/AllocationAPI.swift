import VMMallocShim

// The allocation API as glibc documents it, called by the exported C names in
// the shim. Every call makes sure the pool exists, routes pointers that are
// not the pool's to their own allocator, and sets errno only on failure.

/// Fails a call the pool cannot serve: NULL with ENOMEM.
@inline(never)
private func outOfMemory() -> UnsafeMutableRawPointer? {
    Usage.refuse()
    vmm_set_errno(ENOMEM)
    return nil
}

@inline(never)
private func invalidArgument(function: StaticString = #function) -> UnsafeMutableRawPointer? {
    Log.error("the call fails", Platform.Errno.invalidArgument, function: function)
    vmm_set_errno(EINVAL)
    return nil
}

/// posix_memalign's EINVAL (a bad alignment), which it returns without setting errno.
@inline(never)
private func invalidAlignment(function: StaticString = #function) -> Int32 {
    Log.error("the call fails", Platform.Errno.invalidArgument, function: function)
    return EINVAL
}

/// Every allocation: from the pool, or NULL with ENOMEM when it is full.
@inline(__always)
private func allocate(_ size: Int, alignment: Int, zeroed: Bool, file: StaticString = #fileID, line: UInt = #line,
                      function: StaticString = #function) -> UnsafeMutableRawPointer? {
    // The debug variant takes the slow path every time, where each call is checked and traced.
    if !Variant.isDebug, let pointer = Heap.allocateFast(size, alignment: alignment) {
        if zeroed { memset(pointer, 0, size) }
        return pointer
    }
    return allocateSlow(size, alignment: alignment, zeroed: zeroed, file: file, line: line, function: function)
}

@inline(never)
private func allocateSlow(_ size: Int, alignment: Int, zeroed: Bool, file: StaticString, line: UInt,
                          function: StaticString) -> UnsafeMutableRawPointer? {
    guard Pool.ensureCreated() else {
        return ForeignPointers.allocate(size, alignment: alignment, zeroed: zeroed) ?? outOfMemory()
    }
    if Memcheck.isRunning {
        return MemcheckAPI.allocate(size, alignment: alignment, zeroed: zeroed, file: file, line: line, function: function)
            ?? outOfMemory()
    }
    let result = Heap.allocate(size, alignment: alignment, zeroed: zeroed)
    Trace.allocated(size, alignment: alignment, result, file: file, line: line, function: function)
    return result ?? outOfMemory()
}

@_cdecl("vmm_initialize")
func vmmInitialize() {
    _ = Pool.ensureCreated()
}

@_cdecl("vmm_finalize")
func vmmFinalize() {
    if Memcheck.isRunning { MemcheckAPI.sayIfReplaced() }
    Memcheck.quietly { Statistics.reportAtExit() }
}

@_cdecl("vmm_malloc")
@inline(__always)  // the body in the C entry point itself, not behind a jump
func vmmMalloc(_ size: Int) -> UnsafeMutableRawPointer? {
    allocate(size, alignment: 16, zeroed: false)
}

@_cdecl("vmm_calloc")
@inline(__always)  // the body in the C entry point itself, not behind a jump
func vmmCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    let (bytes, overflow) = UInt(bitPattern: count).multipliedReportingOverflow(by: UInt(bitPattern: size))
    guard !overflow, bytes <= UInt(Int.max) else { return callocRefused(count, size, overflows: overflow) }
    return allocate(Int(bytes), alignment: 16, zeroed: true)
}

/// calloc of a count and size whose product no pool holds: NULL with ENOMEM.
@inline(never)
private func callocRefused(_ count: Int, _ size: Int, overflows: Bool) -> UnsafeMutableRawPointer? {
    Trace.callocRefused(count, size, overflows: overflows, function: "vmmCalloc(_:_:)")
    return outOfMemory()
}

/// Says, in one line, that a call got a pointer the pool never handed out
/// (or one already freed), which is then left alone. The debug variant stops
/// there instead, with the place of the call.
@inline(never)
private func reportBadPointer(_ call: StaticString, _ pointer: UnsafeMutableRawPointer,
                              file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
    vmmAssert(false, "not a block in use from the pool (freed twice, or never allocated)", pointer,
              file: file, line: line, function: function)
    var message = Message("libvmmalloc: ")
    message.append(call)
    message.append("(")
    message.append(pointer: pointer)
    message.append("): not a block in use from the pool (freed twice, or never allocated); ignored")
    message.writeLine()
}

@_cdecl("vmm_free")
@inline(__always)  // the body in the C entry point itself, not behind a jump
func vmmFree(_ pointer: UnsafeMutableRawPointer?) {
    // The debug variant takes the slow path every time, where each call is checked and traced.
    // NULL is not in the pool (which never starts at address 0): the slow path returns at once.
    if !Variant.isDebug && Pool.contains(address: UInt(bitPattern: pointer)) && Heap.freeFast(pointer.unsafelyUnwrapped) {
        return
    }
    freeSlow(pointer)
}

/// Every free the fast path leaves: NULL, foreign pointers, bad pointers,
/// large blocks, a full class cache; all of them in the debug variant.
@inline(never)
private func freeSlow(_ pointer: UnsafeMutableRawPointer?, file: StaticString = #fileID, line: UInt = #line,
                      function: StaticString = #function) {
    guard let pointer else { return }
    guard Pool.contains(pointer) else { return ForeignPointers.free(pointer) }
    if Memcheck.isRunning {
        if !MemcheckAPI.free(pointer, file: file, line: line, function: function) {
            reportBadPointer("free", pointer, file: file, line: line, function: function)
        }
        return
    }
    Trace.freeing(pointer, file: file, line: line, function: function)
    if !Heap.freeSlow(pointer) { reportBadPointer("free", pointer, file: file, line: line, function: function) }
}

@_cdecl("vmm_realloc")
func vmmRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    guard let pointer else { return vmmMalloc(size) }
    guard Pool.contains(pointer) else { return ForeignPointers.reallocate(pointer, to: size) }
    if Memcheck.isRunning { return reallocateUnderMemcheck(pointer, to: size) }
    if size == 0 {
        // glibc frees the block and returns NULL.
        Trace.freeing(pointer)
        if !Heap.free(pointer) { reportBadPointer("realloc", pointer) }
        return nil
    }
    let oldSize = Trace.sizeBeforeResize(pointer)
    switch Heap.reallocate(pointer, to: size) {
    case .done(let moved):
        Trace.resized(pointer, from: oldSize, to: size, moved)
        return moved
    case .outOfMemory:
        Trace.resized(pointer, from: oldSize, to: size, nil)
        return outOfMemory()
    case .notABlock:
        reportBadPointer("realloc", pointer)
        return invalidArgument()
    }
}

@inline(never)
private func reallocateUnderMemcheck(_ pointer: UnsafeMutableRawPointer, to size: Int) -> UnsafeMutableRawPointer? {
    switch MemcheckAPI.reallocate(pointer, to: size) {
    case .done(let result):
        return result
    case .outOfMemory:
        return outOfMemory()
    case .notABlock:
        reportBadPointer("realloc", pointer)
        return invalidArgument()
    }
}

@_cdecl("vmm_malloc_usable_size")
func vmmMallocUsableSize(_ pointer: UnsafeMutableRawPointer?) -> Int {
    guard let pointer else { return 0 }
    guard Pool.contains(pointer) else { return ForeignPointers.usableSize(pointer) }
    guard let size = Memcheck.isRunning ? MemcheckAPI.usableSize(pointer) : Heap.usableSize(pointer) else {
        reportBadPointer("malloc_usable_size", pointer)
        return 0
    }
    return size
}

/// An allocation aligned to `alignment`, a power of two (2⁶³, a size_t
/// beyond Int.max, is valid and fails for lack of room, as in glibc).
private func allocateAligned(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    guard alignment > 0 else {
        Trace.allocated(size, alignment: alignment, nil, file: #fileID, line: #line, function: #function)
        return outOfMemory()
    }
    return allocate(size, alignment: alignment < 16 ? 16 : alignment, zeroed: false)
}

/// Whether a size_t is a power of two.
private func isPowerOfTwo(_ value: Int) -> Bool {
    UInt(bitPattern: value).nonzeroBitCount == 1
}

@_cdecl("vmm_posix_memalign")
func vmmPosixMemalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ alignment: Int, _ size: Int) -> Int32 {
    guard let result, isPowerOfTwo(alignment), alignment % MemoryLayout<UnsafeRawPointer>.size == 0 else {
        return invalidAlignment()
    }
    let savedErrno = vmm_errno()
    guard let pointer = allocateAligned(alignment, size) else {
        vmm_set_errno(savedErrno)
        return ENOMEM
    }
    result.pointee = pointer
    return 0
}

@_cdecl("vmm_aligned_alloc")
func vmmAlignedAlloc(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    guard isPowerOfTwo(alignment) else { return invalidArgument() }
    return allocateAligned(alignment, size)
}

@_cdecl("vmm_memalign")
func vmmMemalign(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    // glibc rounds an alignment that is not a power of two up to the next
    // one, and refuses one beyond SIZE_MAX / 2 + 1 (2⁶³), which it cannot round.
    let requested = UInt(bitPattern: alignment)
    guard requested <= UInt(1) << 63 else { return invalidArgument() }
    var rounded: UInt = 1
    while rounded < requested { rounded <<= 1 }
    return allocateAligned(Int(bitPattern: rounded), size)
}

@_cdecl("vmm_valloc")
func vmmValloc(_ size: Int) -> UnsafeMutableRawPointer? {
    allocateAligned(Platform.pageSize, size)
}

@_cdecl("vmm_pvalloc")
func vmmPvalloc(_ size: Int) -> UnsafeMutableRawPointer? {
    let page = Platform.pageSize
    guard UInt(bitPattern: size) <= UInt(Int.max - page) else { return outOfMemory() }
    let rounded = size == 0 ? page : (size + page - 1) & ~(page - 1)
    return allocateAligned(page, rounded)
}
