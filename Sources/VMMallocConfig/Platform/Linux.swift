#if os(Linux)
import VMMallocSystem

extension Platform {
    /// A child can get its own copy of the pool file at fork (VMMALLOC_FORK 2 and 3).
    package static let canCopyPoolForFork = true

    /// RLIMIT_FSIZE as getrlimit takes it.
    static var fileSizeResource: __rlimit_resource_t { RLIMIT_FSIZE }

    /// The huge pages of `pageSize` bytes the system has free and not yet
    /// promised to a mapping (free_hugepages minus resv_hugepages in sysfs):
    /// what a new pool on hugetlbfs can still get. Nil when sysfs does not say.
    package static func unreservedHugePages(pageSize: Int) -> Int? {
        guard let free = hugePageCount(pageSize: pageSize, "free_hugepages"),
              let reserved = hugePageCount(pageSize: pageSize, "resv_hugepages")
        else { return nil }
        return free > reserved ? free - reserved : 0
    }

    /// A count from /sys/kernel/mm/hugepages/hugepages-<size>kB/<name>.
    private static func hugePageCount(pageSize: Int, _ name: StaticString) -> Int? {
        var path = Message("/sys/kernel/mm/hugepages/hugepages-")
        path.append(pageSize >> 10)
        path.append("kB/")
        path.append(name)
        var text = InlineArray<32, CChar>(repeating: 0)
        let count: Int = path.withCString { file in
            let fd = vmm_open(file, O_RDONLY | O_CLOEXEC, 0)
            guard fd >= 0 else { return -1 }
            defer { _ = close(fd) }
            return withUnsafeMutableBytes(of: &text) { read(fd, $0.baseAddress!, $0.count - 1) }
        }
        guard count > 0 else { return nil }
        return withUnsafeBytes(of: &text) { atol($0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
    }

    /// The text of an errno value, without allocating or translating.
    package static func describe(_ error: Errno) -> UnsafePointer<CChar>? {
        UnsafePointer(strerrordesc_np(error.rawValue))
    }
}
#endif
