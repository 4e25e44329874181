#if os(Linux)
import VMMallocShim

extension Platform {
    /// glibc's allocator serves pointers that did not come from the pool.
    static let hasForeignAllocator = true

    /// The calling thread, as a number that is never 0.
    static var currentThread: UInt { pthread_self() }

    /// The page size of the file open as `fd`: the huge page size on hugetlbfs.
    static func pageSize(ofFile fd: Int32) -> Int {
        var info = statfs()
        if fstatfs(fd, &info) == 0 && UInt(bitPattern: Int(info.f_type)) & 0xffff_ffff == UInt(HUGETLBFS_MAGIC) {
            return Int(info.f_bsize)
        }
        return pageSize
    }

    /// Opens an unnamed temporary file in `directory`: O_TMPFILE, or where the
    /// file system lacks it, mkstemp followed at once by unlink.
    static func createUnnamedFile(in directory: UnsafePointer<CChar>) -> Result<Int32, Errno> {
        let fd = vmm_open(directory, vmm_o_tmpfile() | O_RDWR | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { return .success(fd) }
        let reason = Errno.current
        // Only "this file system cannot do that" falls back; anything else is the answer.
        guard reason.rawValue == EOPNOTSUPP || reason.rawValue == EISDIR || reason.rawValue == EINVAL
        else { return .failure(reason) }
        return createNamedThenUnlink(in: directory)
    }

    /// Faults in [address, address+length) of a shared file mapping for
    /// writing, which allocates the file's space without a descriptor; fails
    /// (instead of a later SIGBUS) when the file system is full.
    static func populateForWriting(_ address: UnsafeMutableRawPointer, length: Int) -> Errno? {
        madvise(address, length, MADV_POPULATE_WRITE) == 0 ? nil : .current
    }

    /// Deallocates the file's blocks under [offset, offset+length); they read as zeros.
    static func punchHole(_ fd: Int32, offset: Int, length: Int) -> Errno? {
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(offset), off_t(length)) == 0 ? nil : .current
    }

    /// Deallocates the file blocks under a range of a shared mapping, without the descriptor.
    static func removeMapped(_ address: UnsafeMutableRawPointer, length: Int) -> Errno? {
        madvise(address, length, MADV_REMOVE) == 0 ? nil : .current
    }
}
#endif
