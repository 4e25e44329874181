// The FreeBSD code paths, compiled on Linux so that they cannot rot.
//
// There is no FreeBSD machine here. These tests compile every target of the
// package (Swift and C, each with its settings from Package.swift) for a real
// FreeBSD target (os(FreeBSD) and __FreeBSD__ are true, the ELF is marked
// FreeBSD) against Tests/FreeBSD/sysroot: hand-written declarations of the
// FreeBSD API the code uses, with FreeBSD's types, signatures and constants.
// They link the library into a shared object and check its exports, and check
// that the library and the programs need nothing from libc that FreeBSD does
// not declare. They do not run anything, and cannot tell where the hand-written
// headers differ from FreeBSD's own; README says so.
import Foundation
import Testing

enum FreeBSDBuild {
    static let sysroot = Paths.package + "/Tests/FreeBSD/sysroot"
    static let arch: String = {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }()
    /// FreeBSD 14 on this machine's architecture.
    static var target: String { "\(arch)-unknown-freebsd14.0" }

    /// The toolchain's bin directory (swiftc, clang and ld.lld come together).
    static func toolchainBin() throws -> String {
        let swiftc = try tool("swiftc")
        return (URL(fileURLWithPath: swiftc).resolvingSymlinksInPath().path as NSString).deletingLastPathComponent
    }

    /// The toolchain ships the Embedded Swift standard library for Linux but
    /// not for FreeBSD. Embedded Swift compiles the whole standard library
    /// into the client, so its module is the same for both; only the target
    /// recorded in it differs. This writes copies that record FreeBSD (the
    /// triple is overwritten in place by one of the same length, so the
    /// module's structure is untouched).
    static let standardLibrary: Result<String, HarnessError> = {
        do {
            let bin = try toolchainBin()
            let embedded = bin + "/../lib/swift/embedded"
            let linux = "\(arch)-unknown-linux-gnu", freebsd = "\(arch)-unknown-freebsd14"
            guard linux.utf8.count == freebsd.utf8.count else { throw HarnessError("triple lengths differ") }
            let out = Paths.work + "/freebsd-stdlib"
            let fm = FileManager.default
            var count = 0
            for module in try fm.contentsOfDirectory(atPath: embedded) where module.hasSuffix(".swiftmodule") {
                let source = "\(embedded)/\(module)/\(linux).swiftmodule"
                guard var data = fm.contents(atPath: source) else { continue }
                guard let range = data.range(of: Data(linux.utf8)) else {
                    throw HarnessError("\(source) does not name its target \(linux)")
                }
                data.replaceSubrange(range, with: Data(freebsd.utf8))
                try fm.createDirectory(atPath: "\(out)/\(module)", withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: "\(out)/\(module)/\(arch)-unknown-freebsd.swiftmodule"))
                count += 1
            }
            guard count > 0 else { throw HarnessError("no Embedded Swift modules for \(linux) in \(embedded)") }
            return .success(out)
        } catch let e as HarnessError {
            return .failure(e)
        } catch {
            return .failure(HarnessError("cannot prepare the FreeBSD standard library: \(error)"))
        }
    }()

    /// A target of Package.swift, as `swift package dump-package` describes it.
    struct Target {
        let name: String
        let dependencies: [String]
        let isSwift: Bool
        /// Flags of the target's settings for `tool` ("swift", "c"): features and unsafe flags.
        let flags: [String: [String]]
        var directory: String { Paths.package + "/Sources/" + name }
    }

    /// The package's targets (tests left out) in build order, and the
    /// targets of each product.
    static let package: Result<(targets: [Target], products: [String: [String]]), HarnessError> = {
        do {
            let r = try runChecked(try tool("swift"), ["package", "--scratch-path", Paths.package + "/.build-freebsd",
                                                       "dump-package"], directory: Paths.package)
            guard let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
                  let targetList = json["targets"] as? [[String: Any]], let productList = json["products"] as? [[String: Any]]
            else { throw HarnessError("unexpected dump-package output:\n\(r.stdout)") }
            var byName: [String: Target] = [:]
            for t in targetList where (t["type"] as? String) != "test" {
                guard let name = t["name"] as? String else { continue }
                let dependencies = (t["dependencies"] as? [[String: Any]] ?? []).compactMap { dep in
                    (dep.values.first as? [Any])?.first as? String
                }
                var flags: [String: [String]] = [:]
                for setting in t["settings"] as? [[String: Any]] ?? [] {
                    guard let tool = setting["tool"] as? String, let kind = setting["kind"] as? [String: Any] else { continue }
                    if let unsafe = kind["unsafeFlags"] as? [String: Any], let list = unsafe["_0"] as? [String] {
                        flags[tool, default: []] += list
                    } else if let feature = kind["enableExperimentalFeature"] as? [String: Any], let f = feature["_0"] as? String {
                        flags[tool, default: []] += ["-enable-experimental-feature", f]
                    }
                }
                let files = FileManager.default.subpaths(atPath: Paths.package + "/Sources/" + name) ?? []
                byName[name] = Target(name: name, dependencies: dependencies,
                                      isSwift: files.contains { $0.hasSuffix(".swift") }, flags: flags)
            }
            // Dependencies first.
            var ordered: [Target] = []
            func visit(_ name: String) {
                guard let t = byName[name], !ordered.contains(where: { $0.name == name }) else { return }
                t.dependencies.forEach(visit)
                ordered.append(t)
            }
            byName.keys.sorted().forEach(visit)
            var products: [String: [String]] = [:]
            for p in productList {
                if let name = p["name"] as? String, let targets = p["targets"] as? [String] { products[name] = targets }
            }
            return .success((ordered, products))
        } catch let e as HarnessError {
            return .failure(e)
        } catch {
            return .failure(HarnessError("cannot read the package: \(error)"))
        }
    }()

    /// The objects of every target, compiled for FreeBSD with the target's own
    /// settings from Package.swift, by target name.
    static func compileTargets(debug: Bool, into dir: TempDir) throws -> [String: [String]] {
        let bin = try toolchainBin()
        let stdlib = try standardLibrary.get()
        let (targets, _) = try package.get()
        var objects: [String: [String]] = [:]
        var moduleSearch = ["-I", dir.path]
        var includes: [String] = []
        for target in targets {
            let files = try FileManager.default.subpathsOfDirectory(atPath: target.directory).sorted()
            if target.isSwift {
                let object = dir.file(target.name + ".o")
                var arguments = ["-target", FreeBSDBuild.target, "-parse-as-library", "-O", "-module-name", target.name,
                                 "-package-name", "libvmmalloc", "-I", stdlib, "-Xcc", "--sysroot=\(sysroot)",
                                 "-emit-module", "-emit-module-path", dir.file(target.name + ".swiftmodule"),
                                 "-c", "-o", object] + moduleSearch + includes.flatMap { ["-Xcc", $0] }
                    + (target.flags["swift"] ?? [])
                if debug { arguments.append("-DVMMALLOC_DEBUG") }
                arguments += files.filter { $0.hasSuffix(".swift") }.map { target.directory + "/" + $0 }
                try runChecked(bin + "/swiftc", arguments, timeout: 600)
                objects[target.name] = [object]
            } else {
                // A C target as SwiftPM presents it to Swift: a module of its include directory.
                let include = target.directory + "/include"
                includes += ["-I", include]
                let mapDir = dir.file("modulemap-" + target.name)
                try FileManager.default.createDirectory(atPath: mapDir, withIntermediateDirectories: true)
                try "module \(target.name) {\n    umbrella \"\(include)\"\n    export *\n}\n"
                    .write(toFile: mapDir + "/module.modulemap", atomically: true, encoding: .utf8)
                moduleSearch += ["-I", mapDir]
                objects[target.name] = try files.filter { $0.hasSuffix(".c") }.map { file in
                    let object = dir.file(target.name + "-" + file.replacingOccurrences(of: "/", with: "_") + ".o")
                    try runChecked(bin + "/clang", ["-target", FreeBSDBuild.target, "--sysroot=\(sysroot)", "-fPIC",
                                                    "-O2", "-Wall", "-Wextra", "-Werror"] + includes + (target.flags["c"] ?? [])
                                                    + ["-c", target.directory + "/" + file, "-o", object])
                    return object
                }
            }
        }
        return objects
    }

    /// The objects of `product`'s targets and of everything they depend on.
    static func productObjects(_ product: String, _ objects: [String: [String]]) throws -> [String] {
        let (targets, products) = try package.get()
        guard let roots = products[product] else { throw HarnessError("Package.swift has no product \(product)") }
        var needed: Set<String> = []
        func visit(_ name: String) {
            guard needed.insert(name).inserted, let t = targets.first(where: { $0.name == name }) else { return }
            t.dependencies.forEach(visit)
        }
        roots.forEach(visit)
        return targets.filter { needed.contains($0.name) }.flatMap { objects[$0.name] ?? [] }
    }

    /// Compiles the package for FreeBSD; links the library (product `vmmalloc`)
    /// into a shared object, and each executable product's objects into one
    /// relocatable object (there is no FreeBSD C runtime to link a program with).
    static func build(debug: Bool) throws -> (library: String, programs: [String: String]) {
        let bin = try toolchainBin()
        let dir = TempDir.work("freebsd-\(debug ? "debug" : "release")")
        let objects = try compileTargets(debug: debug, into: dir)
        let library = dir.file("libvmmalloc.so")
        try runChecked(bin + "/ld.lld", ["-shared", "-soname", "libvmmalloc.so.1", "-z", "now",
                                         "--version-script", Paths.package + "/Sources/VMMallocShim/libvmmalloc.map",
                                         "-o", library] + productObjects("vmmalloc", objects))
        var programs: [String: String] = [:]
        for product in try package.get().products.keys.sorted() where product != "vmmalloc" {
            let combined = dir.file(product + ".o")
            try runChecked(bin + "/ld.lld", ["-r", "-o", combined] + productObjects(product, objects))
            programs[product] = combined
        }
        return (library, programs)
    }

    /// Every function the hand-written FreeBSD headers declare.
    static func declaredFunctions() throws -> Set<String> {
        var names: Set<String> = []
        let root = sysroot + "/usr/include"
        for file in try FileManager.default.subpathsOfDirectory(atPath: root) where file.hasSuffix(".h") {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            let regex = try NSRegularExpression(pattern: #"\*?\b([A-Za-z_][A-Za-z0-9_]*)\("#)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix(" *") && !line.hasPrefix("/*") {
                let s = String(line)
                for match in regex.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
                    if let r = Range(match.range(at: 1), in: s) { names.insert(String(s[r])) }
                }
            }
        }
        return names
    }
}

@Suite("FreeBSD code paths, compiled on Linux")
struct FreeBSDTests {
    @Test("the package builds for FreeBSD: the library is a FreeBSD ELF that exports exactly the API; library and programs need only declared FreeBSD libc functions",
          arguments: [false, true])
    func packageBuilds(debug: Bool) throws {
        let (library, programs) = try FreeBSDBuild.build(debug: debug)

        let header = try runChecked(try tool("readelf"), ["-h", "-d", "-W", library])
        #expect(header.stdout.contains("UNIX - FreeBSD"), "not a FreeBSD ELF:\n\(header.stdout)")
        #expect(header.stdout.contains("Library soname: [libvmmalloc.so.1]"), "\(header.stdout)")

        func symbols(_ file: String, _ option: String) throws -> Set<String> {
            let r = try runChecked(try tool("nm"), (file == library ? ["-D"] : []) + [option, file])
            return Set(r.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
        }
        let exported = try symbols(library, "--defined-only")
        #expect(exported == SymbolsTests.api,
                "unexpected: \(exported.subtracting(SymbolsTests.api).sorted()), missing: \(SymbolsTests.api.subtracting(exported).sorted())")

        // What the FreeBSD build calls must be FreeBSD's API (as declared in
        // the sysroot): no glibc or Linux name such as __errno_location,
        // syscall, strerrordesc_np or __libc_malloc may be left.
        let declared = try FreeBSDBuild.declaredFunctions()
        let needed = try symbols(library, "--undefined-only")
        #expect(needed.subtracting(declared).isEmpty,
                "the FreeBSD library needs functions no FreeBSD header declares: \(needed.subtracting(declared).sorted())")
        #expect(needed.isSuperset(of: ["_umtx_op", "__error", "mkostemp", "posix_fallocate"]),
                "the FreeBSD paths (umtx wait/wake, errno, unnamed file, space reservation) are not the ones built: \(needed.sorted())")
        for (name, object) in programs {
            let undefined = try symbols(object, "--undefined-only")
            #expect(undefined.subtracting(declared).isEmpty,
                    "the FreeBSD \(name) needs functions no FreeBSD header declares: \(undefined.subtracting(declared).sorted())")
        }
    }

    @Test("<libvmmalloc.h> compiles for FreeBSD from C and C++, takes malloc_np.h's signature and declares no memalign, pvalloc or cfree",
          arguments: ["c11", "c++17"])
    func header(_ standard: String) throws {
        let bin = try FreeBSDBuild.toolchainBin()
        let language = standard.hasPrefix("c++") ? "c++" : "c"
        try runChecked(bin + "/clang", ["-target", FreeBSDBuild.target, "--sysroot=\(FreeBSDBuild.sysroot)",
                                        "-x", language, "-std=\(standard)",
                                        "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", Paths.include,
                                        Paths.package + "/Tests/FreeBSD/header_check.c"])
    }
}
