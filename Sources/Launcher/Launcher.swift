import VMMallocConfig
import VMMallocSystem

// vmmalloc [options] [--] program [arguments...]
//
// Sets the pool up for the program in its environment (LD_PRELOAD and the
// VMMALLOC_* variables), checks it with the library's own parser, and execs
// the program, so that its pid, exit status and signals are its own.

/// Exit statuses of vmmalloc itself; once the program runs, its status is the program's.
enum ExitStatus {
    static let success: Int32 = 0
    /// --check found a problem.
    static let checkFailed: Int32 = 1
    /// A bad command line or configuration: nothing was run.
    static let usage: Int32 = 2
    /// The program was found but cannot be run (as a shell says it).
    static let cannotRun: Int32 = 126
    /// The program was not found.
    static let notFound: Int32 = 127
}

// SwiftPM links an executable's entry point as `<module>_main` and calls it
// with argc and argv; Embedded Swift has no CommandLine to read them from.
@_cdecl("Launcher_main")
func launcherMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let options: Options
    switch Options.parse(Int(argc), argv) {
    case .success(let value): options = value
    case .failure(let error):
        error.write()
        return ExitStatus.usage
    }
    if options[flag: .help] {
        Usage.writeHelp()
        return ExitStatus.success
    }
    if options[flag: .version] {
        Usage.writeVersion()
        return ExitStatus.success
    }
    let settings = Settings(options)
    if options[flag: .check] {
        if let programIndex = options.programIndex {
            UsageError.checkRunsNothing(Text(argv[programIndex]!)).write()
            return ExitStatus.usage
        }
        return Check.run(settings)
    }
    guard let programIndex = options.programIndex else {
        UsageError.noProgram.write()
        return ExitStatus.usage
    }
    if let error = settings.check() {
        var line = settings.describe(error)
        line.writeLine()
        return ExitStatus.usage
    }
    guard let library = LibraryLocation.find(debug: settings.debug) else {
        var line = Message("vmmalloc: ")
        Usage.describeMissingLibrary(debug: settings.debug, into: &line)
        line.writeLine()
        return ExitStatus.usage
    }
    let preload = Preload.value(with: library)
    let program = argv + programIndex
    if options[flag: .verbose] { Report.settings(settings, library: library, preload: preload, program: Text(program[0]!)) }
    if options[flag: .dryRun] {
        Report.shellLine(settings, preload: preload, program: program)
        return ExitStatus.success
    }
    for index in 0..<Settings.count {
        let setting = settings[index]
        if let value = setting.value { _ = setenv(cString(setting.variable), value, 1) }
    }
    _ = setenv(cString("LD_PRELOAD"), preload, 1)
    if options[flag: .measure] { return Measure.run(program) }
    _ = execvp(program[0]!, program)
    let error = Platform.Errno.current
    var line = Message("vmmalloc: cannot run ")
    line.append(cString: program[0]!)
    line.append(": ")
    line.append(error)
    line.writeLine()
    return error.rawValue == ENOENT ? ExitStatus.notFound : ExitStatus.cannotRun
}
