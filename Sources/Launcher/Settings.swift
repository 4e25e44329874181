import VMMallocConfig
import VMMallocSystem

/// Where a setting came from: it decides how messages name it.
enum Source {
    case option, environment, standard
}

/// One variable vmmalloc hands to the program, with the option that sets it.
struct Setting {
    let variable: StaticString
    let option: StaticString
    var value: Text?
    var source = Source.standard

    init(_ variable: StaticString, _ option: StaticString, _ value: Text? = nil) {
        self.variable = variable
        self.option = option
        self.value = value
        if value != nil { source = .option }
    }

    /// The option's value, else the variable from the environment, else nil.
    mutating func take(_ given: Text?) {
        if let given {
            value = given
            source = .option
        } else if let inherited = getenv(cString(variable)) {
            value = Text(inherited)
            source = .environment
        }
    }

    /// How messages name it: by the variable when the user set the variable,
    /// else by the option that sets it.
    var name: StaticString { source == .environment ? variable : option }
}

/// Every setting of one run, resolved (options, then the environment, then
/// the defaults) but not yet checked.
struct Settings {
    static let count = 7
    var all = InlineArray<7, Setting>(repeating: Setting("", ""))
    var debug = false

    static let directory = 0, size = 1, fork = 2, logLevel = 3, logFile = 4, logStats = 5, statsFile = 6

    subscript(_ index: Int) -> Setting {
        get { all[index] }
        set { all[index] = newValue }
    }

    init(_ options: Options) {
        all[Self.directory] = Setting("VMMALLOC_POOL_DIR", "--dir")
        all[Self.size] = Setting("VMMALLOC_POOL_SIZE", "--size")
        all[Self.fork] = Setting("VMMALLOC_FORK", "--fork")
        all[Self.logLevel] = Setting("VMMALLOC_LOG_LEVEL", "--log-level")
        all[Self.logFile] = Setting("VMMALLOC_LOG_FILE", "--log-file")
        all[Self.logStats] = Setting("VMMALLOC_LOG_STATS", options[flag: .statsJSON] ? "--stats-json" : "--stats")
        all[Self.statsFile] = Setting("VMMALLOC_STATS_FILE", "--stats-file")
        self[Self.directory].take(options[value: .dir])
        self[Self.size].take(options[value: .size])
        self[Self.fork].take(options[value: .fork])
        self[Self.logLevel].take(options[value: .logLevel])
        self[Self.logFile].take(options[value: .logFile])
        self[Self.logStats].take(options[flag: .statsJSON] ? cString("json") : options[flag: .stats] ? cString("1") : nil)
        self[Self.statsFile].take(options[value: .statsFile])
        // --measure runs the program on a large sparse pool (unless -s says
        // how large) and reads its peak from the summaries (see Measure).
        if options[flag: .measure] {
            if options[value: .size] == nil { self[Self.size] = Setting("VMMALLOC_POOL_SIZE", "--size", Measure.poolSize) }
            self[Self.logStats] = Setting("VMMALLOC_LOG_STATS", "--measure", cString("json"))
        }
        // The log exists in the debug variant only, so asking for one selects it.
        debug = options[flag: .debug] || options[value: .logLevel] != nil || options[value: .logFile] != nil
        if self[Self.directory].value == nil { self[Self.directory].value = Defaults.directory() }
        if self[Self.size].value == nil { self[Self.size].value = Defaults.size(in: self[Self.directory].value!) }
    }

    /// The configuration as the library will read it, checked by the
    /// library's own parser, then against the room in the directory and the
    /// file size limit, as the library checks when it creates the pool, and
    /// by trying what the library then does (`StartTrial`): create, size and
    /// map the pool file, open the log. The release variant has no log and
    /// does not read the log level and file.
    func check() -> ConfigurationError? {
        let directory = self[Self.directory].value!, sizeText = self[Self.size].value!
        let parsed = Configuration.parse(directory: directory, size: sizeText, fork: self[Self.fork].value,
                                         logLevel: debug ? self[Self.logLevel].value : nil,
                                         logFile: debug ? self[Self.logFile].value : nil,
                                         logStats: self[Self.logStats].value,
                                         statsFile: self[Self.statsFile].value)
        let configuration: Configuration
        switch parsed {
        case .success(let value): configuration = value
        case .failure(let error): return error
        }
        let page = FileSystem.pageSize(of: directory)
        let size = (configuration.poolSize + page - 1) & ~(page - 1)
        if let limit = Platform.fileSizeLimit, limit < size { return .overFileSizeLimit(size: sizeText, limit: limit) }
        if let free = FileSystem.freeSpace(of: directory), free < Configuration.roomToStart(poolSize: size) {
            return .noRoom(directory: directory, free: free, size: sizeText,
                           inHugePages: FileSystem.hugePageSize(of: directory) != nil)
        }
        if let error = StartTrial.poolFile(in: directory, size: size, sizeText: sizeText) { return error }
        if debug, let logFile = configuration.logFile, let error = StartTrial.logFile(logFile) { return error }
        return nil
    }

    /// The problem as one line, worded by the library's renderer, with each
    /// setting named the way the user gave it (`--size=12M`, or
    /// `VMMALLOC_POOL_SIZE=12M` when it came from the environment).
    func describe(_ error: ConfigurationError, prefix: StaticString = "vmmalloc: ") -> Message {
        var rendered = Message("")
        error.render(into: &rendered)
        var line = Message(prefix)
        rendered.withCString { text in
            var cursor = text
            while cursor.pointee != 0 {
                if cursor == text || cursor[-1] == 0x20 || cursor[-1] == 0x28 /* ( */, let setting = setting(namedAt: cursor) {
                    line.append(setting.name)
                    cursor += setting.variable.utf8CodeUnitCount
                } else {
                    line.append(bytes: cursor, count: 1)
                    cursor += 1
                }
            }
        }
        return line
    }

    /// The setting whose variable name starts at `text` (as a whole word).
    private func setting(namedAt text: Text) -> Setting? {
        for index in 0..<Self.count {
            let name = self[index].variable
            let length = name.utf8CodeUnitCount
            guard memcmp(name.utf8Start, text, length) == 0 else { continue }
            let next = text[length]
            if next == 0 || next == 0x3d || next == 0x20 || next == 0x29 { return self[index] }
        }
        return nil
    }
}
