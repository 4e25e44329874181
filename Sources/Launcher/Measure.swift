import VMMallocConfig
import VMMallocSystem

/// --measure: runs the program on a large sparse pool and says how large a
/// pool it needs.
///
/// The pool file is sparse and gets its space only as the heap uses it, so a
/// pool far larger than the program needs costs nothing more. Every process
/// of the program writes its summary as one JSON line into a temporary file
/// (VMMALLOC_STATS_FILE); once the program has ended, the largest
/// `peak_in_use_bytes` among them is the pool space it needed. Part of that
/// is the pool's metadata (`metadata_bytes`), whose tables grow with the pool
/// (sparse: they get file space only as the slices they describe are used):
/// the size suggested for -s holds the peak's blocks with a quarter more and
/// the 8 MiB a pool needs to start, plus the metadata of a pool of that size
/// (the same share of it as in the measured pool), in whole MiB, at least
/// the 14 MiB minimum. A process that leaves with _exit or is killed writes
/// no summary: then there is nothing to measure by.
enum Measure {
    /// The pool a measured program runs on unless -s says otherwise.
    static var poolSize: Text { cString("64G") }

    /// Runs `program` (its environment set, LD_PRELOAD included) as a child,
    /// reports, and returns the exit status vmmalloc leaves with: the program's.
    static func run(_ program: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
        var template = InlineArray<4096, CChar>(repeating: 0)
        let status: Int32 = withUnsafeMutableBytes(of: &template) { bytes in
            let path = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
            let directory = getenv(cString("TMPDIR")).map { Text($0) } ?? cString("/tmp")
            guard strlen(directory) + 32 < bytes.count else { return fail("TMPDIR is too long", nil) }
            strcpy(path, directory)
            strcat(path, cString("/vmmalloc-measure.XXXXXX"))
            let fd = mkstemp(path)
            guard fd >= 0 else { return fail("cannot create a file for the statistics in ", Text(directory)) }
            defer {
                _ = close(fd)
                _ = unlink(path)
            }
            _ = setenv(cString("VMMALLOC_STATS_FILE"), path, 1)
            _ = setenv(cString("VMMALLOC_LOG_STATS"), cString("json"), 1)
            let child = fork()
            if child == 0 {
                _ = execvp(program[0]!, program)
                let error = Platform.Errno.current
                var line = Message("vmmalloc: cannot run ")
                line.append(cString: program[0]!)
                line.append(": ")
                line.append(error)
                line.writeLine()
                _exit(error.rawValue == ENOENT ? ExitStatus.notFound : ExitStatus.cannotRun)
            }
            guard child > 0 else { return fail("cannot fork", nil) }
            var waitStatus: Int32 = 0
            while waitpid(child, &waitStatus, 0) < 0 && Platform.Errno.current == .interrupted {}
            // The exit status, or 128 + the signal, as a shell reports it.
            let exited = waitStatus & 0x7f == 0
            let result = exited ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f)
            if exited && (result == ExitStatus.notFound || result == ExitStatus.cannotRun) && !reported(fd) {
                return result
            }
            report(fd)
            return result
        }
        return status
    }

    private static func fail(_ text: StaticString, _ detail: Text?) -> Int32 {
        var line = Message("vmmalloc: --measure: ")
        line.append(text)
        if let detail { line.append(cString: detail) }
        line.writeLine()
        return ExitStatus.usage
    }

    /// Whether any process wrote its summary.
    private static func reported(_ fd: Int32) -> Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && info.st_size > 0
    }

    /// Reads the summaries and prints the peak and the suggested size.
    private static func report(_ fd: Int32) {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0,
              let buffer = malloc(Int(info.st_size) + 1)?.assumingMemoryBound(to: CChar.self) else {
            var line = Message("vmmalloc: --measure: no process of the program reported its statistics ")
            line.append("(it ended by _exit, exec or a signal), so there is no peak to report")
            line.writeLine()
            return
        }
        defer { free(buffer) }
        let length = pread(fd, buffer, Int(info.st_size), 0)
        buffer[length > 0 ? length : 0] = 0
        var peak = 0, peakMetadata = 0, peakPID = 0, processes = 0, suggested = 0
        var line = UnsafeMutablePointer(buffer)
        while line.pointee != 0 {
            let end = strchr(line, 0x0a) ?? line + strlen(line)
            let next = end.pointee == 0 ? end : end + 1
            end.pointee = 0
            if let bytes = number(after: "\"peak_in_use_bytes\":", in: line) {
                processes += 1
                let size = number(after: "\"size_bytes\":", in: line) ?? 0
                let metadata = number(after: "\"metadata_bytes\":", in: line) ?? 0
                let mebibytes = suggestedMiB(forPeak: bytes, metadata: metadata, poolSize: size)
                if mebibytes > suggested { suggested = mebibytes }
                if bytes - metadata > peak - peakMetadata {
                    peak = bytes
                    peakMetadata = metadata
                    peakPID = number(after: "\"pid\":", in: line) ?? 0
                }
            }
            line = next
        }
        var message = Message("vmmalloc: peak pool space in use: ")
        message.append(peak - peakMetadata)
        message.append(" bytes (")
        message.append((peak - peakMetadata + (1 << 20) - 1) >> 20)
        message.append(" MiB) of blocks and heaps, in process ")
        message.append(peakPID)
        message.append(processes == 1 ? " (the only one that reported)" : " (the largest of ")
        if processes != 1 {
            message.append(processes)
            message.append(" processes)")
        }
        message.append("; the tables of the measured pool added ")
        message.append(peakMetadata)
        message.append(" bytes")
        message.writeLine()
        var suggestion = Message("vmmalloc: suggested pool size: -s ")
        suggestion.append(suggested)
        suggestion.append("M (VMMALLOC_POOL_SIZE): the blocks at the peak with a quarter more, room to start, the metadata")
        suggestion.writeLine()
    }

    /// The pool, in whole MiB and at least the minimum, that holds the blocks
    /// of a process whose peak was `peak` bytes (`metadata` of them the
    /// metadata of its pool of `poolSize`) with a quarter more and the room
    /// to start, and its own metadata.
    static func suggestedMiB(forPeak peak: Int, metadata: Int, poolSize: Int) -> Int {
        let blocks = peak > metadata ? peak - metadata : 0
        let needed = blocks + blocks / 4 + Configuration.roomToStart(poolSize: Configuration.maximumPoolSize)
        // Metadata takes the same share of any pool (its tables are per slice).
        let total = poolSize > metadata ? needed / (poolSize - metadata) * poolSize
            + needed % (poolSize - metadata) * poolSize / (poolSize - metadata) : needed
        let mebibytes = (total + (1 << 20) - 1) >> 20
        let minimum = Configuration.minimumPoolSize >> 20
        return mebibytes > minimum ? mebibytes : minimum
    }

    /// The decimal number right after `key` in `text`, nil when `key` is not there.
    private static func number(after key: StaticString, in text: UnsafePointer<CChar>) -> Int? {
        guard let found = strstr(text, cString(key)) else { return nil }
        var cursor = UnsafePointer(found) + key.utf8CodeUnitCount
        var value = 0
        var digits = 0
        while cursor.pointee >= 0x30 && cursor.pointee <= 0x39 {
            value = value * 10 + Int(cursor.pointee - 0x30)
            cursor += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
