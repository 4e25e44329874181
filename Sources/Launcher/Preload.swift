import VMMallocConfig
import VMMallocSystem

/// LD_PRELOAD for the program: the library first, then whatever the user had
/// there; unchanged when it already holds the library (by any name).
enum Preload {
    static func value(with library: Text) -> Text {
        guard let current = getenv(cString("LD_PRELOAD")), current.pointee != 0 else { return library }
        if holds(Text(current), library) { return Text(current) }
        let libraryLength = strlen(library), currentLength = strlen(current)
        let joined = malloc(libraryLength + 1 + currentLength + 1)!.assumingMemoryBound(to: CChar.self)
        memcpy(joined, library, libraryLength)
        joined[libraryLength] = 0x3a  // ':'
        memcpy(joined + libraryLength + 1, current, currentLength + 1)
        return Text(joined)
    }

    /// Whether one of the entries of `list` (separated by colons or spaces,
    /// as the dynamic loader reads them) is the same file as `library`.
    private static func holds(_ list: Text, _ library: Text) -> Bool {
        var ours = stat()
        guard stat(library, &ours) == 0 else { return false }
        var cursor = list
        while cursor.pointee != 0 {
            let length = strcspn(cursor, cString(": "))
            if length > 0 {
                var entry = Message("")
                entry.append(bytes: cursor, count: length)
                let same = entry.withCString { path in
                    var info = stat()
                    return stat(path, &info) == 0 && info.st_dev == ours.st_dev && info.st_ino == ours.st_ino
                }
                if same { return true }
            }
            cursor += length
            if cursor.pointee != 0 { cursor += 1 }
        }
        return false
    }
}
