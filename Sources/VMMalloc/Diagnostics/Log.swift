import VMMallocShim

/// The debug variant's log: VMMALLOC_LOG_LEVEL and VMMALLOC_LOG_FILE.
///
/// A line reads `libvmmalloc: <2> VMMalloc/Pool.swift:120 create(): pool created ...`:
/// the library, the level, the source location and the function, then the
/// text. It is built on the stack and written with one write(2), so lines of
/// different threads (and of parent and child after fork) never interleave.
///
/// In the release variant `isOn` is the constant false: every `if Log.isOn(...)`
/// block, and with it every call into this file, is removed by the compiler.
/// Callers build their lines only inside such a block.
enum Log {
    enum Level: Int {
        /// Details (errno text included) of every error the library reports to its caller.
        case errors = 1
        /// Basic operations: the pool created, fork and the mode used, the log file opened.
        case operations = 2
        /// The library's own steps: pool creation, file-space reservation, fork handlers, foreign pointers.
        case calls = 3
        /// Every allocation and free, with its size and result.
        case allocations = 4
    }

    /// Whether lines of `level` are written.
    @inline(__always)
    static func isOn(_ level: Level) -> Bool {
#if VMMALLOC_DEBUG
        threshold >= level.rawValue
#else
        false
#endif
    }

    /// One line of fixed text at `level`.
    @inline(__always)
    static func say(_ level: Level, _ text: StaticString,
                    file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
        if isOn(level) {
            var message = start(level, file: file, line: line, function: function)
            message.append(text)
            write(&message)
        }
    }

    /// A level-1 line: what failed, and the errno text of why.
    @inline(__always)
    static func error(_ text: StaticString, _ error: Platform.Errno,
                      file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
        if isOn(.errors) {
            var message = start(.errors, file: file, line: line, function: function)
            message.append(text)
            message.append(": ")
            message.append(error)
            write(&message)
        }
    }

    /// A line of `level` with its prefix, for the caller to complete and `write`.
    static func start(_ level: Level, file: StaticString = #fileID, line: UInt = #line,
                      function: StaticString = #function) -> Message {
        var message = Message("libvmmalloc: <")
        message.append(level.rawValue)
        message.append("> ")
        message.append(file: file, line: line, function: function)
        message.append(": ")
        return message
    }

#if VMMALLOC_DEBUG
    nonisolated(unsafe) private static var threshold = 0
    /// VMMALLOC_LOG_FILE; lines go to standard error without it (or once the
    /// program closed or reused its descriptor).
    nonisolated(unsafe) private static var file = ReportFile()
#endif

    /// Writes a finished line.
    static func write(_ message: inout Message) {
#if VMMALLOC_DEBUG
        message.writeLine(to: file.descriptor ?? 2)
#endif
    }

    /// Writes a line that stops the process: on standard error, and in the log file too.
    static func writeFatal(_ message: inout Message) {
        message.writeLine(to: 2)
#if VMMALLOC_DEBUG
        if let fd = file.descriptor { message.writeLine(to: fd) }
#endif
    }

    /// The log file, if there is one and it is still open: the statistics go
    /// there too unless VMMALLOC_STATS_FILE names another.
    static var fileDescriptor: Int32? {
#if VMMALLOC_DEBUG
        file.descriptor
#else
        nil
#endif
    }

    /// Starts the log as configured; the error when the log file cannot be opened.
    static func begin(_ configuration: Configuration) -> ConfigurationError? {
#if VMMALLOC_DEBUG
        threshold = configuration.logLevel
        guard let path = configuration.logFile else { return nil }
        if let error = file.open(path) { return .cannotOpenLogFile(path, error) }
#endif
        return nil
    }

    /// After fork, in the child: a log file named per process gets a file of its own.
    static func childStarts() {
#if VMMALLOC_DEBUG
        if let error = file.childStarts(), isOn(.errors) {
            var line = start(.errors)
            line.append("cannot open the child's log file: ")
            line.append(error)
            write(&line)
        }
#endif
    }
}
