/// Everything a user can get wrong about the pool, with what they need to read.
///
/// Each case renders as one line that names the variable, its value and the
/// problem, for example
/// `libvmmalloc: VMMALLOC_POOL_SIZE=12M is below the minimum of 14 MiB`.
package enum ConfigurationError: Error, @unchecked Sendable {
    package enum Variable {
        case poolDirectory, poolSize, fork, logLevel, logFile, logStats, statsFile

        package var name: StaticString {
            switch self {
            case .poolDirectory: "VMMALLOC_POOL_DIR"
            case .poolSize: "VMMALLOC_POOL_SIZE"
            case .fork: "VMMALLOC_FORK"
            case .logLevel: "VMMALLOC_LOG_LEVEL"
            case .logFile: "VMMALLOC_LOG_FILE"
            case .logStats: "VMMALLOC_LOG_STATS"
            case .statsFile: "VMMALLOC_STATS_FILE"
            }
        }
    }

    package typealias Value = UnsafePointer<CChar>

    case notSet(Variable)
    case empty(Variable)
    case directoryMissing(Value)
    case directoryUnreadable(Value, Platform.Errno)
    case notADirectory(Value)
    case directoryNotSearchable(Value)
    case directoryNotWritable(Value)
    case notASize(Value)
    case sizeTooLarge(Value)
    case sizeBelowMinimum(Value)
    case forkModeInvalid(Value)
    case forkModeUnsupported(Value)
    case logLevelInvalid(Value)
    case fileNameTooLong(Variable, Value)
    case logStatsInvalid(Value)
    case noRoom(directory: Value, free: Int, size: Value)
    /// As `noRoom`, on hugetlbfs: `free` is the bytes of huge pages the system has free.
    case tooFewHugePages(directory: Value, free: Int, size: Value)
    case overFileSizeLimit(size: Value, limit: Int)
    case cannotCreateFile(directory: Value, Platform.Errno)
    case cannotSizeFile(directory: Value, Platform.Errno)
    case cannotMap(size: Value, Platform.Errno)
    case cannotOpenLogFile(Value, Platform.Errno)
    case cannotOpenStatsFile(Value, Platform.Errno)

    /// The file system at `directory` has only `free` bytes, too little to
    /// start the pool: huge pages on hugetlbfs (`inHugePages`).
    package static func noRoom(directory: Value, free: Int, size: Value, inHugePages: Bool) -> ConfigurationError {
        inHugePages ? .tooFewHugePages(directory: directory, free: free, size: size)
            : .noRoom(directory: directory, free: free, size: size)
    }

    /// The one line for this error, without its newline.
    package func render(into line: inout Message) {
        switch self {
        case .notSet(let variable):
            line.append(variable.name)
            line.append(" is not set")
        case .empty(let variable):
            line.append(variable.name)
            line.append(" is empty")
        case .directoryMissing(let value):
            Self.assignment(.poolDirectory, value, into: &line)
            line.append(" does not exist")
        case .directoryUnreadable(let value, let error):
            Self.assignment(.poolDirectory, value, into: &line)
            line.append(" cannot be examined: ")
            line.append(error)
        case .notADirectory(let value):
            Self.assignment(.poolDirectory, value, into: &line)
            line.append(" is not a directory")
        case .directoryNotSearchable(let value):
            Self.assignment(.poolDirectory, value, into: &line)
            line.append(" is not searchable (no execute permission)")
        case .directoryNotWritable(let value):
            Self.assignment(.poolDirectory, value, into: &line)
            line.append(" is not writable")
        case .notASize(let value):
            Self.assignment(.poolSize, value, into: &line)
            line.append(" is not a size (digits with an optional K, M, G or T suffix)")
        case .sizeTooLarge(let value):
            Self.assignment(.poolSize, value, into: &line)
            line.append(" is too large (the largest pool is ")
            line.append(Configuration.maximumPoolSize >> 40)
            line.append(" TiB)")
        case .sizeBelowMinimum(let value):
            Self.assignment(.poolSize, value, into: &line)
            line.append(" is below the minimum of ")
            line.append(mebibytes: Configuration.minimumPoolSize)
        case .forkModeInvalid(let value):
            Self.assignment(.fork, value, into: &line)
            line.append(" is not 0, 1, 2 or 3")
        case .forkModeUnsupported(let value):
            Self.assignment(.fork, value, into: &line)
            line.append(" is not supported on this system (only 0 and 1 are)")
        case .logLevelInvalid(let value):
            Self.assignment(.logLevel, value, into: &line)
            line.append(" is not 0, 1, 2, 3 or 4")
        case .fileNameTooLong(let variable, let value):
            Self.assignment(variable, value, into: &line)
            line.append(" is too long for a path")
        case .logStatsInvalid(let value):
            Self.assignment(.logStats, value, into: &line)
            line.append(" is not 0, 1 or json")
        case .noRoom(let directory, let free, let size):
            Self.assignment(.poolDirectory, directory, into: &line)
            line.append(" has ")
            line.append(mebibytes: free)
            line.append(" free, too little for ")
            Self.assignment(.poolSize, size, into: &line)
        case .tooFewHugePages(let directory, let free, let size):
            Self.assignment(.poolDirectory, directory, into: &line)
            line.append(" is a hugetlbfs with ")
            line.append(mebibytes: free)
            line.append(" of huge pages free, too little to start ")
            Self.assignment(.poolSize, size, into: &line)
            line.append(" (see /proc/sys/vm/nr_hugepages)")
        case .overFileSizeLimit(let size, let limit):
            Self.assignment(.poolSize, size, into: &line)
            line.append(" exceeds the file size limit (ulimit -f) of ")
            line.append(limit)
            line.append(" bytes")
        case .cannotCreateFile(let directory, let error):
            line.append("cannot create the pool file in ")
            Self.assignment(.poolDirectory, directory, into: &line)
            line.append(": ")
            line.append(error)
        case .cannotSizeFile(let directory, let error):
            line.append("cannot size the pool file in ")
            Self.assignment(.poolDirectory, directory, into: &line)
            line.append(": ")
            line.append(error)
        case .cannotMap(let size, let error):
            line.append("cannot map a pool of ")
            Self.assignment(.poolSize, size, into: &line)
            line.append(": ")
            line.append(error)
        case .cannotOpenLogFile(let path, let error):
            line.append("cannot open the log file ")
            line.append(cString: path)
            line.append(" (")
            line.append(Variable.logFile.name)
            line.append("): ")
            line.append(error)
        case .cannotOpenStatsFile(let path, let error):
            line.append("cannot open the statistics file ")
            line.append(cString: path)
            line.append(" (")
            line.append(Variable.statsFile.name)
            line.append("): ")
            line.append(error)
        }
    }

    private static func assignment(_ variable: Variable, _ value: Value, into line: inout Message) {
        line.append(variable.name)
        line.append("=")
        line.append(cString: value)
    }
}
