#if os(Linux)
import VMMallocShim

extension Platform {
    /// glibc's allocator serves pointers that did not come from the pool.
    static let hasForeignAllocator = true

    /// The mmap flag for a private mapping that commits no swap up front.
    static var noReserve: Int32 { MAP_NORESERVE }

    /// RLIMIT_NOFILE as getrlimit takes it.
    static var openFileResource: __rlimit_resource_t { RLIMIT_NOFILE }

    /// The calling thread, as a number that is never 0.
    static var currentThread: UInt { pthread_self() }

    /// The huge page size of the file open as `fd`, nil unless it is on hugetlbfs.
    static func hugePageSize(ofFile fd: Int32) -> Int? {
        var info = statfs()
        guard fstatfs(fd, &info) == 0 && UInt(bitPattern: Int(info.f_type)) & 0xffff_ffff == UInt(HUGETLBFS_MAGIC)
        else { return nil }
        return Int(info.f_bsize)
    }

    /// The file system of the file open as `fd`, nil when it cannot be examined.
    static func fileSystem(ofFile fd: Int32) -> FileSystem? {
        var info = statfs()
        guard fstatfs(fd, &info) == 0 else { return nil }
        let name: StaticString = switch UInt(bitPattern: Int(info.f_type)) & 0xffff_ffff {
        case UInt(TMPFS_MAGIC): "tmpfs"
        case UInt(HUGETLBFS_MAGIC): "hugetlbfs"
        case UInt(RAMFS_MAGIC): "ramfs"
        case UInt(EXT4_SUPER_MAGIC): "ext2/ext3/ext4"
        case UInt(XFS_SUPER_MAGIC): "xfs"
        case UInt(BTRFS_SUPER_MAGIC): "btrfs"
        case UInt(F2FS_SUPER_MAGIC): "f2fs"
        case 0x2fc1_2fc1: "zfs"
        case UInt(NFS_SUPER_MAGIC): "nfs"
        case UInt(OVERLAYFS_SUPER_MAGIC): "overlayfs"
        case UInt(FUSE_SUPER_MAGIC): "fuse"
        default: "other"
        }
        // The DAX state is per file (ext4 and xfs mounted with dax or dax=inode).
        var extended = statx()
        let isDAX = statx(fd, cString(""), AT_EMPTY_PATH, UInt32(STATX_BASIC_STATS), &extended) == 0
            && extended.stx_attributes_mask & UInt64(STATX_ATTR_DAX) != 0
            && extended.stx_attributes & UInt64(STATX_ATTR_DAX) != 0
        return FileSystem(name: name, isDAX: isDAX)
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
