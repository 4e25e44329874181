import VMMallocShim

/// malloc_info's XML document, with glibc's element names where they fit:
///
///     <malloc version="1">
///     <heap nr="0">
///     <sizes>
///     </sizes>
///     <total type="fast" count="0" size="0"/>
///     <total type="rest" count="3" size="63651840"/>      free runs of the pool and their bytes
///     <system type="current" size="3457024"/>             pool in use
///     <system type="max" size="7651328"/>                 its high-water mark
///     <aspace type="total" size="67108864"/>              the pool
///     <aspace type="mprotect" size="67108864"/>
///     <classes>                                           ours: the size classes with blocks in use
///     <class size="112" count="1000" slices="7"/>
///     </classes>
///     </heap>
///     <total type="fast" count="0" size="0"/>
///     <total type="rest" count="3" size="63651840"/>
///     <total type="mmap" count="1" size="3145728"/>       huge blocks (glibc's mmapped chunks)
///     <system type="current" size="3457024"/>
///     <system type="max" size="7651328"/>
///     <aspace type="total" size="67108864"/>
///     <aspace type="mprotect" size="67108864"/>
///     <vmmalloc version="1.1.0" allocated_bytes="100016" allocated_blocks="1001" large_blocks="0"
///      large_bytes="0" huge_threshold="2097152" refused="0" threads="1"/>
///     </malloc>
///
/// glibc lists free chunks by size under <sizes>; the pool has no such
/// chunks (free blocks sit in their pages), so <sizes> stays empty.
///
/// Written with the stream's own fputs, one line at a time, from figures
/// gathered before: no lock of the heap is held, so the stream may allocate.
struct MallocInfo {
    private let stream: UnsafeMutableRawPointer
    private var failed = false

    private init(stream: UnsafeMutableRawPointer) { self.stream = stream }

    /// Writes the document; 0, or -1 (errno from the stream) when a write failed.
    static func write(_ figures: Figures, to stream: UnsafeMutableRawPointer) -> Int32 {
        let heap = figures.heap
        var xml = MallocInfo(stream: stream)
        xml.put("<malloc version=\"1\">")
        xml.put("<heap nr=\"0\">")
        xml.put("<sizes>")
        xml.put("</sizes>")
        xml.totals(heap, mmap: false)
        xml.put("<classes>")
        figures.forEachClass { blockSize, blocks, slices in
            var line = Message("<class size=\"")
            line.append(blockSize)
            line.append("\" count=\"")
            line.append(blocks)
            line.append("\" slices=\"")
            line.append(slices)
            line.append("\"/>")
            xml.put(&line)
        }
        xml.put("</classes>")
        xml.put("</heap>")
        xml.totals(heap, mmap: true)
        var ours = Message("<vmmalloc version=\"")
        ours.append(LibraryVersion.text)
        ours.append("\" allocated_bytes=\"")
        ours.append(heap.bytesInUse)
        ours.append("\" allocated_blocks=\"")
        ours.append(heap.blocksInUse)
        ours.append("\" large_blocks=\"")
        ours.append(heap.largeBlocks)
        ours.append("\" large_bytes=\"")
        ours.append(heap.largeBytes)
        ours.append("\" huge_threshold=\"")
        ours.append(heap.hugeSize)
        ours.append("\" refused=\"")
        ours.append(figures.refused)
        ours.append("\" threads=\"")
        ours.append(heap.threadCount ?? 0)
        ours.append("\"/>")
        xml.put(&ours)
        xml.put("</malloc>")
        return xml.failed ? -1 : 0
    }

    /// glibc's totals: free runs, huge blocks (its mmapped chunks), pool in use and its peak, the pool.
    private mutating func totals(_ heap: HeapStatistics, mmap: Bool) {
        element("total", type: "fast", count: 0, size: 0)
        element("total", type: "rest", count: heap.freeExtents, size: heap.freeBytes)
        if mmap { element("total", type: "mmap", count: heap.hugeBlocks, size: heap.hugeBytes) }
        element("system", type: "current", count: nil, size: heap.poolInUse)
        element("system", type: "max", count: nil, size: heap.poolInUsePeak)
        element("aspace", type: "total", count: nil, size: Int(Pool.length))
        element("aspace", type: "mprotect", count: nil, size: Int(Pool.length))
    }

    /// `<name type="type" count="count" size="size"/>`, without count when nil.
    private mutating func element(_ name: StaticString, type: StaticString, count: Int?, size: Int) {
        var line = Message("<")
        line.append(name)
        line.append(" type=\"")
        line.append(type)
        if let count {
            line.append("\" count=\"")
            line.append(count)
        }
        line.append("\" size=\"")
        line.append(size)
        line.append("\"/>")
        put(&line)
    }

    private mutating func put(_ text: StaticString) {
        var line = Message(text)
        put(&line)
    }

    /// One line, with its newline, through the stream.
    private mutating func put(_ line: inout Message) {
        line.append("\n")
        let stream = self.stream
        if line.withCString({ vmm_fputs($0, stream) }) < 0 { failed = true }
    }
}
