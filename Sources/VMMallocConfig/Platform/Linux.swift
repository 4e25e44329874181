#if os(Linux)
import VMMallocSystem

extension Platform {
    /// A child can get its own copy of the pool file at fork (VMMALLOC_FORK 2 and 3).
    package static let canCopyPoolForFork = true

    /// RLIMIT_FSIZE as getrlimit takes it.
    static var fileSizeResource: __rlimit_resource_t { RLIMIT_FSIZE }

    /// The text of an errno value, without allocating or translating.
    package static func describe(_ error: Errno) -> UnsafePointer<CChar>? {
        UnsafePointer(strerrordesc_np(error.rawValue))
    }
}
#endif
