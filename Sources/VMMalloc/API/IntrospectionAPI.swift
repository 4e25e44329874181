import VMMallocShim

// glibc's introspection calls (mallinfo2, mallinfo, malloc_trim,
// malloc_stats, malloc_info, mallopt) and libvmmalloc.h's own
// vmmalloc_stats_get, answered from the pool. Each gathers its figures first
// (`Figures.gather`, which holds a lock of the heap only while it reads) and
// only then writes or returns them: malloc_info's stream may allocate.
// libvmmalloc(7) says what every field means.

@_cdecl("vmm_stats_get")
func vmmStatsGet(_ stats: UnsafeMutablePointer<vmm_stats>?) -> Int32 {
    let sizeField = MemoryLayout<Int>.size
    guard let stats, stats.pointee.size >= 2 * sizeField else {
        vmm_set_errno(EINVAL)
        return -1
    }
    guard Pool.ensureCreated() else {
        vmm_set_errno(ENOSYS)
        return -1
    }
    let savedErrno = vmm_errno()
    let figures = Figures.gather()
    let heap = figures.heap
    var all = vmm_stats()
    all.size = MemoryLayout<vmm_stats>.size
    all.pool_size = Int(Pool.length)
    all.pool_in_use = heap.poolInUse
    all.pool_peak_in_use = heap.poolInUsePeak
    all.pool_metadata = heap.metadataBytes
    all.pool_free = heap.freeBytes
    all.pool_largest_free = heap.largestFreeExtent
    all.free_extents = heap.freeExtents
    all.allocated_bytes = heap.bytesInUse
    all.allocated_blocks = heap.blocksInUse
    all.large_blocks = heap.largeBlocks
    all.large_bytes = heap.largeBytes
    all.huge_blocks = heap.hugeBlocks
    all.huge_bytes = heap.hugeBytes
    all.huge_threshold = heap.hugeSize
    all.refused = figures.refused
    all.threads = heap.threadCount ?? 0
    all.forks = figures.forks ?? -1  // SIZE_MAX: not counted
    // What the caller's structure has room for, the size field excepted.
    let filled = stats.pointee.size < all.size ? stats.pointee.size : all.size
    withUnsafeBytes(of: &all) { source in
        _ = memcpy(UnsafeMutableRawPointer(stats) + sizeField, source.baseAddress! + sizeField, filled - sizeField)
    }
    stats.pointee.size = filled
    vmm_set_errno(savedErrno)
    return 0
}

/// mallinfo2's fields from the figures (libvmmalloc(7) gives each one's meaning).
private func mallinfo(from figures: Figures) -> vmm_mallinfo2 {
    let heap = figures.heap
    var info = vmm_mallinfo2()
    info.arena = heap.poolInUse
    info.ordblks = heap.freeExtents
    info.hblks = heap.hugeBlocks
    info.hblkhd = heap.hugeBytes
    info.usmblks = heap.poolInUsePeak
    info.uordblks = heap.bytesInUse
    info.fordblks = heap.freeBytes
    info.keepcost = heap.topFreeBytes
    return info
}

/// The figures now, or none (all zero) in a process without a pool.
private func currentFigures() -> Figures {
    guard Pool.ensureCreated() else { return Figures() }
    let savedErrno = vmm_errno()
    defer { vmm_set_errno(savedErrno) }
    return Figures.gather()
}

@_cdecl("vmm_mallinfo2")
func vmmMallinfo2(_ info: UnsafeMutablePointer<vmm_mallinfo2>) {
    info.pointee = mallinfo(from: currentFigures())
}

/// mallinfo: mallinfo2's fields, each clamped to INT_MAX (glibc lets them wrap).
@_cdecl("vmm_mallinfo")
func vmmMallinfo(_ info: UnsafeMutablePointer<vmm_mallinfo>) {
    let wide = mallinfo(from: currentFigures())
    func clamped(_ value: Int) -> Int32 { value > Int(Int32.max) ? Int32.max : Int32(value) }
    info.pointee = vmm_mallinfo(arena: clamped(wide.arena), ordblks: clamped(wide.ordblks), smblks: clamped(wide.smblks),
                                hblks: clamped(wide.hblks), hblkhd: clamped(wide.hblkhd), usmblks: clamped(wide.usmblks),
                                fsmblks: clamped(wide.fsmblks), uordblks: clamped(wide.uordblks),
                                fordblks: clamped(wide.fordblks), keepcost: clamped(wide.keepcost))
}

/// malloc_trim: the heaps give their free blocks and empty pages back to the
/// pool (as before ENOMEM), and every free span gives its file space back now,
/// but the first `pad` bytes of the free top of the pool. 1 when any space went back.
@_cdecl("vmm_malloc_trim")
func vmmMallocTrim(_ pad: Int) -> Int32 {
    guard Pool.ensureCreated() else { return 0 }
    let savedErrno = vmm_errno()
    defer { vmm_set_errno(savedErrno) }
    Heap.reclaim(heapLocked: false)
    let lock = Extents.lock
    let held = lock.lock()
    let released = Platform.withoutCancellation { Extents.purgeAllLocked(keep: pad < 0 ? Int.max : pad) }
    if held { lock.unlock() }
    return released ? 1 : 0
}

/// malloc_stats: the summary, in its text form, on standard error.
@_cdecl("vmm_malloc_stats")
func vmmMallocStats() {
    guard Pool.ensureCreated() else { return }
    let savedErrno = vmm_errno()
    defer { vmm_set_errno(savedErrno) }
    Statistics.write(Figures.gather(), to: 2, when: " at malloc_stats()")
}

/// mallopt: 1 for glibc's tuning parameters, which the pool decides for
/// itself (accepted, no effect; M_MXFAST only with a value glibc accepts),
/// 0 for those asking for a behaviour it does not have (M_CHECK_ACTION,
/// M_PERTURB) and for anything else.
@_cdecl("vmm_mallopt")
func vmmMallopt(_ parameter: Int32, _ value: Int32) -> Int32 {
    enum Parameter {
        static let maxFast: Int32 = 1, trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapThreshold: Int32 = -3
        static let mmapMax: Int32 = -4, arenaTest: Int32 = -7, arenaMax: Int32 = -8
    }
    switch parameter {
    case Parameter.maxFast:
        return value >= 0 && value <= Int32(80 * MemoryLayout<Int>.size / 4) ? 1 : 0
    case Parameter.trimThreshold, Parameter.topPad, Parameter.mmapThreshold, Parameter.mmapMax,
         Parameter.arenaTest, Parameter.arenaMax:
        return 1
    default:
        return 0
    }
}

/// malloc_info: the figures as glibc's XML document (`MallocInfo`); options
/// other than 0 are refused with EINVAL, as glibc does.
@_cdecl("vmm_malloc_info")
func vmmMallocInfo(_ options: Int32, _ stream: UnsafeMutableRawPointer?) -> Int32 {
    guard options == 0, let stream else {
        vmm_set_errno(EINVAL)
        return -1
    }
    return MallocInfo.write(currentFigures(), to: stream)
}
