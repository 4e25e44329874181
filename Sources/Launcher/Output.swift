import VMMallocConfig
import VMMallocSystem

/// Text for standard output, written as it comes (help, --dry-run, --check).
enum Output {
    static func write(_ text: StaticString) {
        Platform.write(1, text.utf8Start, text.utf8CodeUnitCount)
    }

    static func write(cString text: Text) {
        Platform.write(1, text, strlen(text))
    }

    /// `text` as one shell word: as it is when it holds only characters no
    /// shell treats specially, else in single quotes (a quote inside as '\'').
    static func writeQuoted(_ text: Text) {
        if text.pointee != 0 && strspn(text, safe) == strlen(text) {
            write(cString: text)
            return
        }
        write("'")
        var cursor = text
        while cursor.pointee != 0 {
            let length = strcspn(cursor, cString("'"))
            Platform.write(1, cursor, length)
            cursor += length
            if cursor.pointee != 0 {
                write("'\\''")
                cursor += 1
            }
        }
        write("'")
    }

    private static var safe: Text {
        cString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-")
    }
}
