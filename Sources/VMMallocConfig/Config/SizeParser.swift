/// Reads a byte count: decimal digits with an optional binary suffix K, M, G
/// or T (either case). Signs, spaces, other bases, fractions and anything
/// after the suffix are refused.
package enum SizeParser {
    package enum Failure: Error {
        case notASize
        case tooLarge
    }

    package static func parse(_ text: UnsafePointer<CChar>) -> Result<Int, Failure> {
        var cursor = text
        var value = 0
        var sawDigit = false
        while cursor.pointee >= 0x30 && cursor.pointee <= 0x39 {
            let digit = Int(cursor.pointee - 0x30)
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(digit)
            if o1 || o2 { return .failure(skipToSuffixIsValid(cursor) ? .tooLarge : .notASize) }
            value = sum
            sawDigit = true
            cursor += 1
        }
        guard sawDigit else { return .failure(.notASize) }
        let shift: Int
        switch cursor.pointee {
        case 0: return .success(value)
        case 0x4b, 0x6b: shift = 10  // K k
        case 0x4d, 0x6d: shift = 20  // M m
        case 0x47, 0x67: shift = 30  // G g
        case 0x54, 0x74: shift = 40  // T t
        default: return .failure(.notASize)
        }
        guard cursor[1] == 0 else { return .failure(.notASize) }
        guard value <= Int.max >> shift else { return .failure(.tooLarge) }
        return .success(value << shift)
    }

    /// After an overflow: "too large" only if the rest is still a well-formed size.
    private static func skipToSuffixIsValid(_ start: UnsafePointer<CChar>) -> Bool {
        var cursor = start
        while cursor.pointee >= 0x30 && cursor.pointee <= 0x39 { cursor += 1 }
        switch cursor.pointee {
        case 0: return true
        case 0x4b, 0x6b, 0x4d, 0x6d, 0x47, 0x67, 0x54, 0x74: return cursor[1] == 0
        default: return false
        }
    }
}
