#if os(FreeBSD)
import VMMallocSystem

extension Platform {
    /// FreeBSD has no copy-on-fork of the pool file (VMMALLOC_FORK 2 and 3).
    package static let canCopyPoolForFork = false

    static var fileSizeResource: Int32 { RLIMIT_FSIZE }

    /// FreeBSD has no hugetlbfs.
    package static func unreservedHugePages(pageSize: Int) -> Int? { nil }

    package static func describe(_ error: Errno) -> UnsafePointer<CChar>? {
        UnsafePointer(strerror(error.rawValue))
    }
}
#endif
