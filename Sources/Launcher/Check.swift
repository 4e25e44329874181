import VMMallocConfig
import VMMallocSystem

/// --check: whether a pool of the size asked for can be made in the
/// directory, with what backs it, as a short report on standard output.
/// Exit status 0 when it can, 1 when it cannot.
enum Check {
    static func run(_ settings: Settings) -> Int32 {
        let directorySetting = settings[Settings.directory], sizeSetting = settings[Settings.size]
        let directory = directorySetting.value!
        var line = Message("directory:   ")
        line.append(cString: directory)
        Report.appendSource(of: directorySetting, to: &line)
        line.writeLine(to: 1)

        var fileSystem = Message("file system: ")
        _ = FileSystem.kind(of: directory, describingInto: &fileSystem)
        fileSystem.writeLine(to: 1)

        var free = Message("free space:  ")
        if let bytes = FileSystem.freeSpace(of: directory) {
            free.append(mebibytes: bytes)
        } else {
            free.append("not counted by this file system")
        }
        free.writeLine(to: 1)

        var size = Message("pool size:   ")
        size.append(cString: sizeSetting.value!)
        Report.appendSource(of: sizeSetting, to: &size)
        size.writeLine(to: 1)

        var library = Message("library:     ")
        let found = LibraryLocation.find(debug: settings.debug)
        if let found { library.append(cString: found) } else { Usage.describeMissingLibrary(debug: settings.debug, into: &library) }
        library.writeLine(to: 1)

        if let error = settings.check() {
            var problem = settings.describe(error, prefix: "problem:     ")
            problem.writeLine(to: 1)
            return ExitStatus.checkFailed
        }
        guard found != nil else { return ExitStatus.checkFailed }
        if let pages = FileSystem.freeHugePages(of: directory), let bytes = poolBytes(sizeSetting.value!) {
            // Information only: the pool takes huge pages as its heap reaches them.
            var line = Message("huge pages:  ")
            line.append(pages.free)
            line.append(" free, the whole pool would take ")
            line.append((bytes + pages.pageSize - 1) / pages.pageSize)
            line.writeLine(to: 1)
        }
        if let free = FileSystem.freeSpace(of: directory), let bytes = poolBytes(sizeSetting.value!), free < bytes {
            // Fine (the file is sparse), but worth knowing.
            Output.write("note:        the pool is larger than the free space: allocations fail with ENOMEM when it fills up\n")
            Output.write("ok:          the directory is writable and has room to start the pool\n")
            return ExitStatus.success
        }
        Output.write("ok:          the directory is writable and has room for the pool\n")
        return ExitStatus.success
    }

    /// The size in bytes of a size the parser accepted.
    private static func poolBytes(_ text: Text) -> Int? {
        if case .success(let bytes) = SizeParser.parse(text) { return bytes }
        return nil
    }
}
