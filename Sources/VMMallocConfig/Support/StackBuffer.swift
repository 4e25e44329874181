/// A path-sized scratch buffer that lives on the stack: the library may not
/// allocate, not even to format a message or build a file name.
package struct StackBuffer {
    package static let capacity = 4096
    private var storage = InlineArray<4096, UInt8>(repeating: 0)

    package init() {}

    package mutating func withBytes<R>(_ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        withUnsafeMutableBytes(of: &storage) { body($0) }
    }
}

/// A C string from a literal, without the String conversion that allocates
/// in unoptimised builds.
@inline(__always)
package func cString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}
