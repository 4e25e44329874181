import Synchronization
import VMMallocShim

/// The one pool of this process: a shared mapping of an unnamed file in
/// VMMALLOC_POOL_DIR, created once, never grown, never unmapped.
///
/// Layout: [heap state | space-reservation bitmaps | slice tables | slices ...].
/// The pool is created by whichever comes first, the library constructor or
/// the first allocation call, on whichever thread; the others wait.
enum Pool {
    private static let notCreated: UInt32 = 0
    private static let creating: UInt32 = 1
    private static let ready: UInt32 = 2
    /// The process may not make a pool (see `create`): the system allocator serves it.
    private static let unavailable: UInt32 = 3

    private static let state = Atomic<UInt32>(0)

    /// The mapping, as integers so that the range test is one subtraction.
    nonisolated(unsafe) private(set) static var start: UInt = 0
    nonisolated(unsafe) private(set) static var length: UInt = 0
    nonisolated(unsafe) static var reservation = SpaceReservation()
    nonisolated(unsafe) private(set) static var configuration = Configuration(
        directory: UnsafePointer(bitPattern: 1).unsafelyUnwrapped, poolSize: 0,
        poolSizeText: UnsafePointer(bitPattern: 1).unsafelyUnwrapped, forkMode: .default)
    /// The file behind the mapping (a new one in a child of fork mode 2 or 3).
    nonisolated(unsafe) static var file = BackingFile()

    static var base: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: start).unsafelyUnwrapped }

    /// Whether `pointer` lies in the pool.
    @inline(__always)
    static func contains(_ pointer: UnsafeRawPointer) -> Bool {
        contains(address: UInt(bitPattern: pointer))
    }

    /// Whether `address` lies in the pool (never 0: the pool is mapped).
    @inline(__always)
    static func contains(address: UInt) -> Bool {
        address &- start < length
    }

    /// The thread creating the pool, while it does.
    private static let creator = Atomic<UInt>(0)

    /// Makes sure the pool exists; cheap once it does. False for a call made
    /// by the creating thread itself while it creates the pool (another
    /// preloaded library's wrapper of a system call the creation makes, that
    /// allocates), and in a process that may not make a pool at all: such
    /// calls are served by the system allocator instead.
    @inline(__always)
    static func ensureCreated() -> Bool {
        if state.load(ordering: .acquiring) == ready { return true }
        return createOrWait()
    }

    @inline(never)
    private static func createOrWait() -> Bool {
        if state.compareExchange(expected: notCreated, desired: creating, ordering: .acquiring).exchanged {
            creator.store(Platform.currentThread, ordering: .relaxed)
            let savedErrno = vmm_errno()
            let created = create()
            vmm_set_errno(savedErrno)
            state.store(created ? ready : unavailable, ordering: .releasing)
            creator.store(0, ordering: .relaxed)
            if created { ForkSupport.install(mode: configuration.forkMode) }
            return created
        }
        if creator.load(ordering: .relaxed) == Platform.currentThread { return false }
        while true {
            switch state.load(ordering: .acquiring) {
            case ready: return true
            case unavailable: return false
            default: Platform.yieldToOS()
            }
        }
    }

    /// Creates the file and the mapping, or stops the process with one line
    /// saying what is wrong. Allocates nothing.
    ///
    /// One failure does not stop the process: a system call answered with
    /// ENOSYS, which is how a seccomp sandbox refuses it (man-db runs its
    /// helpers in one that forbids creating files). Such a process cannot
    /// have a pool under any setting, so it says so in one line and runs on
    /// the system allocator (false), where there is one.
    private static func create() -> Bool {
        let config: Configuration
        switch Configuration.fromEnvironment() {
        case .success(let value): config = value
        case .failure(let error): fail(error)
        }
        configuration = config
        keepDirectory()
        if let error = Log.begin(config) { fail(error) }
        if let error = Statistics.begin(config) { fail(error) }
        Log.say(.calls, "creating the pool")

        let file: BackingFile
        switch BackingFile.open(in: config.directory) {
        case .success(let value): file = value
        case .failure(let error):
            if isSandboxed(by: error) { return sandboxed(.cannotCreateFile(directory: config.directory, error)) }
            fail(.cannotCreateFile(directory: config.directory, error))
        }
        let filePageSize = file.pageSize
        let pageMask = filePageSize - 1
        let size = (config.poolSize + pageMask) & ~pageMask
        switch file.setSize(size, roomNeeded: Configuration.roomToStart(poolSize: size)) {
        case nil: break
        case .overFileSizeLimit(let limit)?:
            fail(.overFileSizeLimit(size: config.poolSizeText, limit: limit), closing: file)
        case .noRoom(let free)?:
            fail(noRoom(config, in: file, free: free), closing: file)
        case .cannotSize(let error)?:
            if isSandboxed(by: error) { return sandboxed(.cannotSizeFile(directory: config.directory, error), closing: file) }
            fail(.cannotSizeFile(directory: config.directory, error), closing: file)
        }
        let granule = SpaceReservation.granule(forPageSize: filePageSize)
        guard let mapping = Platform.mapAligned(file.fd, length: size, alignment: granule) else {
            let error = Platform.Errno.current
            if isSandboxed(by: error) { return sandboxed(.cannotMap(size: config.poolSizeText, error), closing: file) }
            fail(.cannotMap(size: config.poolSizeText, error), closing: file)
        }

        let bitmapOffset = Heap.headerSize
        let heapOffset = (bitmapOffset + SpaceReservation.bitmapBytes(poolSize: size, granule: granule) + 4095) & ~4095
        Pool.file = file
        reservation = SpaceReservation(pool: mapping, bitmap: mapping + bitmapOffset, granule: granule, poolSize: size)
        // The state and the bitmaps must have their space before anything is written
        // in them: exactly their pages, so that a new pool costs almost nothing.
        // (Their granule is reserved whole when the heap first reaches past them.)
        guard heapOffset < size, file.reserve(offset: 0, length: heapOffset, mapping: mapping) else {
            fail(noRoom(config, in: file, free: file.freeSpace ?? 0), closing: file)
        }
        reservation.markWritten(from: 0, to: heapOffset)
        start = UInt(bitPattern: mapping)
        length = UInt(size)
        guard Heap.create(tables: heapOffset, slices: size >> Slices.shift) else {
            fail(noRoom(config, in: file, free: file.freeSpace ?? 0), closing: file)
        }
        Memcheck.watchPool()
        Trace.poolCreated()
        return true
    }

    /// Too little room to start in the file system of `file`.
    private static func noRoom(_ config: Configuration, in file: BackingFile, free: Int) -> ConfigurationError {
        .noRoom(directory: config.directory, free: free, size: config.poolSizeText, inHugePages: file.isHugetlbfs)
    }

    /// Whether `error` is a sandbox's refusal that the system allocator can take over from.
    private static func isSandboxed(by error: Platform.Errno) -> Bool {
        error == .notImplemented && Platform.hasForeignAllocator
    }

    /// Says in one line that this process runs without a pool, and why.
    private static func sandboxed(_ error: ConfigurationError, closing file: BackingFile = BackingFile()) -> Bool {
        if file.fd >= 0 { file.close() }
        var line = Message("libvmmalloc: ")
        error.render(into: &line)
        line.append(" (a sandbox forbids it); this process allocates from the system allocator")
        line.writeLine()
        return false
    }

    /// A copy of VMMALLOC_POOL_DIR, for the copies of the pool made at fork
    /// long after start, whatever the program did to its environment since;
    /// a relative one is made absolute, for a program that changes its
    /// working directory (as daemons do).
    nonisolated(unsafe) private static var directoryCopy = StackBuffer()

    private static func keepDirectory() {
        let length = strlen(configuration.directory)
        configuration.directory = directoryCopy.withBytes { bytes in
            let buffer = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
            var start = 0
            if configuration.directory.pointee != 0x2F /* "/" */, getcwd(buffer, bytes.count) != nil {
                start = strlen(buffer)
                buffer[start] = 0x2F
                start += 1
            }
            guard start + length < bytes.count else { return configuration.directory }
            memcpy(buffer + start, configuration.directory, length + 1)
            return UnsafePointer(buffer)
        }
    }

    private static func fail(_ error: ConfigurationError, closing file: BackingFile = BackingFile()) -> Never {
        if file.fd >= 0 { file.close() }
        var line = Message("libvmmalloc: ")
        error.render(into: &line)
        fatal(&line)
    }

    /// Pool offset of an address in the pool.
    @inline(__always)
    static func offset(of address: UnsafeRawPointer) -> Int {
        Int(bitPattern: UInt(bitPattern: address) &- start)
    }

    /// Gives back the file space of the whole granules in pool offsets [from,
    /// to); whether there was any to give back.
    @discardableResult
    static func releaseSpace(from: Int, to: Int) -> Bool {
        reservation.release(from: from, to: to)
    }
}
