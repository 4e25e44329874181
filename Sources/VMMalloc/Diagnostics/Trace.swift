import VMMallocShim

/// What the debug variant logs about allocation calls, the pool and fork, and
/// the byte counts every allocation call keeps there. Each function is one
/// call at its site; in the release variant each is empty.
enum Trace {
    // MARK: - Allocation calls (level 4; a failure at level 1)

    /// After an allocation call: its size, alignment and result, which must lie
    /// in the pool, aligned as asked, with room for the size.
    @inline(__always)
    static func allocated(_ size: Int, alignment: Int, _ result: UnsafeMutableRawPointer?,
                          file: StaticString, line: UInt, function: StaticString) {
#if VMMALLOC_DEBUG
        logAllocation(size, alignment: alignment, result, file: file, line: line, function: function)
#endif
    }

    /// After calloc refused a count and size whose product is beyond any
    /// pool (it overflows size_t, or exceeds PTRDIFF_MAX): a failure, at level 1.
    @inline(__always)
    static func callocRefused(_ count: Int, _ size: Int, overflows: Bool,
                              file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
#if VMMALLOC_DEBUG
        logCallocRefused(count, size, overflows: overflows, file: file, line: line, function: function)
#endif
    }

    /// Before a block of the pool is freed: its address and usable size.
    @inline(__always)
    static func freeing(_ pointer: UnsafeMutableRawPointer,
                        file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
#if VMMALLOC_DEBUG
        logFree(pointer, file: file, line: line, function: function)
#endif
    }

    /// The usable size of a block of the pool about to be resized, 0 in the release variant.
    @inline(__always)
    static func sizeBeforeResize(_ pointer: UnsafeMutableRawPointer) -> Int {
#if VMMALLOC_DEBUG
        Heap.usableSize(pointer) ?? 0
#else
        0
#endif
    }

    /// After realloc resized a block of the pool: the old block and its size, the request and the result.
    @inline(__always)
    static func resized(_ pointer: UnsafeMutableRawPointer, from oldSize: Int, to size: Int,
                        _ result: UnsafeMutableRawPointer?,
                        file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
#if VMMALLOC_DEBUG
        logResize(pointer, from: oldSize, to: size, result, file: file, line: line, function: function)
#endif
    }

#if VMMALLOC_DEBUG
    @inline(never)
    private static func logAllocation(_ size: Int, alignment: Int, _ result: UnsafeMutableRawPointer?,
                                      file: StaticString, line: UInt, function: StaticString) {
        let usable = result.flatMap { Heap.usableSize($0) } ?? 0
        if let result {
            vmmAssert(Pool.contains(result) && UInt(bitPattern: result) & UInt(alignment - 1) == 0 && usable >= size,
                      "the heap handed out a block outside the pool, misaligned or too small", result,
                      file: file, line: line, function: function)
        }
        Usage.add(usable)
        let level: Log.Level = result == nil ? .errors : .allocations
        guard Log.isOn(level) else { return }
        var message = Log.start(level, file: file, line: line, function: function)
        message.append("size ")
        message.append(unsigned: UInt(bitPattern: size))
        if alignment > 16 || alignment < 0 {
            message.append(" alignment ")
            message.append(unsigned: UInt(bitPattern: alignment))
        }
        appendResult(result, usable: usable, to: &message)
        Log.write(&message)
    }

    @inline(never)
    private static func logCallocRefused(_ count: Int, _ size: Int, overflows: Bool,
                                         file: StaticString, line: UInt, function: StaticString) {
        guard Log.isOn(.errors) else { return }
        var message = Log.start(.errors, file: file, line: line, function: function)
        message.append("count ")
        message.append(unsigned: UInt(bitPattern: count))
        message.append(" size ")
        message.append(unsigned: UInt(bitPattern: size))
        message.append(" -> NULL: ")
        message.append(Platform.Errno(rawValue: ENOMEM))
        message.append(overflows ? " (their product overflows size_t)" : " (their product is beyond PTRDIFF_MAX)")
        Log.write(&message)
    }

    @inline(never)
    private static func logFree(_ pointer: UnsafeMutableRawPointer,
                                file: StaticString, line: UInt, function: StaticString) {
        let usable = Heap.usableSize(pointer) ?? 0
        Usage.remove(usable)
        guard Log.isOn(.allocations) else { return }
        var message = Log.start(.allocations, file: file, line: line, function: function)
        message.append(pointer: pointer)
        message.append(" (usable ")
        message.append(usable)
        message.append(")")
        Log.write(&message)
    }

    @inline(never)
    private static func logResize(_ pointer: UnsafeMutableRawPointer, from oldSize: Int, to size: Int,
                                  _ result: UnsafeMutableRawPointer?,
                                  file: StaticString, line: UInt, function: StaticString) {
        let usable = result.flatMap { Heap.usableSize($0) } ?? 0
        if result != nil {
            Usage.remove(oldSize)
            Usage.add(usable)
        }
        let level: Log.Level = result == nil ? .errors : .allocations
        guard Log.isOn(level) else { return }
        var message = Log.start(level, file: file, line: line, function: function)
        message.append(pointer: pointer)
        message.append(" (usable ")
        message.append(oldSize)
        message.append(") size ")
        message.append(unsigned: UInt(bitPattern: size))
        appendResult(result, usable: usable, to: &message)
        if result == nil { message.append("; the block is unchanged") }
        Log.write(&message)
    }

    /// " -> <address> (usable <bytes>)", or why there is no address.
    private static func appendResult(_ result: UnsafeMutableRawPointer?, usable: Int, to message: inout Message) {
        guard let result else {
            message.append(" -> NULL: ")
            message.append(Platform.Errno(rawValue: ENOMEM))
            message.append(" (the pool has no room for it)")
            return
        }
        message.append(" -> ")
        message.append(pointer: result)
        message.append(" (usable ")
        message.append(usable)
        message.append(")")
    }
#endif

    // MARK: - The pool and fork (level 2)

    /// The pool exists: where, how large, on what file system.
    static func poolCreated(file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
        guard Log.isOn(.operations) else { return }
        var message = Log.start(.operations, file: file, line: line, function: function)
        message.append("pool created in ")
        message.append(cString: Pool.configuration.directory)
        message.append(" (")
        Statistics.appendFileSystem(&message)
        message.append("): ")
        message.append(Int(Pool.length))
        message.append(" bytes at ")
        message.append(pointer: Pool.base)
        message.append(", VMMALLOC_FORK=")
        message.append(Int(Pool.configuration.forkMode.rawValue))
        message.append(", process ")
        message.append(Platform.processID)
        Log.write(&message)
    }

    /// In the forking thread, before fork.
    static func forkStarts(file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
        guard Log.isOn(.operations) else { return }
        var message = Log.start(.operations, file: file, line: line, function: function)
        message.append("fork: VMMALLOC_FORK=")
        message.append(Int(Pool.configuration.forkMode.rawValue))
        let meaning: StaticString = switch Pool.configuration.forkMode {
        case .shared: " (parent and child share the pool)"
        case .copyOnWrite: " (the pool becomes private, copied on write)"
        case .copyFile: " (the child gets a copy of the pool file)"
        case .copyFileOrCopyOnWrite: " (the child gets a copy of the pool file, else copy on write)"
        }
        message.append(meaning)
        Log.write(&message)
    }

    /// In the parent, after fork.
    static func forkParentResumes(file: StaticString = #fileID, line: UInt = #line,
                                  function: StaticString = #function) {
        Usage.forks += 1
        guard Log.isOn(.operations) else { return }
        var message = Log.start(.operations, file: file, line: line, function: function)
        message.append("fork: the parent resumes (fork ")
        message.append(Usage.forks)
        message.append(" of this process)")
        Log.write(&message)
    }

    /// In the child, after fork: its own log file first, if the name asks for one.
    static func forkChildStarts(file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
        Log.childStarts()
        guard Log.isOn(.operations) else { return }
        var message = Log.start(.operations, file: file, line: line, function: function)
        message.append("fork: child process ")
        message.append(Platform.processID)
        let pool: StaticString = !Pool.file.isShared ? " starts on a private pool (copy on write)"
            : Pool.configuration.forkMode.copiesFile ? " starts on its own copy of the pool file"
            : " starts on the pool it shares with its parent"
        message.append(pool)
        Log.write(&message)
    }
}
