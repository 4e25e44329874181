import VMMallocShim

/// The unnamed file behind the pool: created in VMMALLOC_POOL_DIR, sized,
/// never visible to anybody, and gone with the last descriptor and mapping.
struct BackingFile {
    /// The descriptor (a new file in a child of fork mode 2 or 3).
    private(set) var fd: Int32 = -1
    /// The file `fd` must still refer to: a program may close descriptors it
    /// did not open, and reuse their numbers for files of its own.
    private var identity = Platform.FileIdentity()
    /// Whether the pool is still a shared mapping of the file (false once
    /// fork mode 1 has made it private: its pages then come from memory).
    var isShared = true
    /// Whether the file is on hugetlbfs: its space is huge pages, taken from
    /// the system's free ones as the file gets them.
    private(set) var isHugetlbfs = false

    /// No file yet, before the pool exists.
    init() {}

    private init(fd: Int32) {
        self.fd = fd
        identity = Platform.identity(of: fd) ?? Platform.FileIdentity()
        isHugetlbfs = Platform.hugePageSize(ofFile: fd) != nil
    }

    /// A new, empty, unnamed file in `directory`.
    static func open(in directory: UnsafePointer<CChar>) -> Result<BackingFile, Platform.Errno> {
        Platform.withoutCancellation { Platform.createUnnamedFile(in: directory) }
            .map { BackingFile(fd: Platform.keepOutOfTheWay($0)) }
    }

    enum SizingFailure: Error {
        case overFileSizeLimit(Int)
        case noRoom(free: Int)
        case cannotSize(Platform.Errno)

        /// The errno value that says the same.
        var errno: Platform.Errno {
            switch self {
            case .overFileSizeLimit: .fileTooLarge
            case .noRoom: .noSpace
            case .cannotSize(let error): error
            }
        }
    }

    /// Gives the (sparse) file its size, after checking it against the file
    /// size limit and that the file system has `roomNeeded` bytes free.
    func setSize(_ size: Int, roomNeeded: Int) -> SizingFailure? {
        if let limit = Platform.fileSizeLimit, limit < size { return .overFileSizeLimit(limit) }
        if let free = freeSpace, free < roomNeeded { return .noRoom(free: free) }
        if let error = Platform.setFileSize(fd, size) { return .cannotSize(error) }
        return nil
    }

    /// The page size of the file: the huge page size on hugetlbfs.
    var pageSize: Int { Platform.pageSize(ofFile: fd) }

    /// Whether `fd` still refers to the pool's file.
    var isStillOpen: Bool { Platform.identity(of: fd) == identity }

    /// Allocates the file's space under [offset, offset+length) of the
    /// mapping at `mapping`; false when the file system is full. Without the
    /// descriptor, or where the file system cannot preallocate (ZFS and other
    /// copy-on-write file systems) or a sandbox forbids fallocate (ENOSYS),
    /// the range is faulted in for writing
    /// instead, which allocates it just as well; where that is not possible
    /// either, there is nothing more to do than go on. Once the pool is
    /// private, its new pages come from memory: nothing to do, except on
    /// hugetlbfs, where they are huge pages the range is faulted in for (the
    /// system may have none left: false then, where a store would be a SIGBUS).
    func reserve(offset: Int, length: Int, mapping: UnsafeMutableRawPointer) -> Bool {
        guard isShared else { return !isHugetlbfs || populate(offset: offset, length: length, mapping: mapping) }
        if isStillOpen {
            switch Platform.withoutCancellation({ Platform.reserveSpace(fd, offset: offset, length: length) }) {
            case nil: return true
            case let error? where error.meansUnsupported: break
            case let error?:
                Log.error("cannot reserve the pool file's space", error)
                return false
            }
        }
        return populate(offset: offset, length: length, mapping: mapping)
    }

    /// Faults [offset, offset+length) of the mapping in for writing; false when there is no room.
    private func populate(offset: Int, length: Int, mapping: UnsafeMutableRawPointer) -> Bool {
        switch Platform.populateForWriting(mapping + offset, length: length) {
        case nil: return true
        case let error?:
            if error.meansUnsupported { return true }
            Log.error("cannot fault in the pool file's space", error)
            return false
        }
    }

    /// Gives the file's space under [offset, offset+length) of the mapping at
    /// `mapping` back to the file system; true when it now reads as zeros.
    func punch(offset: Int, length: Int, mapping: UnsafeMutableRawPointer) -> Bool {
        if isStillOpen, Platform.withoutCancellation({ Platform.punchHole(fd, offset: offset, length: length) }) == nil {
            return true
        }
        return Platform.removeMapped(mapping + offset, length: length) == nil
    }

    /// Bytes free on the file's file system.
    var freeSpace: Int? { Platform.freeSpace(fd) }

    func close() { Platform.close(fd) }
}
