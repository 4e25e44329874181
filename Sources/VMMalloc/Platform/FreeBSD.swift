#if os(FreeBSD)
import VMMallocShim

extension Platform {
    /// libc has no second allocator to hand foreign pointers to.
    static let hasForeignAllocator = false

    /// FreeBSD has no MAP_NORESERVE; by default (vm.overcommit 0) it does not
    /// refuse a private mapping for lack of swap.
    static var noReserve: Int32 { 0 }

    /// RLIMIT_NOFILE as getrlimit takes it.
    static var openFileResource: Int32 { RLIMIT_NOFILE }

    static var currentThread: UInt { UInt(bitPattern: pthread_self()) }

    /// FreeBSD has no hugetlbfs.
    static func hugePageSize(ofFile fd: Int32) -> Int? { nil }

    /// The file system of the file open as `fd`, nil when it cannot be examined.
    static func fileSystem(ofFile fd: Int32) -> FileSystem? {
        var info = statfs()
        guard fstatfs(fd, &info) == 0 else { return nil }
        let name: StaticString = withUnsafeBytes(of: &info.f_fstypename) { bytes in
            let type = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
            if strcmp(type, cString("tmpfs")) == 0 { return "tmpfs" }
            if strcmp(type, cString("ufs")) == 0 { return "ufs" }
            if strcmp(type, cString("zfs")) == 0 { return "zfs" }
            return "other"
        }
        return FileSystem(name: name, isDAX: false)
    }

    /// Opens an unnamed temporary file in `directory`: mkstemp, then unlink.
    static func createUnnamedFile(in directory: UnsafePointer<CChar>) -> Result<Int32, Errno> {
        createNamedThenUnlink(in: directory)
    }

    static func populateForWriting(_ address: UnsafeMutableRawPointer, length: Int) -> Errno? {
        .unsupported
    }

    /// Deallocates the file's blocks under [offset, offset+length) (fspacectl, FreeBSD 14).
    static func punchHole(_ fd: Int32, offset: Int, length: Int) -> Errno? {
        var range = spacectl_range(r_offset: off_t(offset), r_len: off_t(length))
        return fspacectl(fd, SPACECTL_DEALLOC, &range, 0, nil) == 0 ? nil : .current
    }

    /// FreeBSD cannot deallocate file blocks through a mapping.
    static func removeMapped(_ address: UnsafeMutableRawPointer, length: Int) -> Errno? {
        .unsupported
    }
}
#endif
