import VMMallocSystem

/// The pool settings, read and checked once, before anything is created.
///
/// This is the one place that decides what a valid configuration is; every
/// user-facing error comes from `ConfigurationError`.
package struct Configuration {
    /// VMMALLOC_MIN_POOL: the smallest pool accepted.
    package static let minimumPoolSize = 14 << 20
    /// The largest pool: 64 TiB, what the heap's 32-bit slice numbers reach
    /// (2³² slices of 16 KiB), and half of x86-64's usual address space, so
    /// that the whole pool can be mapped.
    package static let maximumPoolSize = 64 << 40

    /// The free space a pool of `poolSize` bytes needs on its file system to
    /// start: its metadata and first blocks. The pool file is sparse and gets
    /// its space as the heap uses it (malloc fails with ENOMEM when the file
    /// system is full), so a pool may be larger than the free space.
    package static func roomToStart(poolSize: Int) -> Int {
        poolSize < 8 << 20 ? poolSize : 8 << 20
    }

    /// VMMALLOC_POOL_DIR, an existing writable directory.
    package var directory: UnsafePointer<CChar>
    /// VMMALLOC_POOL_SIZE, in bytes, as requested (before page rounding).
    package var poolSize: Int
    /// The text of VMMALLOC_POOL_SIZE, for messages.
    package var poolSizeText: UnsafePointer<CChar>
    package var forkMode: ForkMode
    /// VMMALLOC_LOG_LEVEL, 0 (no log) to 4 (every allocation).
    package var logLevel = 0
    /// VMMALLOC_LOG_FILE, nil for standard error. A name ending in `-` gets the process id appended.
    package var logFile: UnsafePointer<CChar>?
    /// VMMALLOC_LOG_STATS=1 (or json): a summary of the pool and the heap at exit.
    package var logStats = false
    /// The form of that summary: lines for people (1) or one JSON object (json).
    package var statsFormat = StatisticsFormat.text
    /// VMMALLOC_STATS_FILE, nil for standard error (as it was when the program
    /// started). A name ending in `-` gets the process id appended. Setting it
    /// turns the summary on unless VMMALLOC_LOG_STATS says otherwise.
    package var statsFile: UnsafePointer<CChar>?

    package init(directory: UnsafePointer<CChar>, poolSize: Int, poolSizeText: UnsafePointer<CChar>, forkMode: ForkMode) {
        self.directory = directory
        self.poolSize = poolSize
        self.poolSizeText = poolSizeText
        self.forkMode = forkMode
    }

    /// Reads the environment. The release variant has no log: it does not
    /// read VMMALLOC_LOG_LEVEL and VMMALLOC_LOG_FILE at all, so a setting meant
    /// for the debug variant neither acts nor stops it.
    package static func fromEnvironment() -> Result<Configuration, ConfigurationError> {
        parse(directory: getenv(cString("VMMALLOC_POOL_DIR")),
              size: getenv(cString("VMMALLOC_POOL_SIZE")),
              fork: getenv(cString("VMMALLOC_FORK")),
              logLevel: Variant.isDebug ? getenv(cString("VMMALLOC_LOG_LEVEL")) : nil,
              logFile: Variant.isDebug ? getenv(cString("VMMALLOC_LOG_FILE")) : nil,
              logStats: getenv(cString("VMMALLOC_LOG_STATS")),
              statsFile: getenv(cString("VMMALLOC_STATS_FILE")))
    }

    /// Checks raw variable values (nil when unset); the checks run in the order
    /// a user reads them: directory, size, fork mode, then the diagnostics.
    package static func parse(directory: UnsafePointer<CChar>?, size: UnsafePointer<CChar>?,
                      fork: UnsafePointer<CChar>?, logLevel: UnsafePointer<CChar>? = nil,
                      logFile: UnsafePointer<CChar>? = nil,
                      logStats: UnsafePointer<CChar>? = nil,
                      statsFile: UnsafePointer<CChar>? = nil) -> Result<Configuration, ConfigurationError> {
        guard let directory else { return .failure(.notSet(.poolDirectory)) }
        guard directory.pointee != 0 else { return .failure(.empty(.poolDirectory)) }
        if let problem = checkDirectory(directory) { return .failure(problem) }

        guard let size else { return .failure(.notSet(.poolSize)) }
        guard size.pointee != 0 else { return .failure(.empty(.poolSize)) }
        let bytes: Int
        switch SizeParser.parse(size) {
        case .success(let value): bytes = value
        case .failure(.notASize): return .failure(.notASize(size))
        case .failure(.tooLarge): return .failure(.sizeTooLarge(size))
        }
        guard bytes >= minimumPoolSize else { return .failure(.sizeBelowMinimum(size)) }
        guard bytes <= maximumPoolSize else { return .failure(.sizeTooLarge(size)) }

        var forkMode = ForkMode.default
        if let fork {
            guard fork.pointee != 0 else { return .failure(.empty(.fork)) }
            guard fork[1] == 0, fork.pointee >= 0x30, let mode = ForkMode(rawValue: UInt8(fork.pointee) &- 0x30)
            else { return .failure(.forkModeInvalid(fork)) }
            if mode.copiesFile && !Platform.canCopyPoolForFork { return .failure(.forkModeUnsupported(fork)) }
            forkMode = mode
        }
        var configuration = Configuration(directory: directory, poolSize: bytes, poolSizeText: size, forkMode: forkMode)
        if let logLevel {
            guard logLevel.pointee != 0 else { return .failure(.empty(.logLevel)) }
            guard let level = singleDigit(logLevel), level <= 4 else { return .failure(.logLevelInvalid(logLevel)) }
            configuration.logLevel = level
        }
        if let logFile {
            if let problem = checkFileName(logFile, .logFile) { return .failure(problem) }
            configuration.logFile = logFile
        }
        if let statsFile {
            if let problem = checkFileName(statsFile, .statsFile) { return .failure(problem) }
            configuration.statsFile = statsFile
            configuration.logStats = true
        }
        if let logStats {
            guard logStats.pointee != 0 else { return .failure(.empty(.logStats)) }
            if strcmp(logStats, cString("json")) == 0 {
                configuration.logStats = true
                configuration.statsFormat = .json
            } else {
                guard let value = singleDigit(logStats), value <= 1 else { return .failure(.logStatsInvalid(logStats)) }
                configuration.logStats = value == 1
            }
        }
        return .success(configuration)
    }

    /// A file name the library opens for its output (VMMALLOC_LOG_FILE,
    /// VMMALLOC_STATS_FILE): not empty, and with room for a process id.
    private static func checkFileName(_ name: UnsafePointer<CChar>, _ variable: ConfigurationError.Variable)
        -> ConfigurationError? {
        guard name.pointee != 0 else { return .empty(variable) }
        // Room for the name, a process id and the terminating zero.
        guard strlen(name) + 12 < Int(PATH_MAX) else { return .fileNameTooLong(variable, name) }
        return nil
    }

    /// The value of a one-digit text, nil for anything else.
    private static func singleDigit(_ text: UnsafePointer<CChar>) -> Int? {
        guard text.pointee >= 0x30, text.pointee <= 0x39, text[1] == 0 else { return nil }
        return Int(text.pointee - 0x30)
    }

    /// The directory exists, is a directory, and this process may search it and create files in it.
    private static func checkDirectory(_ path: UnsafePointer<CChar>) -> ConfigurationError? {
        var info = stat()
        if stat(path, &info) != 0 {
            let error = Platform.Errno.current
            return error.rawValue == ENOENT ? .directoryMissing(path) : .directoryUnreadable(path, error)
        }
        // mode_t is 32 bits on Linux, 16 on FreeBSD.
        if (UInt32(info.st_mode) & UInt32(S_IFMT)) != UInt32(S_IFDIR) { return .notADirectory(path) }
        // Without search permission no file in it can be made, whatever the write permission says.
        if access(path, X_OK) != 0 { return .directoryNotSearchable(path) }
        if access(path, W_OK) != 0 { return .directoryNotWritable(path) }
        return nil
    }
}
