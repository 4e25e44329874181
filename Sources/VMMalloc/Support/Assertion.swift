/// Internal consistency checks, compiled into the debug variant only.
///
/// The debug variant is the same source built with `-DVMMALLOC_DEBUG`
/// (`swift build -c release --scratch-path .build-debug -Xswiftc -DVMMALLOC_DEBUG`).
/// In the release variant `vmmAssert` is empty and its condition is never
/// evaluated, so a check costs nothing on any path.
enum Variant {
#if VMMALLOC_DEBUG
    static let isDebug = true
#else
    static let isDebug = false
#endif
}

/// Stops the process with file, line, the condition and the pointer involved
/// when `condition` is false (debug variant only).
@inline(__always)
func vmmAssert(_ condition: @autoclosure () -> Bool, _ text: StaticString, _ pointer: UnsafeRawPointer? = nil,
               file: StaticString = #fileID, line: UInt = #line) {
#if VMMALLOC_DEBUG
    if !condition() { assertionFailed(text, pointer, file: file, line: line) }
#endif
}

#if VMMALLOC_DEBUG
@inline(never)
func assertionFailed(_ text: StaticString, _ pointer: UnsafeRawPointer?, file: StaticString, line: UInt) -> Never {
    var message = Message("libvmmalloc: ")
    message.append(file)
    message.append(":")
    message.append(Int(line))
    message.append(": assertion failed: ")
    message.append(text)
    if let pointer {
        message.append(" (pointer ")
        message.append(pointer: pointer)
        message.append(")")
    }
    fatal(&message)
}
#endif
