/// Internal consistency checks, compiled into the debug variant only.
///
/// The debug variant is the same source built with `-DVMMALLOC_DEBUG`
/// (`swift build -c release --scratch-path .build-debug -Xswiftc -DVMMALLOC_DEBUG`).
/// In the release variant `vmmAssert` is empty and its condition is never
/// evaluated, so a check costs nothing on any path.

/// Stops the process when `condition` is false (debug variant only), with one
/// line naming the source file, line and function, the condition and the
/// pointer involved:
/// `libvmmalloc: VMMalloc/Heap.swift:80 free(_:): assertion failed: <text> (pointer 0x...)`.
/// The line goes to standard error, and to the log file too when there is one.
@inline(__always)
func vmmAssert(_ condition: @autoclosure () -> Bool, _ text: StaticString, _ pointer: UnsafeRawPointer? = nil,
               file: StaticString = #fileID, line: UInt = #line, function: StaticString = #function) {
#if VMMALLOC_DEBUG
    if !condition() { assertionFailed(text, pointer, file: file, line: line, function: function) }
#endif
}

#if VMMALLOC_DEBUG
@inline(never)
func assertionFailed(_ text: StaticString, _ pointer: UnsafeRawPointer?,
                     file: StaticString, line: UInt, function: StaticString) -> Never {
    var message = Message("libvmmalloc: ")
    message.append(file: file, line: line, function: function)
    message.append(": assertion failed: ")
    message.append(text)
    if let pointer {
        message.append(" (pointer ")
        message.append(pointer: pointer)
        message.append(")")
    }
    Log.writeFatal(&message)
    Platform.abort()
}
#endif
