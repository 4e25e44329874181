import VMMallocSystem

/// The operating system, wrapped once: what the configuration, its messages
/// and the launcher need. The library extends it with the calls the pool makes
/// (`Sources/VMMalloc/Platform`).
package enum Platform {
    /// An errno value from a failed call.
    package struct Errno: Error, Equatable {
        package var rawValue: Int32

        package init(rawValue: Int32) { self.rawValue = rawValue }

        package static var current: Errno { Errno(rawValue: vmm_errno()) }
        package static let noSpace = Errno(rawValue: ENOSPC)
        package static let fileTooLarge = Errno(rawValue: EFBIG)
        package static let interrupted = Errno(rawValue: EINTR)
        package static let unsupported = Errno(rawValue: EOPNOTSUPP)
        package static let invalidArgument = Errno(rawValue: EINVAL)
        /// What a seccomp sandbox answers for a system call it forbids.
        package static let notImplemented = Errno(rawValue: ENOSYS)

        /// Whether a call failed because the system or the file system cannot
        /// do it at all (or a sandbox forbids it), not for lack of room.
        package var meansUnsupported: Bool {
            self == .unsupported || self == .invalidArgument || self == .notImplemented
        }
    }

    /// Runs `body` with the calling thread's cancellation disabled. The
    /// library's system calls that are cancellation points (open, close,
    /// write, fallocate) run so: a thread with a pending pthread_cancel must
    /// not end inside malloc or free, holding a lock every other thread then
    /// waits for forever.
    @inline(__always)
    package static func withoutCancellation<R>(_ body: () -> R) -> R {
        var previous: Int32 = 0
        _ = pthread_setcancelstate(Int32(PTHREAD_CANCEL_DISABLE), &previous)
        defer { _ = pthread_setcancelstate(previous, &previous) }
        return body()
    }

    /// Writes all of `bytes`, retrying after signals; gives up silently on
    /// any other failure (there is nobody left to tell). Not a cancellation point.
    package static func write(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) {
        withoutCancellation { writeAll(fd, bytes, count) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) {
        var done = 0
        while done < count {
            let n = VMMallocSystem.write(fd, bytes + done, count - done)
            if n < 0 {
                if Errno.current == .interrupted { continue }
                return
            }
            done += n
        }
    }

    package static func abort() -> Never { VMMallocSystem.abort() }

    /// The largest file this process may write (RLIMIT_FSIZE), nil when unlimited.
    package static var fileSizeLimit: Int? {
        var limit = rlimit()
        guard getrlimit(fileSizeResource, &limit) == 0 else { return nil }
        // RLIM_INFINITY is the largest value on every system we run on.
        if UInt64(limit.rlim_cur) >= UInt64(Int.max) { return nil }
        return Int(limit.rlim_cur)
    }

    /// Bytes an unprivileged writer may still allocate on the file system
    /// `info` describes; nil for one that does not count (unlimited).
    package static func freeSpace(_ info: statvfs) -> Int? {
        if info.f_blocks == 0 { return nil }
        let available = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        if available.overflow || available.partialValue > UInt64(Int.max) { return Int.max }
        return Int(available.partialValue)
    }

    /// As `freeSpace(_:)`, for a file system whose files have pages of
    /// `hugePageSize` bytes (hugetlbfs; nil elsewhere): there a pool's space
    /// is the huge pages the system still has, within the mount's own limit
    /// (size=, which statvfs counts).
    package static func freeSpace(_ info: statvfs, hugePageSize: Int?) -> Int? {
        let counted = freeSpace(info)
        guard let hugePageSize, let pages = unreservedHugePages(pageSize: hugePageSize) else { return counted }
        let bytes = pages.multipliedReportingOverflow(by: hugePageSize)
        let huge = bytes.overflow ? Int.max : bytes.partialValue
        guard let counted else { return huge }
        return counted < huge ? counted : huge
    }
}
