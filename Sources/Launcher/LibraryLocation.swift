import VMMallocConfig
import VMMallocSystem

/// Finds libvmmalloc for vmmalloc: next to vmmalloc itself in a build tree,
/// else in the library directories of an installation.
///
/// Release variant, in this order: `<bin>/libvmmalloc.so.1`, else
/// `<bin>/libvmmalloc.so` (SwiftPM's `.build/release`, where `make` adds the
/// soname link), `<bin>/../lib/libvmmalloc.so.1` (`make`'s `build/lib`, or an
/// installation), `<bin>/../lib/<multiarch>/libvmmalloc.so.1`, then
/// `/usr/lib/<multiarch>`, `/usr/lib` and `/usr/local/lib`. The debug variant
/// (`--debug`) is `.build-debug/release/libvmmalloc.so.1` (or `.so`) beside
/// the build tree vmmalloc is in, else `vmem_debug/libvmmalloc.so.1` under the
/// same library directories.
///
/// The path keeps the name it was found by: the soname link, not the file it
/// points to (`libvmmalloc.so.1`, not `libvmmalloc.so.1.1.0`), so that a
/// saved `vmmalloc -n` line still loads the library after an upgrade has
/// replaced that file.
enum LibraryLocation {
    #if arch(x86_64)
    static let multiarch: StaticString = "x86_64-linux-gnu"
    #elseif arch(arm64)
    static let multiarch: StaticString = "aarch64-linux-gnu"
    #else
    static let multiarch: StaticString = "lib"
    #endif

    /// The absolute path of the library (resolved), or nil when none is found.
    static func find(debug: Bool) -> Text? {
        var binary = StackBuffer()
        let found: Text? = binary.withBytes { bytes in
            let path = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
            var directory: Text? = nil
            let length = readlink(cString("/proc/self/exe"), path, bytes.count - 1)
            if length > 0 {
                path[length] = 0
                if let slash = strrchr(path, 0x2f) {
                    slash.pointee = 0
                    directory = Text(path)
                }
            }
            return debug ? findDebug(besides: directory) : findRelease(besides: directory)
        }
        return found
    }

    private static func findRelease(besides bin: Text?) -> Text? {
        if let bin, let found = existing(bin, "/libvmmalloc.so.1") ?? existing(bin, "/libvmmalloc.so") { return found }
        return installed(besides: bin, "libvmmalloc.so.1")
    }

    private static func findDebug(besides bin: Text?) -> Text? {
        if let bin {
            // <root>/.build/release or <root>/.build/<triple>/release
            for up: StaticString in ["/../..", "/../../.."] {
                if let found = existing(bin, up, "/.build-debug/release/libvmmalloc.so.1")
                    ?? existing(bin, up, "/.build-debug/release/libvmmalloc.so") { return found }
            }
        }
        return installed(besides: bin, "vmem_debug/libvmmalloc.so.1")
    }

    /// `name` under `<bin>/../lib`, `<bin>/../lib/<multiarch>`, then the system's library directories.
    private static func installed(besides bin: Text?, _ name: StaticString) -> Text? {
        if let bin {
            if let found = existing(bin, "/../lib/", name) { return found }
            if let found = existing(bin, "/../lib/", multiarch, "/", name) { return found }
        }
        return existing(cString("/usr/lib/"), multiarch, "/", name)
            ?? existing(cString("/usr/lib/"), name)
            ?? existing(cString("/usr/local/lib/"), name)
    }

    /// The path made of the pieces, if it is a readable file: its directory
    /// resolved (no `..`, no links), its own name as given.
    private static func existing(_ start: Text, _ second: StaticString, _ third: StaticString = "",
                                 _ fourth: StaticString = "", _ fifth: StaticString = "") -> Text? {
        var path = Message("")
        path.append(cString: start)
        path.append(second)
        path.append(third)
        path.append(fourth)
        path.append(fifth)
        return path.withCString { candidate in
            var info = stat()
            guard stat(candidate, &info) == 0, (UInt32(info.st_mode) & UInt32(S_IFMT)) == UInt32(S_IFREG),
                  access(candidate, R_OK) == 0
            else { return nil }
            return resolvingDirectory(of: candidate)
        }
    }

    private static func resolvingDirectory(of path: Text) -> Text? {
        let slash = strrchr(path, 0x2f)!
        var directory = Message("")
        directory.append(bytes: path, count: Text(slash) - path)
        guard let resolved = directory.withCString({ realpath($0, nil) }) else { return nil }
        var full = Message("")
        full.append(cString: resolved)
        full.append(cString: Text(slash))
        free(resolved)
        return full.withCString { Text(strdup($0)!) }
    }
}
