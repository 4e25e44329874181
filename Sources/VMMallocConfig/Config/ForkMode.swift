/// What happens to the pool when the process forks (VMMALLOC_FORK).
package enum ForkMode: UInt8 {
    /// 0: nothing; parent and child share one pool, fit only for fork then exec.
    case shared = 0
    /// 1: the pool is remapped private before the fork; both sides copy on write.
    case copyOnWrite = 1
    /// 2: the child gets its own copy of the pool file.
    case copyFile = 2
    /// 3: as 2, falling back to 1 when the copy cannot be made.
    case copyFileOrCopyOnWrite = 3

    package static let `default` = ForkMode.copyOnWrite

    /// Whether this mode copies the pool file for the child.
    package var copiesFile: Bool { self == .copyFile || self == .copyFileOrCopyOnWrite }
}
