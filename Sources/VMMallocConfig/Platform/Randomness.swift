#if os(Linux)
import VMMallocSystem

// The embedded Swift runtime seeds its hashing (a payload-free enum is
// Hashable, so the code is there even though nothing here hashes) from
// `arc4random_buf`, which glibc has only since 2.36. This definition,
// local to the library and the launcher (the version script exports it
// not), takes the bytes from getrandom(2) instead, so that they load on the
// older glibc README names.

/// Fills `buffer` with `count` random bytes from the kernel; where getrandom
/// fails (a kernel before 3.17, a sandbox), with the bytes the kernel gave
/// the process at start (AT_RANDOM), stretched with SplitMix64.
@_cdecl("arc4random_buf")
func fillRandom(_ buffer: UnsafeMutableRawPointer, _ count: Int) {
    var done = 0
    while done < count {
        let n = vmm_getrandom(buffer + done, count - done)
        if n > 0 {
            done += n
        } else if n < 0 && Platform.Errno.current == .interrupted {
            continue
        } else {
            break
        }
    }
    guard done < count else { return }
    var state: UInt64 = 0x9e37_79b9_7f4a_7c15
    if let seed = UnsafeRawPointer(bitPattern: UInt(getauxval(UInt(AT_RANDOM)))) {
        state ^= seed.loadUnaligned(as: UInt64.self) ^ seed.loadUnaligned(fromByteOffset: 8, as: UInt64.self).byteSwapped
    }
    while done < count {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        mixed ^= mixed >> 31
        let chunk = min(8, count - done)
        withUnsafeBytes(of: &mixed) { (buffer + done).copyMemory(from: $0.baseAddress!, byteCount: chunk) }
        done += chunk
    }
}
#endif
