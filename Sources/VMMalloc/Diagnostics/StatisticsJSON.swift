/// The summary as one JSON object on one line (VMMALLOC_LOG_STATS=json), for
/// programs to read: every size in bytes, every count a number, and `null`
/// for what this build does not track. Each process writes its own object,
/// with its pid:
///
///     {"library":"libvmmalloc","version":"1.1.0","variant":"release","pid":4242,"when":"exit",
///      "pool":{"directory":"/dev/shm","file_system":"tmpfs","dax":false,"size_bytes":67108864,
///      "in_use_bytes":3457024,"peak_in_use_bytes":7651328,"metadata_bytes":753664,"free_bytes":63651840,
///      "largest_free_extent_bytes":63651840,"free_extents":1},
///      "handed_out":{"bytes":100016,"blocks":1001,"peak_bytes":null},"refused_allocations":0,
///      "size_classes":[{"block_bytes":112,"blocks":1000,"slices":7}],
///      "large_blocks":{"count":0,"bytes":0},"huge_blocks":{"count":0,"bytes":0,"from_bytes":2097152},
///      "threads":1,"forks":0}
///
/// (shown here on several lines). It is written in pieces of at most a line's
/// buffer, a single write(2) when it fits, as it does unless the pool directory's name is long.
struct StatisticsJSON {
    private var text = Message("")
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    static func write(_ figures: Figures, to fd: Int32, when: StaticString) {
        let heap = figures.heap
        var json = StatisticsJSON(fd: fd)
        json.raw("{\"library\":\"libvmmalloc\",\"version\":\"")
        json.raw(LibraryVersion.text)
        json.raw(Variant.isDebug ? "\",\"variant\":\"debug\"" : "\",\"variant\":\"release\"")
        json.field("pid", Platform.processID)
        json.raw(",\"when\":\"")
        json.raw(when)
        json.raw("\",\"pool\":{\"directory\":")
        json.string(Pool.configuration.directory)
        if let fileSystem = Platform.fileSystem(ofFile: Pool.file.fd), Pool.file.isStillOpen {
            json.raw(",\"file_system\":\"")
            json.raw(fileSystem.name)
            json.raw(fileSystem.isDAX ? "\",\"dax\":true" : "\",\"dax\":false")
        } else {
            json.raw(",\"file_system\":null,\"dax\":null")
        }
        json.field("size_bytes", Int(Pool.length))
        json.field("in_use_bytes", heap.poolInUse)
        json.field("peak_in_use_bytes", heap.poolInUsePeak)
        json.field("metadata_bytes", heap.metadataBytes)
        json.field("free_bytes", heap.freeBytes)
        json.field("largest_free_extent_bytes", heap.largestFreeExtent)
        json.field("free_extents", heap.freeExtents)
        json.raw("},\"handed_out\":{")
        json.field("bytes", heap.bytesInUse, first: true)
        json.field("blocks", heap.blocksInUse)
        json.field("peak_bytes", figures.handedOutPeak)
        json.raw("}")
        json.field("refused_allocations", figures.refused)
        json.raw(",\"size_classes\":[")
        var first = true
        figures.forEachClass { blockSize, blocks, slices in
            json.raw(first ? "{" : ",{")
            first = false
            json.field("block_bytes", blockSize, first: true)
            json.field("blocks", blocks)
            json.field("slices", slices)
            json.raw("}")
        }
        json.raw("],\"large_blocks\":{")
        json.field("count", heap.largeBlocks, first: true)
        json.field("bytes", heap.largeBytes)
        json.raw("},\"huge_blocks\":{")
        json.field("count", heap.hugeBlocks, first: true)
        json.field("bytes", heap.hugeBytes)
        json.field("from_bytes", heap.hugeSize)
        json.raw("}")
        json.field("threads", heap.threadCount)
        json.field("forks", figures.forks)
        json.raw("}\n")
        json.text.flush(to: fd)
    }

    /// Makes room for `count` more bytes, writing out what is there when the line is full.
    private mutating func room(_ count: Int) {
        if text.count + count > Message.capacity { text.flush(to: fd) }
    }

    private mutating func raw(_ piece: StaticString) {
        room(piece.utf8CodeUnitCount)
        text.append(piece)
    }

    /// `,"name":value` (without the comma for the first field of an object); null for nil.
    private mutating func field(_ name: StaticString, _ value: Int?, first: Bool = false) {
        room(name.utf8CodeUnitCount + 26)
        text.append(first ? "\"" : ",\"")
        text.append(name)
        text.append("\":")
        if let value { text.append(value) } else { text.append("null") }
    }

    /// A C string as a JSON string: quotes, backslashes and control characters escaped.
    private mutating func string(_ value: UnsafePointer<CChar>) {
        raw("\"")
        var cursor = value
        while cursor.pointee != 0 {
            let byte = UInt8(bitPattern: cursor.pointee)
            room(6)
            if byte == 0x22 || byte == 0x5c {
                text.append(byte == 0x22 ? "\\\"" : "\\\\")
            } else if byte < 0x20 {
                text.append("\\u00")
                let digits: StaticString = "0123456789abcdef"
                text.append(bytes: digits.utf8Start + Int(byte >> 4), count: 1)
                text.append(bytes: digits.utf8Start + Int(byte & 15), count: 1)
            } else {
                text.append(bytes: cursor, count: 1)
            }
            cursor += 1
        }
        raw("\"")
    }
}
