#if os(FreeBSD)
import VMMallocShim

extension Platform {
    /// FreeBSD has no copy-on-fork of the pool file (VMMALLOC_FORK 2 and 3).
    static let canCopyPoolForFork = false

    /// libc has no second allocator to hand foreign pointers to.
    static let hasForeignAllocator = false

    static var fileSizeResource: Int32 { RLIMIT_FSIZE }

    static var currentThread: UInt { UInt(bitPattern: pthread_self()) }

    static func fileSystem(of fd: Int32) -> FileSystem {
        var info = statfs()
        guard fstatfs(fd, &info) == 0 else { return FileSystem(kind: .other, pageSize: pageSize) }
        let isTmpfs = withUnsafeBytes(of: &info.f_fstypename) { name in
            name.count >= 6 && name[0] == 0x74 && name[1] == 0x6d && name[2] == 0x70
                && name[3] == 0x66 && name[4] == 0x73 && name[5] == 0
        }
        return FileSystem(kind: isTmpfs ? .tmpfs : .other, pageSize: pageSize)
    }

    /// Opens an unnamed temporary file in `directory`: mkstemp, then unlink.
    static func createUnnamedFile(in directory: UnsafePointer<CChar>) -> Result<Int32, Errno> {
        createNamedThenUnlink(in: directory)
    }

    static func populateForWriting(_ address: UnsafeMutableRawPointer, length: Int) -> Errno? {
        .unsupported
    }

    static func describe(_ error: Errno) -> UnsafePointer<CChar>? {
        UnsafePointer(strerror(error.rawValue))
    }
}
#endif
