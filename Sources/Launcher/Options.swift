import VMMallocConfig
import VMMallocSystem

/// A C string from the command line or the environment.
typealias Text = UnsafePointer<CChar>

/// The options vmmalloc knows. Options end at `--` or at the first argument
/// that is not an option (the program), so the program's own options are
/// never taken for ours.
enum Option: Int {
    case dir, size, fork, debug, logLevel, logFile, stats, statsJSON, statsFile, measure, verbose, dryRun, check, help, version

    static let count = 15

    var long: StaticString {
        switch self {
        case .dir: "--dir"
        case .size: "--size"
        case .fork: "--fork"
        case .debug: "--debug"
        case .logLevel: "--log-level"
        case .logFile: "--log-file"
        case .stats: "--stats"
        case .statsJSON: "--stats-json"
        case .statsFile: "--stats-file"
        case .measure: "--measure"
        case .verbose: "--verbose"
        case .dryRun: "--dry-run"
        case .check: "--check"
        case .help: "--help"
        case .version: "--version"
        }
    }

    /// The one-letter form, 0 for none.
    var short: UInt8 {
        switch self {
        case .dir: 0x64  // d
        case .size: 0x73  // s
        case .fork: 0x66  // f
        case .logLevel: 0x6c  // l
        case .verbose: 0x76  // v
        case .dryRun: 0x6e  // n
        case .help: 0x68  // h
        default: 0
        }
    }

    var takesValue: Bool {
        switch self {
        case .dir, .size, .fork, .logLevel, .logFile, .statsFile: true
        default: false
        }
    }

    /// The option whose long name is the `length` bytes at `name` (with its dashes).
    static func named(_ name: Text, length: Int) -> Option? {
        for index in 0..<count {
            let option = Option(rawValue: index)!
            let long = option.long
            if long.utf8CodeUnitCount == length && memcmp(long.utf8Start, name, length) == 0 { return option }
        }
        return nil
    }

    static func withShort(_ letter: UInt8) -> Option? {
        for index in 0..<count {
            let option = Option(rawValue: index)!
            if option.short == letter { return option }
        }
        return nil
    }
}

/// A command line vmmalloc cannot make sense of (exit status 2).
enum UsageError: Error, @unchecked Sendable {
    case unknownOption(Text)
    case missingValue(Option)
    case unexpectedValue(Option)
    case noProgram
    case checkRunsNothing(Text)

    func write() {
        var line = Message("vmmalloc: ")
        switch self {
        case .unknownOption(let text):
            line.append("unknown option ")
            line.append(cString: text)
            line.append(" (vmmalloc --help lists the options)")
        case .missingValue(let option):
            line.append(option.long)
            line.append(" needs a value")
        case .unexpectedValue(let option):
            line.append(option.long)
            line.append(" takes no value")
        case .noProgram:
            line.append("no program to run (usage: vmmalloc [options] [--] program [arguments...])")
        case .checkRunsNothing(let text):
            line.append("--check runs nothing and takes no argument, not even ")
            line.append(cString: text)
            line.append(" (usage: vmmalloc --check [-d DIR] [-s SIZE] [options])")
        }
        line.writeLine()
    }
}

/// What the command line asked for; values point into argv.
struct Options {
    var values = InlineArray<15, Text?>(repeating: nil)
    var flags = InlineArray<15, Bool>(repeating: false)
    /// The index in argv of the program to run, nil when there is none.
    var programIndex: Int?

    subscript(value option: Option) -> Text? { values[option.rawValue] }
    subscript(flag option: Option) -> Bool { flags[option.rawValue] }

    private mutating func set(_ option: Option, _ value: Text?) {
        if option.takesValue { values[option.rawValue] = value } else { flags[option.rawValue] = true }
    }

    /// Reads argv[1...]: `--name`, `--name=value`, `--name value`, `-x`,
    /// `-xvalue`, `-x value`, and letters without values run together (`-vn`).
    static func parse(_ argc: Int, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result<Options, UsageError> {
        var options = Options()
        var index = 1
        while index < argc {
            let argument = Text(argv[index]!)
            if argument[0] != 0x2d || argument[1] == 0 {  // not an option (or "-"): the program
                options.programIndex = index
                break
            }
            if argument[1] == 0x2d {
                if argument[2] == 0 {  // "--"
                    if index + 1 < argc { options.programIndex = index + 1 }
                    break
                }
                let equals = strchr(argument, 0x3d)
                let nameLength = equals.map { Text($0) - argument } ?? strlen(argument)
                guard let option = Option.named(argument, length: nameLength) else { return .failure(.unknownOption(argument)) }
                if let equals {
                    guard option.takesValue else { return .failure(.unexpectedValue(option)) }
                    options.set(option, Text(equals) + 1)
                } else if option.takesValue {
                    index += 1
                    guard index < argc else { return .failure(.missingValue(option)) }
                    options.set(option, Text(argv[index]!))
                } else {
                    options.set(option, nil)
                }
                index += 1
                continue
            }
            var letter = argument + 1
            while letter.pointee != 0 {
                guard let option = Option.withShort(UInt8(bitPattern: letter.pointee)) else {
                    return .failure(.unknownOption(argument))
                }
                if option.takesValue {
                    if letter[1] != 0 {
                        options.set(option, letter + 1)
                    } else {
                        index += 1
                        guard index < argc else { return .failure(.missingValue(option)) }
                        options.set(option, Text(argv[index]!))
                    }
                    break
                }
                options.set(option, nil)
                letter += 1
            }
            index += 1
        }
        return .success(options)
    }
}
