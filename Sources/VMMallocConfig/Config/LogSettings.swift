import VMMallocSystem

/// VMMALLOC_LOG_LEVEL (0 to 4), VMMALLOC_LOG_FILE and VMMALLOC_LOG_STATS (0
/// or 1), checked after the pool settings, in the order a user reads them.
extension Configuration {
    package static func parse(directory: UnsafePointer<CChar>?, size: UnsafePointer<CChar>?,
                              fork: UnsafePointer<CChar>?, logLevel: UnsafePointer<CChar>?,
                              logFile: UnsafePointer<CChar>?,
                              logStats: UnsafePointer<CChar>?) -> Result<Configuration, ConfigurationError> {
        let configuration: Configuration
        switch parse(directory: directory, size: size, fork: fork) {
        case .success(let value): configuration = value
        case .failure(let error): return .failure(error)
        }
        if let logLevel {
            guard logLevel.pointee != 0 else { return .failure(.empty(.logLevel)) }
            guard let level = singleDigit(logLevel), level <= 4 else { return .failure(.logLevelInvalid(logLevel)) }
        }
        if let logFile {
            guard logFile.pointee != 0 else { return .failure(.empty(.logFile)) }
            // Room for the name, a process id and the terminating zero.
            guard strlen(logFile) + 12 < Int(PATH_MAX) else { return .failure(.logFileNameTooLong(logFile)) }
        }
        if let logStats {
            guard logStats.pointee != 0 else { return .failure(.empty(.logStats)) }
            guard let value = singleDigit(logStats), value <= 1 else { return .failure(.logStatsInvalid(logStats)) }
        }
        return .success(configuration)
    }

    /// The value of a one-digit text, nil for anything else.
    private static func singleDigit(_ text: UnsafePointer<CChar>) -> Int? {
        guard text.pointee >= 0x30, text.pointee <= 0x39, text[1] == 0 else { return nil }
        return Int(text.pointee - 0x30)
    }
}
