// What the shared object exposes: the malloc family and nothing else, and
// no dependency but the C library.
import Testing

/// The builds of the library every shared-object test looks at.
enum LibraryBuild: String, CaseIterable, Sendable {
    case release
    case unoptimized
    case debugVariant

    var path: String {
        get throws {
            switch self {
            case .release: try Library.path()
            case .unoptimized: try Library.unoptimizedPath()
            case .debugVariant: try Library.debugPath()
            }
        }
    }
}

/// The direct calls, jumps and address references of every function of a shared object, by name.
func callGraph(of lib: String) throws -> [String: Set<String>] {
    let r = try runChecked(try tool("objdump"), ["-d", "--no-show-raw-insn", lib])
    var edges: [String: Set<String>] = [:]
    var current = ""
    for line in r.stdout.split(separator: "\n") {
        if line.hasSuffix(">:"), let open = line.firstIndex(of: "<") {
            current = String(line[line.index(after: open)..<line.index(line.endIndex, offsetBy: -2)])
            edges[current, default: []] = edges[current, default: []]
            continue
        }
        guard let open = line.lastIndex(of: "<"), let close = line.lastIndex(of: ">"), open < close else { continue }
        var target = String(line[line.index(after: open)..<close])
        if let plus = target.firstIndex(of: "+"), !target.hasSuffix("@plt") { target = String(target[..<plus]) }
        if target != current { edges[current, default: []].insert(target) }
    }
    return edges
}

/// Every function reachable from `roots`, each with the function it was reached from.
func reachable(from roots: Set<String>, in edges: [String: Set<String>]) -> [String: String] {
    var cameFrom: [String: String] = [:]
    var queue = Array(roots)
    var seen = roots
    while let function = queue.popLast() {
        for callee in edges[function] ?? [] where !seen.contains(callee) {
            seen.insert(callee)
            cameFrom[callee] = function
            queue.append(callee)
        }
    }
    for root in roots { cameFrom[root] = cameFrom[root] ?? "" }
    return cameFrom
}

/// The call path from a root to `function`, for messages.
func callPath(to function: String, _ cameFrom: [String: String]) -> String {
    var path = [function]
    while let previous = cameFrom[path.last!], !previous.isEmpty { path.append(previous) }
    return path.reversed().joined(separator: " -> ")
}

@Suite("Shared object")
struct SymbolsTests {
    static let api: Set<String> = [
        "malloc", "calloc", "realloc", "free", "cfree", "posix_memalign", "aligned_alloc",
        "memalign", "valloc", "pvalloc", "malloc_usable_size",
        "mallinfo2", "mallinfo", "malloc_trim", "malloc_stats", "malloc_info", "mallopt", "vmmalloc_stats_get",
    ]

    @Test("nm -D --defined-only lists exactly the malloc API (release, unoptimised, debug variant)",
          arguments: LibraryBuild.allCases)
    func exportedSymbols(build: LibraryBuild) throws {
        let lib = try build.path
        let r = try runChecked(try tool("nm"), ["-D", "--defined-only", lib])
        var names: [String] = []
        var local: [String] = []
        for line in r.stdout.split(separator: "\n") {
            // "<address> <type> <name>[@version]"; a lower-case type is a local symbol, which nothing can bind to.
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let last = fields.last, fields.count >= 3 else { continue }
            let name = String(last.split(separator: "@", maxSplits: 1)[0])
            if fields[fields.count - 2].first?.isLowercase == true { local.append(name) } else { names.append(name) }
        }
        // The thread's heap slot (initial-exec TLS) appears as a local symbol for its relocation.
        #expect(local.allSatisfy { $0 == "vmm_tls_heap" }, "local dynamic symbols: \(local)")
        #expect(!(names + local).contains { $0.hasPrefix("swift_") || $0.hasPrefix("$e") })
        let exported = Set(names)
        #expect(names.count == exported.count, "a symbol is listed twice: \(names.sorted())")
        #expect(exported == Self.api,
                "unexpected: \(exported.subtracting(Self.api).sorted()), missing: \(Self.api.subtracting(exported).sorted())")
    }

    @Test("readelf -d: SONAME libvmmalloc.so.1, the only NEEDED is libc.so.6 (release and debug variant)",
          arguments: [LibraryBuild.release, .debugVariant])
    func dynamicSection(build: LibraryBuild) throws {
        let lib = try build.path
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

    /// The glibc README states the library needs ("needs glibc 2.34 or later").
    static func statedGlibcFloor() throws -> [Int] {
        let readme = try String(contentsOfFile: Paths.package + "/README.md", encoding: .utf8)
        guard let range = readme.range(of: #"needs glibc [0-9]+\.[0-9]+ or later"#, options: .regularExpression) else {
            throw HarnessError("README.md does not say \"needs glibc X.Y or later\"")
        }
        return readme[range].split(separator: " ")[2].split(separator: ".").compactMap { Int($0) }
    }

    @Test("the newest GLIBC_ symbol version the library needs is the glibc README states (release, unoptimised, debug variant)",
          arguments: LibraryBuild.allCases)
    func glibcFloor(build: LibraryBuild) throws {
        let floor = try Self.statedGlibcFloor()
        let r = try runChecked(try tool("objdump"), ["-T", try build.path])
        // "... *UND* ... (GLIBC_2.34) dlsym": what the library takes from libc, with the version it binds to.
        var newest: [Int] = [], newestSymbols: [String] = []
        for line in r.stdout.split(separator: "\n") where line.contains("*UND*") {
            guard let open = line.range(of: "(GLIBC_"), let close = line[open.upperBound...].firstIndex(of: ")") else { continue }
            let version = line[open.upperBound..<close].split(separator: ".").compactMap { Int($0) }
            let symbol = String(line.split(separator: " ").last ?? "")
            if version.lexicographicallyPrecedes(newest) { continue }
            if version == newest { newestSymbols.append(symbol) } else { (newest, newestSymbols) = (version, [symbol]) }
        }
        #expect(newest == floor, """
            README says the library needs glibc \(floor.map(String.init).joined(separator: ".")); \
            its newest GLIBC_ version is \(newest.map(String.init).joined(separator: ".")), for \(newestSymbols.sorted())
            """)
        // The Debian package's dependency follows: dpkg-shlibdeps reads the same versions.
        guard let shlibdeps = which("dpkg-shlibdeps") else {
            print("glibcFloor: dpkg-shlibdeps is not installed (dpkg-dev): the package's libc6 dependency is NOT CHECKED")
            return
        }
        let deps = try runChecked(shlibdeps, ["-O", "-e", try build.path])
        let expected = "shlibs:Depends=libc6 (>= \(floor.map(String.init).joined(separator: ".")))"
        #expect(deps.stdout.split(separator: "\n").contains { $0 == expected }, "expected \(expected)\n\(deps)")
    }

    /// What would allocate if the library ever reached it: the Swift runtime's
    /// allocation entry points, and malloc itself through the PLT (which
    /// would recurse into the library).
    static let allocating: Set<String> = [
        "swift_allocObject", "swift_slowAlloc", "swift_coroFrameAlloc", "swift_allocEmptyBox",
        "malloc@plt", "calloc@plt", "realloc@plt", "posix_memalign@plt", "aligned_alloc@plt", "memalign@plt",
    ]

    @Test("nothing reachable from the API, the constructor or the destructor calls an allocator (release, unoptimised, debug variant)",
          arguments: LibraryBuild.allCases)
    func noAllocationReachable(build: LibraryBuild) throws {
        let edges = try callGraph(of: try build.path)
        let roots = Self.api.union(["vmm_constructor", "vmm_destructor"])
        #expect(roots.isSubset(of: Set(edges.keys)), "the disassembly lacks some entry points: \(roots.subtracting(edges.keys).sorted())")
        let cameFrom = reachable(from: roots, in: edges)
        for bad in Self.allocating.intersection(cameFrom.keys).sorted() {
            Issue.record("\(bad) is reachable: \(callPath(to: bad, cameFrom))")
        }
    }

    @Test("the unoptimised build (plain `swift build`) runs real programs from the pool too")
    func unoptimizedBuildWorks() throws {
        let lib = try Library.unoptimizedPath()
        let exe = try Programs.build("hello.c")
        let pool = TempDir.pool()
        defer { pool.remove() }
        let r = try run(exe, environment: try poolEnvironment(dir: pool.path, size: "64M", library: lib), timeout: 120)
        #expect(r.exitStatus == 0 && r.stdout.contains("hello from the pool"), "\(r)")
        let sort = try run(try tool("sort"), ["-r", Paths.package + "/README.md"],
                           environment: try poolEnvironment(dir: pool.path, size: "64M", library: lib), timeout: 120)
        let expected = try run(try tool("sort"), ["-r", Paths.package + "/README.md"], timeout: 120)
        #expect(sort.exitStatus == 0 && sort.stdout == expected.stdout && !sort.stdout.isEmpty, "\(sort)")
    }
}
