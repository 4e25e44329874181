// What the shared object exposes: the malloc family and nothing else, and
// no dependency but the C library.
import Testing

@Suite("Shared object")
struct SymbolsTests {
    static let api: Set<String> = [
        "malloc", "calloc", "realloc", "free", "cfree", "posix_memalign", "aligned_alloc",
        "memalign", "valloc", "pvalloc", "malloc_usable_size",
    ]

    @Test("nm -D --defined-only lists exactly the malloc API")
    func exportedSymbols() throws {
        let lib = try Library.path()
        let r = try runChecked(try tool("nm"), ["-D", "--defined-only", lib])
        var names: [String] = []
        for line in r.stdout.split(separator: "\n") {
            // "<address> <type> <name>[@version]"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let last = fields.last, fields.count >= 2 else { continue }
            names.append(String(last.split(separator: "@", maxSplits: 1)[0]))
        }
        let exported = Set(names)
        #expect(names.count == exported.count, "a symbol is listed twice: \(names.sorted())")
        #expect(exported == Self.api,
                "unexpected: \(exported.subtracting(Self.api).sorted()), missing: \(Self.api.subtracting(exported).sorted())")
    }

    @Test("readelf -d: SONAME libvmmalloc.so.1, the only NEEDED is libc.so.6")
    func dynamicSection() throws {
        let lib = try Library.path()
        let r = try runChecked(try tool("readelf"), ["-d", "-W", lib])
        func bracketed(_ tag: String) -> [String] {
            r.stdout.split(separator: "\n").filter { $0.contains("(\(tag))") }.compactMap { line in
                guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
                return String(line[line.index(after: open)..<close])
            }
        }
        #expect(bracketed("SONAME") == ["libvmmalloc.so.1"], "\(r.stdout)")
        #expect(bracketed("NEEDED") == ["libc.so.6"], "\(r.stdout)")
    }
}
