import VMMallocShim

/// What the pool needs to know of the file system that holds it.
struct FileSystem {
    enum Kind {
        case tmpfs
        case hugetlbfs
        case other
    }

    var kind: Kind
    /// The granule of the file's pages: the huge page size on hugetlbfs.
    var pageSize: Int
}

extension Platform {
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
