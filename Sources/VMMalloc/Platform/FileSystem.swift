/// What the log and the statistics say about the file system under the pool.
struct FileSystem {
    /// The file system's usual name ("tmpfs", "hugetlbfs", "xfs", ...), or "other".
    var name: StaticString
    /// Whether loads and stores reach the file's media directly (DAX): no page cache in between.
    var isDAX: Bool
}
