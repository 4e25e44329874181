import VMMallocShim

/// The summary VMMALLOC_LOG_STATS=1 prints at exit, in both variants.
///
/// Everything comes from walking the pool and heap metadata once, at exit
/// (`Heap.collectStatistics`), so the allocation paths pay nothing for it;
/// only the peak needs a counter, which the debug variant alone keeps. The
/// summary goes to the log file of the debug variant if there is one, to
/// standard error otherwise, one line per write(2):
///
///     libvmmalloc: statistics of process 4242 at exit
///     libvmmalloc:   pool                  /dev/shm (tmpfs), 67108864 bytes at 0x7f5e00000000
///     libvmmalloc:   handed out now        100016 bytes in 1001 blocks
///     libvmmalloc:   handed out at peak    not tracked in the release variant
///     ...
enum Statistics {
    /// Prints the summary if VMMALLOC_LOG_STATS=1 asked for it and the pool exists.
    @_optimize(size)
    static func reportAtExit() {
        guard Pool.length > 0, Pool.configuration.logStats else { return }
        let savedErrno = vmm_errno()
        defer { vmm_set_errno(savedErrno) }
        let fd = Log.reportDestination

        var line = Message("libvmmalloc: statistics of process ")
        line.append(Platform.processID)
        line.append(" at exit")
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

        // The size classes come before the totals are known: buffer nothing,
        // print the totals after them.
        line = item("size classes")
        line.append("block size: blocks in use, 16 KiB slices holding them")
        line.writeLine(to: fd)
        let heap = Heap.collectStatistics { blockSize, blocksInUse, pagesHeld in
            var classLine = Message("libvmmalloc:     ")
            classLine.append(blockSize)
            classLine.append(" B: ")
            classLine.append(blocksInUse)
            classLine.append(" blocks, ")
            classLine.append(pagesHeld)
            classLine.append(" slices")
            classLine.writeLine(to: fd)
        }

        line = item("large blocks")
        appendBlocks(heap.largeBlocks, bytes: heap.largeBytes, to: &line)
        line.append(", below ")
        line.append(heap.hugeSize)
        line.append(" bytes")
        line.writeLine(to: fd)

        line = item("huge blocks")
        appendBlocks(heap.hugeBlocks, bytes: heap.hugeBytes, to: &line)
        line.writeLine(to: fd)

        line = item("handed out now")
        line.append(heap.bytesInUse)
        line.append(" bytes in ")
        line.append(heap.blocksInUse)
        line.append(" blocks")
        line.writeLine(to: fd)

        line = item("handed out at peak")
        if let peak = Usage.peakBytes {
            line.append(peak)
            line.append(" bytes")
        } else {
            line.append("not tracked in the release variant")
        }
        line.writeLine(to: fd)

        line = item("pool space")
        line.append(Int(Pool.length) - heap.freeBytes)
        line.append(" bytes in use, ")
        line.append(heap.freeBytes)
        line.append(" free, largest free extent ")
        line.append(heap.largestFreeExtent)
        line.writeLine(to: fd)

        line = item("threads allocating")
        if let threads = heap.threadCount {
            line.append(threads)
        } else {
            line.append("not tracked by this heap")
        }
        line.writeLine(to: fd)

        line = item("forks")
        if Pool.configuration.forkMode == .shared {
            line.append("not counted (VMMALLOC_FORK=0 installs no fork handlers)")
        } else {
            line.append(Usage.forks)
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
