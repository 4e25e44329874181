import VMMallocShim

/// The summary of the pool and the heap: at exit when VMMALLOC_LOG_STATS asks
/// for it (both variants), and whenever the program calls malloc_stats().
///
/// Everything comes from `Figures.gather`, which walks the metadata once, so
/// the allocation paths pay nothing for it: the high-water mark of the pool
/// is kept by the extents, which see every change of the pool space in use,
/// and the refusals are counted where allocations fail. The text form, one
/// line per write(2), leaves out what is empty:
///
///     libvmmalloc: statistics of process 4242 at exit (libvmmalloc 1.1.0, release variant)
///     libvmmalloc:   pool                  /dev/shm (tmpfs), 67108864 bytes at 0x7f5e00000000
///     libvmmalloc:   pool space            3457024 bytes in use, 63651840 bytes free, largest free extent 63651840 bytes
///     libvmmalloc:   pool space at peak    7651328 bytes
///     ...
///
/// The JSON form (`StatisticsJSON`) is one object on one line.
///
/// Where the summary at exit goes: the file of VMMALLOC_STATS_FILE, else the
/// debug variant's log file, else standard error as it was when the pool was
/// made, kept open as a copy out of the program's way, so that a program that
/// closes its standard error before it exits (cat, ls, sort) still gets it.
enum Statistics {
    nonisolated(unsafe) private static var file = ReportFile()
    /// A close-on-exec copy of standard error, made when the pool was.
    nonisolated(unsafe) private static var standardError: Int32 = -1
    nonisolated(unsafe) private static var standardErrorIdentity = Platform.FileIdentity()

    /// Gets the destination ready, as configured; the error when the file cannot be opened.
    static func begin(_ configuration: Configuration) -> ConfigurationError? {
        guard configuration.logStats else { return nil }
        if let path = configuration.statsFile {
            if let error = file.open(path) { return .cannotOpenStatsFile(path, error) }
            return nil
        }
        if let copy = Platform.keepCopy(of: 2), let identity = Platform.identity(of: copy) {
            standardError = copy
            standardErrorIdentity = identity
        }
        return nil
    }

    /// After fork, in the child: a statistics file named per process gets a file of its own.
    static func childStarts() {
        if let error = file.childStarts() {
            var line = Message("libvmmalloc: cannot open the child's statistics file (VMMALLOC_STATS_FILE): ")
            line.append(error)
            line.writeLine(to: destination)
        }
    }

    /// Where the summary at exit goes (see above); standard error when the
    /// file or the copy was closed by the program, or reused for another file.
    static var destination: Int32 {
        if let fd = file.descriptor { return fd }
        if let fd = Log.fileDescriptor { return fd }
        if standardError >= 0 && Platform.identity(of: standardError) == standardErrorIdentity { return standardError }
        return 2
    }

    /// The summary at exit, if VMMALLOC_LOG_STATS asked for it and the pool exists.
    @_optimize(size)
    static func reportAtExit() {
        guard Pool.length > 0, Pool.configuration.logStats else { return }
        let savedErrno = vmm_errno()
        defer { vmm_set_errno(savedErrno) }
        let figures = Figures.gather()
        switch Pool.configuration.statsFormat {
        case .text: write(figures, to: destination, when: " at exit")
        case .json: StatisticsJSON.write(figures, to: destination, when: "exit")
        }
    }

    /// The text form of `figures` on `fd`; `when` completes the first line.
    @_optimize(size)
    static func write(_ figures: Figures, to fd: Int32, when: StaticString) {
        let heap = figures.heap
        var line = Message("libvmmalloc: statistics of process ")
        line.append(Platform.processID)
        line.append(when)
        line.append(" (libvmmalloc ")
        line.append(LibraryVersion.text)
        line.append(Variant.isDebug ? ", debug variant)" : ", release variant)")
        line.writeLine(to: fd)

        line = item("pool")
        line.append(cString: Pool.configuration.directory)
        line.append(" (")
        appendFileSystem(&line)
        line.append("), ")
        line.append(Int(Pool.length))
        line.append(" bytes at ")
        line.append(pointer: Pool.base)
        line.writeLine(to: fd)

        line = item("pool space")
        line.append(heap.poolInUse)
        line.append(" bytes in use, ")
        line.append(heap.freeBytes)
        line.append(" bytes free, largest free extent ")
        line.append(heap.largestFreeExtent)
        line.append(" bytes")
        line.writeLine(to: fd)

        line = item("pool space at peak")
        line.append(heap.poolInUsePeak)
        line.append(" bytes")
        line.writeLine(to: fd)

        line = item("pool metadata")
        line.append(heap.metadataBytes)
        line.append(" bytes of the space in use (slice tables for the whole pool, thread heaps)")
        line.writeLine(to: fd)

        line = item("handed out now")
        line.append(heap.bytesInUse)
        line.append(" bytes in ")
        line.append(heap.blocksInUse)
        line.append(" blocks")
        line.writeLine(to: fd)

        if let peak = figures.handedOutPeak {
            line = item("handed out at peak")
            line.append(peak)
            line.append(" bytes")
            line.writeLine(to: fd)
        }

        line = item("refused (ENOMEM)")
        line.append(figures.refused)
        line.append(figures.refused == 1 ? " allocation" : " allocations")
        line.writeLine(to: fd)

        if figures.classesInUse > 0 {
            line = item("size classes")
            line.append("block size: blocks in use, 16 KiB slices holding them")
            line.writeLine(to: fd)
            figures.forEachClass { blockSize, blocks, slices in
                var classLine = Message("libvmmalloc:     ")
                classLine.append(blockSize)
                classLine.append(" B: ")
                classLine.append(blocks)
                classLine.append(" blocks, ")
                classLine.append(slices)
                classLine.append(" slices")
                classLine.writeLine(to: fd)
            }
        }

        if heap.largeBlocks > 0 {
            line = item("large blocks")
            appendBlocks(heap.largeBlocks, bytes: heap.largeBytes, to: &line)
            line.append(", below ")
            line.append(heap.hugeSize)
            line.append(" bytes")
            line.writeLine(to: fd)
        }

        if heap.hugeBlocks > 0 {
            line = item("huge blocks")
            appendBlocks(heap.hugeBlocks, bytes: heap.hugeBytes, to: &line)
            line.append(", from ")
            line.append(heap.hugeSize)
            line.append(" bytes")
            line.writeLine(to: fd)
        }

        if let threads = heap.threadCount {
            line = item("threads allocating")
            line.append(threads)
            line.writeLine(to: fd)
        }

        line = item("forks")
        if let forks = figures.forks {
            line.append(forks)
        } else {
            line.append("not counted (VMMALLOC_FORK=0 installs no fork handlers)")
        }
        line.writeLine(to: fd)
    }

    /// The file system of the pool, as the log and the statistics name it.
    static func appendFileSystem(_ message: inout Message) {
        guard let fileSystem = Platform.fileSystem(ofFile: Pool.file.fd), Pool.file.isStillOpen else {
            message.append("file system unknown: the pool's descriptor is closed")
            return
        }
        message.append(fileSystem.name)
        if fileSystem.isDAX { message.append(", DAX") }
    }

    /// "<count> (<bytes> bytes)".
    private static func appendBlocks(_ count: Int, bytes: Int, to line: inout Message) {
        line.append(count)
        line.append(" (")
        line.append(bytes)
        line.append(" bytes)")
    }

    /// A line of the summary with its label, padded so that the values align.
    private static func item(_ label: StaticString) -> Message {
        var line = Message("libvmmalloc:   ")
        line.append(label)
        var width = label.utf8CodeUnitCount
        while width < 22 {
            line.append(" ")
            width += 1
        }
        return line
    }
}
