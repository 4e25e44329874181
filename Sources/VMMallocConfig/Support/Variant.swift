/// Which variant of the library this is: the debug variant is the same
/// source built with `-DVMMALLOC_DEBUG` (see `vmmAssert`).
package enum Variant {
#if VMMALLOC_DEBUG
    package static let isDebug = true
#else
    package static let isDebug = false
#endif
}
