import VMMallocConfig
import VMMallocSystem

/// The pool vmmalloc picks when neither an option nor the environment names one.
///
/// Directory: /dev/shm when it is a tmpfs this user may write to (memory, and
/// sparse files cost nothing until used), else $TMPDIR, else /tmp.
///
/// Size: half the space free in the directory, in whole MiB, at least the
/// minimum pool (14 MiB) and at most the largest (128 TiB). The pool file is
/// sparse, so a large pool costs only what the program uses; keeping half the
/// room free leaves space for everybody else on the file system and for the
/// child's copy of the pool in fork modes 2 and 3. On hugetlbfs the free
/// space is the huge pages the system has free and not promised to others
/// (within the mount's size= limit): the pool takes them as its heap reaches
/// them, as it takes blocks of a tmpfs. Where the file system does not count
/// its free space, half the physical memory is taken instead.
enum Defaults {
    static func directory() -> Text {
        let shm = cString("/dev/shm")
        if FileSystem.isTmpfs(shm) && access(shm, W_OK | X_OK) == 0 { return shm }
        if let tmpdir = getenv(cString("TMPDIR")), tmpdir.pointee != 0 { return Text(tmpdir) }
        return cString("/tmp")
    }

    static func size(in directory: Text) -> Text {
        let mebibyte = 1 << 20
        let free = FileSystem.freeSpace(of: directory)
            ?? Int(sysconf(Int32(_SC_PHYS_PAGES))) &* Int(sysconf(Int32(_SC_PAGESIZE)))
        var mebibytes = free / 2 / mebibyte
        mebibytes = max(mebibytes, Configuration.minimumPoolSize / mebibyte)
        mebibytes = min(mebibytes, Configuration.maximumPoolSize / mebibyte)
        var text = Message("")
        text.append(mebibytes)
        text.append("M")
        return text.withCString { Text(strdup($0)!) }
    }
}
