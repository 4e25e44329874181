import VMMallocSystem

/// One line of text built on the stack and written with a single write(2),
/// so that it never allocates and never interleaves with another thread's line.
package struct Message {
    private var buffer = StackBuffer()
    private var length = 0

    package init(_ text: StaticString) {
        append(text)
    }

    package mutating func append(_ text: StaticString) {
        append(bytes: UnsafeRawPointer(text.utf8Start), count: text.utf8CodeUnitCount)
    }

    package mutating func append(cString text: UnsafePointer<CChar>) {
        append(bytes: UnsafeRawPointer(text), count: strlen(text))
    }

    package mutating func append(_ value: Int) {
        if value < 0 { appendByte(0x2d) }
        append(unsigned: value.magnitude)
    }

    /// Appends a size_t (or any unsigned value) in decimal.
    package mutating func append(unsigned value: UInt) {
        var digits = InlineArray<24, UInt8>(repeating: 0)
        var magnitude = value
        var count = 0
        repeat {
            digits[count] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
            magnitude /= 10
            count += 1
        } while magnitude > 0
        while count > 0 {
            count -= 1
            appendByte(digits[count])
        }
    }

    /// Appends an address as 0x followed by hexadecimal digits.
    package mutating func append(pointer: UnsafeRawPointer) {
        append("0x")
        var value = UInt(bitPattern: pointer)
        var digits = InlineArray<16, UInt8>(repeating: 0)
        var count = 0
        repeat {
            let digit = UInt8(truncatingIfNeeded: value & 15)
            digits[count] = digit < 10 ? digit + 0x30 : digit - 10 + 0x61
            value >>= 4
            count += 1
        } while value > 0
        while count > 0 {
            count -= 1
            appendByte(digits[count])
        }
    }

    /// Appends a place in the library's source: "Module/File.swift:line function".
    package mutating func append(file: StaticString, line: UInt, function: StaticString) {
        append(file)
        append(":")
        append(Int(line))
        append(" ")
        append(function)
    }

    /// Appends a byte count in whole MiB, rounded down.
    package mutating func append(mebibytes bytes: Int) {
        append(bytes >> 20)
        append(" MiB")
    }

    package mutating func append(_ error: Platform.Errno) {
        if let text = Platform.describe(error) {
            append(cString: text)
        } else {
            append("error ")
            append(Int(error.rawValue))
        }
    }

    private mutating func appendByte(_ byte: UInt8) {
        buffer.withBytes { bytes in
            // Keep one byte for the newline.
            if length < bytes.count - 1 {
                bytes[length] = byte
                length += 1
            }
        }
    }

    package mutating func append(bytes: UnsafeRawPointer, count: Int) {
        buffer.withBytes { buffer in
            let room = buffer.count - 1 - length
            let n = count < room ? count : room
            if n > 0 { memcpy(buffer.baseAddress! + length, bytes, n) }
            length += n > 0 ? n : 0
        }
    }

    /// Writes the line, with its newline, to standard error (or `fd`).
    package mutating func writeLine(to fd: Int32 = 2) {
        let count = length
        buffer.withBytes { bytes in
            bytes[count] = 0x0a
            Platform.write(fd, bytes.baseAddress!, count + 1)
        }
    }

    /// Bytes of text so far, and the most a line holds.
    package var count: Int { length }
    package static var capacity: Int { StackBuffer.capacity - 1 }

    /// Writes the text so far, without a newline, to `fd`, and starts empty
    /// again: a report longer than a line, written in pieces.
    package mutating func flush(to fd: Int32) {
        let count = length
        if count > 0 { buffer.withBytes { bytes in Platform.write(fd, bytes.baseAddress!, count) } }
        length = 0
    }

    /// The text so far as a C string, valid during `body`.
    package mutating func withCString<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
        let count = length
        return buffer.withBytes { bytes in
            bytes[count] = 0
            return body(UnsafePointer(bytes.baseAddress!.assumingMemoryBound(to: CChar.self)))
        }
    }
}

/// Prints one line and stops the process, as every fatal misconfiguration does.
package func fatal(_ message: inout Message) -> Never {
    message.writeLine()
    Platform.abort()
}
