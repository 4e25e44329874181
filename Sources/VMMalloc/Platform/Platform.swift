import VMMallocShim

/// The operating system as the pool sees it: system calls wrapped once, with
/// failures returned as an errno value instead of -1 plus a global.
///
/// What differs between systems is declared here as capabilities; the core
/// asks for a capability, never for an OS name. The per-system halves live in
/// `Linux.swift` and `FreeBSD.swift`; `Platform` itself, `Errno`, `write` and
/// what the configuration needs are in the VMMallocConfig module.
extension Platform {
    /// What mmap returns on failure.
    static var mapFailed: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: -1) }

    /// The size of a base page.
    static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    static func close(_ fd: Int32) { withoutCancellation { _ = VMMallocShim.close(fd) } }

    /// Opens the file at `path`, created if needed, for appending lines to it.
    static func openForAppending(_ path: UnsafePointer<CChar>) -> Result<Int32, Errno> {
        let fd = withoutCancellation { vmm_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        return fd >= 0 ? .success(keepOutOfTheWay(fd)) : .failure(.current)
    }

    static var processID: Int { Int(getpid()) }

    /// Moves a descriptor the library keeps for the whole run out of the
    /// numbers programs pick themselves (shells' `exec 3>file`, a program's
    /// own `dup2(pipe, 3)`): to the lowest free number from seven eighths of
    /// the open-file limit (at most 1024) up, closing the old number. A
    /// program that took the old number over would otherwise close the
    /// pool's file, or have the log written into its own file. Returns `fd`
    /// unchanged where no such number is free, and under a limit below 256:
    /// a program that lowered it that far uses the numbers just under it
    /// itself (it may have inherited descriptors up to there), and the
    /// lowest free one is the least likely to be in its way.
    static func keepOutOfTheWay(_ fd: Int32) -> Int32 {
        var limit = rlimit()
        guard getrlimit(openFileResource, &limit) == 0, UInt64(limit.rlim_cur) >= 256 else { return fd }
        let ceiling = UInt64(limit.rlim_cur) < 1024 ? Int32(limit.rlim_cur) : 1024
        let least = ceiling - ceiling / 8
        guard least > fd else { return fd }
        let moved = vmm_dup_at_least(fd, least)
        guard moved >= 0 else { return fd }
        Platform.close(fd)
        return moved
    }

    /// A close-on-exec copy of `fd`, numbered as `keepOutOfTheWay` numbers
    /// the library's descriptors; nil when none can be made (`fd` is closed).
    static func keepCopy(of fd: Int32) -> Int32? {
        let copy = vmm_dup_at_least(fd, 3)
        return copy >= 0 ? keepOutOfTheWay(copy) : nil
    }

    /// Which file an open descriptor refers to.
    struct FileIdentity: Equatable {
        var device: UInt64 = 0
        var inode: UInt64 = 0
    }

    /// The identity of the file open as `fd`, nil if `fd` is not open.
    static func identity(of fd: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    static func setFileSize(_ fd: Int32, _ size: Int) -> Errno? {
        ftruncate(fd, off_t(size)) == 0 ? nil : .current
    }

    /// Allocates the file's blocks for [offset, offset+length), so later stores
    /// through a shared mapping cannot fail for lack of space.
    static func reserveSpace(_ fd: Int32, offset: Int, length: Int) -> Errno? {
        while true {
            let rc = posix_fallocate(fd, off_t(offset), off_t(length))
            if rc == 0 { return nil }
            if rc == EINTR { continue }
            return Errno(rawValue: rc)
        }
    }

    /// The page size of the file open as `fd`: the huge page size on hugetlbfs.
    static func pageSize(ofFile fd: Int32) -> Int { hugePageSize(ofFile: fd) ?? pageSize }

    /// Bytes an unprivileged writer may still allocate on the file system of
    /// `fd` (on hugetlbfs, in the huge pages the system has free).
    static func freeSpace(_ fd: Int32) -> Int? {
        var info = statvfs()
        guard fstatvfs(fd, &info) == 0 else { return nil }
        return freeSpace(info, hugePageSize: hugePageSize(ofFile: fd))
    }

    /// The flags of a shared mapping of the pool file. MAP_NORESERVE matters
    /// on hugetlbfs alone, which would otherwise set aside huge pages for the
    /// whole mapping at once: the file's space is reserved (fallocate) as the
    /// heap reaches it, there as everywhere, so a large pool costs nothing
    /// until used and running out of huge pages is ENOMEM, not SIGBUS.
    static var sharedFileMapping: Int32 { MAP_SHARED | noReserve }

    /// Maps `length` bytes of the pool file `fd` at an address aligned to `alignment`.
    static func mapAligned(_ fd: Int32, length: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        let span = length + alignment
        guard let reservation = mmap(nil, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | noReserve, -1, 0),
              reservation != Platform.mapFailed
        else { return nil }
        let start = UInt(bitPattern: reservation)
        let aligned = (start + UInt(alignment) - 1) & ~(UInt(alignment) - 1)
        let head = Int(aligned - start)
        guard let mapped = mmap(UnsafeMutableRawPointer(bitPattern: aligned), length,
                                PROT_READ | PROT_WRITE, sharedFileMapping | MAP_FIXED, fd, 0),
              mapped != Platform.mapFailed
        else {
            _ = munmap(reservation, span)
            return nil
        }
        if head > 0 { _ = munmap(reservation, head) }
        let tail = span - head - length
        if tail > 0 { _ = munmap(mapped + length, tail) }
        return mapped
    }

    /// Replaces the mapping at `address` by a mapping of `fd`, shared or private.
    static func remap(_ address: UnsafeMutableRawPointer, length: Int, fd: Int32, shared: Bool) -> Bool {
        let flags = (shared ? sharedFileMapping : (MAP_PRIVATE | noReserve)) | MAP_FIXED
        let mapped = mmap(address, length, PROT_READ | PROT_WRITE, flags, fd, 0)
        return mapped == address
    }

    /// A coarse monotonic clock in milliseconds (wraps after 49 days; compare differences).
    static var coarseMilliseconds: UInt32 { vmm_coarse_milliseconds() }

    /// Drops the pages of [address, address+length) of a private mapping; they
    /// read as the file's contents again.
    static func discard(_ address: UnsafeMutableRawPointer, length: Int) {
        _ = madvise(address, length, MADV_DONTNEED)
    }

    /// Lets another thread run (a waiter that lost a race at start-up).
    static func yieldToOS() { _ = sched_yield() }

    /// mkstemp in `directory`, then unlink, so that nobody sees the file.
    static func createNamedThenUnlink(in directory: UnsafePointer<CChar>) -> Result<Int32, Errno> {
        let suffix: StaticString = "/.vmmalloc.XXXXXX"
        let length = strlen(directory)
        guard length + suffix.utf8CodeUnitCount < Int(PATH_MAX) else { return .failure(Errno(rawValue: ENAMETOOLONG)) }
        var template = StackBuffer()
        return template.withBytes { buffer in
            memcpy(buffer.baseAddress!, directory, length)
            memcpy(buffer.baseAddress! + length, suffix.utf8Start, suffix.utf8CodeUnitCount)
            buffer[length + suffix.utf8CodeUnitCount] = 0
            let path = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            let fd = mkostemp(path, O_CLOEXEC)
            guard fd >= 0 else { return .failure(.current) }
            _ = unlink(path)
            return .success(fd)
        }
    }
}
