import VMMallocShim

/// A file the user named for the library's output (VMMALLOC_LOG_FILE,
/// VMMALLOC_STATS_FILE), kept open for the whole run out of the numbers
/// programs use. A name ending in `-` gets the process id appended, and then
/// a child of fork opens a file of its own.
struct ReportFile {
    /// The name as given (the environment may change later), for a child's own file.
    private var name = StackBuffer()
    private var namedPerProcess = false
    private var fd: Int32 = -1
    /// The file `fd` must still be: a program may close descriptors it did not
    /// open and reuse the number; nothing is written there then.
    private var identity = Platform.FileIdentity()

    /// The descriptor, while it is still the file opened; nil otherwise.
    var descriptor: Int32? {
        fd >= 0 && Platform.identity(of: fd) == identity ? fd : nil
    }

    /// Opens `path` (created if needed) for appending; the error when it cannot.
    mutating func open(_ path: UnsafePointer<CChar>) -> Platform.Errno? {
        let length = strlen(path)
        _ = name.withBytes { bytes in memcpy(bytes.baseAddress!, path, length + 1) }
        namedPerProcess = length > 0 && path[length - 1] == 0x2d  // "-"
        return openNamed()
    }

    /// After fork, in the child: a name ending in `-` gets a file of its own
    /// (the error when it cannot be opened: the child then has none).
    mutating func childStarts() -> Platform.Errno? {
        guard namedPerProcess else { return nil }
        if let open = descriptor { Platform.close(open) }
        fd = -1
        return openNamed()
    }

    /// Opens the file, with this process's id after a name ending in `-`.
    private mutating func openNamed() -> Platform.Errno? {
        var path = StackBuffer()
        let perProcess = namedPerProcess
        let result: Result<Int32, Platform.Errno> = path.withBytes { bytes in
            let base = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
            name.withBytes { source in _ = strcpy(base, source.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            if perProcess { Self.appendDecimal(Platform.processID, to: base) }
            return Platform.openForAppending(base)
        }
        switch result {
        case .failure(let error): return error
        case .success(let opened):
            fd = opened
            identity = Platform.identity(of: opened) ?? Platform.FileIdentity()
            return nil
        }
    }

    /// Appends the digits of `value` (not negative) to the C string at `text`.
    private static func appendDecimal(_ value: Int, to text: UnsafeMutablePointer<CChar>) {
        var end = text + strlen(text)
        var divisor = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            end.pointee = CChar(0x30 + value / divisor % 10)
            end += 1
            divisor /= 10
        }
        end.pointee = 0
    }
}
