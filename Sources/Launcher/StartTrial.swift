import VMMallocConfig
import VMMallocSystem

/// What the library does at start that can still fail once the settings
/// parse, tried by vmmalloc first so that a doomed program is not started:
/// the library would stop it with abort() (status 134, perhaps a core file),
/// vmmalloc stops with status 2 and the same line. Each trial does what the
/// library does and undoes it; none leaves a file behind.
enum StartTrial {
    /// The pool file: an unnamed file in `directory` (or a named one, unlinked
    /// at once, where the file system has no O_TMPFILE), sized to `size`
    /// bytes and mapped shared, as `Pool.create` makes it.
    static func poolFile(in directory: Text, size: Int, sizeText: Text) -> ConfigurationError? {
        let fd: Int32
        switch createUnnamedFile(in: directory) {
        case .success(let value): fd = value
        case .failure(let error): return .cannotCreateFile(directory: directory, error)
        }
        defer { _ = close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { return .cannotSizeFile(directory: directory, .current) }
        // Without a reservation: the library reserves the pool's space as the
        // heap reaches it, so whether there is room is not decided here.
        guard let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | noReserve, fd, 0),
              mapping != UnsafeMutableRawPointer(bitPattern: -1)
        else { return .cannotMap(size: sizeText, .current) }
        _ = munmap(mapping, size)
        return nil
    }

    /// The debug variant's log file, opened for appending as the library
    /// opens it (a name ending in `-` gets the process id, which the program
    /// keeps: vmmalloc execs it). A file that does not exist yet is created
    /// and removed again.
    static func logFile(_ path: Text) -> ConfigurationError? {
        var name = Message("")
        name.append(cString: path)
        if path[strlen(path) - 1] == 0x2d /* - */ { name.append(Int(getpid())) }
        let error: Platform.Errno? = name.withCString { file in
            let fd = vmm_open(file, O_WRONLY | O_APPEND | O_CLOEXEC, 0)
            if fd >= 0 {
                _ = close(fd)
                return nil
            }
            let reason = Platform.Errno.current
            guard reason.rawValue == ENOENT else { return reason }
            return creatable(in: file)
        }
        return error.map { .cannotOpenLogFile(path, $0) }
    }

    /// Why a new file named `file` cannot be created, nil when it can: tried
    /// by creating it (only if nobody else has meanwhile) and removing it again.
    private static func creatable(in file: Text) -> Platform.Errno? {
        let fd = vmm_open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let reason = Platform.Errno.current
            return reason.rawValue == EEXIST ? nil : reason
        }
        _ = close(fd)
        _ = unlink(file)
        return nil
    }

    #if os(Linux)
    private static let noReserve = MAP_NORESERVE
    #else
    private static let noReserve: Int32 = 0
    #endif

    /// As the library's `Platform.createUnnamedFile`.
    private static func createUnnamedFile(in directory: Text) -> Result<Int32, Platform.Errno> {
        let flags = vmm_o_tmpfile()
        if flags != 0 {
            let fd = vmm_open(directory, flags | O_RDWR | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { return .success(fd) }
            let reason = Platform.Errno.current
            guard reason.rawValue == EOPNOTSUPP || reason.rawValue == EISDIR || reason.rawValue == EINVAL
            else { return .failure(reason) }
        }
        var template = Message("")
        template.append(cString: directory)
        template.append("/.vmmalloc.XXXXXX")
        return template.withCString { text in
            let path = UnsafeMutablePointer(mutating: text)
            let fd = mkostemp(path, O_CLOEXEC)
            guard fd >= 0 else { return .failure(.current) }
            _ = unlink(path)
            return .success(fd)
        }
    }
}
