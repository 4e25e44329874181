// Pointers that did not come from the pool (a library opened with
// RTLD_DEEPBIND uses glibc's malloc) reach the pool's free and realloc.
import Foundation
import Testing

@Suite("Foreign pointers")
struct DeepBindTests {
    @Test("glibc pointers from an RTLD_DEEPBIND library: free, realloc, malloc_usable_size do not crash; realloc keeps contents")
    func foreignPointers() throws {
        let lib = try Programs.build("deeplib.c", shared: true)
        let exe = try Programs.build("deep.c")
        let r = try runInPool(exe, [lib], size: "64M")
        expectClean(r, "deep:")
        #expect(r.result.stdout.contains("realloc_ok") && r.result.stdout.contains("free_ok")
                && r.result.stdout.contains("OK"), "\(r.result)")
    }
}
