import VMMallocConfig
import VMMallocSystem

/// What vmmalloc needs to know of the file system that holds a directory.
enum FileSystem {
    /// What a pool in this file system is backed by.
    enum Kind {
        case tmpfs, hugetlbfs, dax, plain, unknown
    }

    /// Bytes an unprivileged writer may still use there (on hugetlbfs, in
    /// the huge pages the system has free, as the library counts them); nil
    /// when the file system does not count (or cannot be examined).
    static func freeSpace(of directory: Text) -> Int? {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        return Platform.freeSpace(info, hugePageSize: hugePageSize(of: directory))
    }

    /// The page size of files there: the huge page size on hugetlbfs.
    static func pageSize(of directory: Text) -> Int {
        hugePageSize(of: directory) ?? Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The huge page size of files there, nil unless it is a hugetlbfs.
    static func hugePageSize(of directory: Text) -> Int? {
        #if os(Linux)
        var info = statfs()
        if statfs(directory, &info) == 0 && magic(info) == UInt(HUGETLBFS_MAGIC) { return Int(info.f_bsize) }
        #endif
        return nil
    }

    static func isTmpfs(_ directory: Text) -> Bool {
        #if os(Linux)
        var info = statfs()
        return statfs(directory, &info) == 0 && magic(info) == UInt(TMPFS_MAGIC)
        #else
        return false
        #endif
    }

    #if os(Linux)
    private static func magic(_ info: statfs) -> UInt { UInt(bitPattern: Int(info.f_type)) & 0xffff_ffff }
    #endif

    /// On hugetlbfs, the huge pages of the directory's size the system has
    /// free and not promised to other mappings; nil elsewhere.
    static func freeHugePages(of directory: Text) -> (free: Int, pageSize: Int)? {
        guard let pageSize = hugePageSize(of: directory),
              let free = Platform.unreservedHugePages(pageSize: pageSize)
        else { return nil }
        return (free, pageSize)
    }

    /// The kind of file system, and a few words about it (its type, the DAX
    /// mount option, the huge page size) appended to `line`.
    static func kind(of directory: Text, describingInto line: inout Message) -> Kind {
        #if os(Linux)
        var info = statfs()
        guard statfs(directory, &info) == 0 else {
            line.append("cannot be examined: ")
            line.append(Platform.Errno.current)
            return .unknown
        }
        if magic(info) == UInt(TMPFS_MAGIC) {
            line.append("tmpfs (memory)")
            return .tmpfs
        }
        if magic(info) == UInt(HUGETLBFS_MAGIC) {
            line.append("hugetlbfs (huge pages of ")
            line.append(Int(info.f_bsize) >> 10)
            line.append(" KiB)")
            return .hugetlbfs
        }
        var kind = Kind.plain
        var path = StackBuffer()
        path.withBytes { bytes in
            let resolved = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
            guard realpath(directory, resolved) != nil, let mounts = setmntent(cString("/proc/mounts"), cString("r")) else {
                line.append("unknown type")
                return
            }
            defer { endmntent(mounts) }
            var best: UnsafeMutablePointer<mntent>?
            var bestLength = -1
            var type = StackBuffer(), options = StackBuffer()
            while let entry = getmntent(mounts) {
                let length = strlen(entry.pointee.mnt_dir)
                guard length >= bestLength, contains(mountPoint: entry.pointee.mnt_dir, length, resolved) else { continue }
                best = entry
                bestLength = length
                copy(entry.pointee.mnt_type, into: &type)
                copy(entry.pointee.mnt_opts, into: &options)
            }
            guard best != nil else {
                line.append("unknown type")
                return
            }
            type.withBytes { line.append(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            options.withBytes { bytes in
                let text = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
                kind = dax(options: text, directory: resolved, describingInto: &line)
            }
        }
        return kind
        #else
        line.append("not examined on this system")
        return .unknown
        #endif
    }

    #if os(Linux)
    /// Whether `path` lies below the mount point `mount` (of `length` bytes).
    private static func contains(mountPoint mount: UnsafePointer<CChar>, _ length: Int, _ path: UnsafePointer<CChar>) -> Bool {
        guard strncmp(mount, path, length) == 0 else { return false }
        return length == 1 || path[length] == 0 || path[length] == 0x2f
    }

    private static func copy(_ text: UnsafePointer<CChar>, into buffer: inout StackBuffer) {
        buffer.withBytes { bytes in
            let length = min(strlen(text), bytes.count - 1)
            memcpy(bytes.baseAddress!, text, length)
            bytes[length] = 0
        }
    }

    /// DAX from the mount options (`dax`, `dax=always`), or for `dax=inode`
    /// from the directory's own DAX attribute (statx).
    private static func dax(options: UnsafePointer<CChar>, directory: UnsafePointer<CChar>,
                            describingInto line: inout Message) -> Kind {
        var cursor = options
        while true {
            let end = strchrnul(cursor, 0x2c)!
            let length = Text(end) - cursor
            if length >= 3 && strncmp(cursor, cString("dax"), 3) == 0 && (length == 3 || cursor[3] == 0x3d) {
                if length == 3 || strncmp(cursor, cString("dax=always"), length) == 0 && length == 10 {
                    line.append(", DAX-capable (mounted with ")
                    line.append(bytes: cursor, count: length)
                    line.append(")")
                    return .dax
                }
                if length == 9 && strncmp(cursor, cString("dax=inode"), 9) == 0 && hasDAXAttribute(directory) {
                    line.append(", DAX-capable (dax=inode, and the directory has the DAX attribute)")
                    return .dax
                }
            }
            if end.pointee == 0 { break }
            cursor = Text(end) + 1
        }
        if hasDAXAttribute(directory) {
            line.append(", DAX-capable (the directory has the DAX attribute)")
            return .dax
        }
        line.append(", plain (the page cache backs the pool)")
        return .plain
    }

    private static func hasDAXAttribute(_ path: UnsafePointer<CChar>) -> Bool {
        var info = statx()
        guard statx(AT_FDCWD, path, 0, UInt32(STATX_BASIC_STATS), &info) == 0 else { return false }
        return info.stx_attributes_mask & UInt64(STATX_ATTR_DAX) != 0 && info.stx_attributes & UInt64(STATX_ATTR_DAX) != 0
    }
    #endif
}
