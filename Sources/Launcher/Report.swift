import VMMallocConfig
import VMMallocSystem

/// What -v, -n and --check print.
enum Report {
    /// -v: the library and every variable set for the program, on standard error.
    static func settings(_ settings: Settings, library: Text, preload: Text, program: Text) {
        var line = Message("vmmalloc: library ")
        line.append(cString: library)
        line.append(settings.debug ? " (debug variant)" : " (release variant)")
        line.writeLine()
        for index in 0..<Settings.count {
            let setting = settings[index]
            guard let value = setting.value else { continue }
            var line = Message("vmmalloc: ")
            line.append(setting.variable)
            line.append("=")
            line.append(cString: value)
            appendSource(of: setting, to: &line)
            line.writeLine()
        }
        var preloadLine = Message("vmmalloc: LD_PRELOAD=")
        preloadLine.append(cString: preload)
        preloadLine.writeLine()
        var runLine = Message("vmmalloc: running ")
        runLine.append(cString: program)
        runLine.writeLine()
    }

    static func appendSource(of setting: Setting, to line: inout Message) {
        switch setting.source {
        case .option:
            line.append(" (from ")
            line.append(setting.option)
            line.append(")")
        case .environment: line.append(" (from the environment)")
        case .standard: line.append(" (default)")
        }
    }

    /// -n: the variables and the command as one line a shell can run.
    static func shellLine(_ settings: Settings, preload: Text,
                          program: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) {
        for index in 0..<Settings.count {
            let setting = settings[index]
            guard let value = setting.value else { continue }
            Output.write(setting.variable)
            Output.write("=")
            Output.writeQuoted(value)
            Output.write(" ")
        }
        Output.write("LD_PRELOAD=")
        Output.writeQuoted(preload)
        var argument = program
        while let word = argument.pointee {
            Output.write(" ")
            Output.writeQuoted(word)
            argument += 1
        }
        Output.write("\n")
    }
}
