// Allocation keeps working until the very end of the process.
import Foundation
import Testing

@Suite("Process exit")
struct ExitTests {
    @Test("atexit handlers, static/thread_local destructors, destructor functions and a library destructor allocate after main")
    func allocationAfterMain() throws {
        let lib = try Programs.build("exitlib.c", shared: true)
        let dir = (lib as NSString).deletingLastPathComponent
        let exe = try Programs.build("exit.cpp", libraries: [lib, "-Wl,-rpath,\(dir)"])
        let r = try runInPool(exe, size: "64M")
        expectClean(r, "exit:")
        #expect(r.result.stderr.isEmpty, "exit wrote to stderr:\n\(r.result)")
        // The order is glibc's: thread_local, then atexit/static in reverse
        // registration order, then destructor functions of the program and of
        // its libraries. Every line must be there, once, in that order.
        let expected = [
            "main returns",
            "thread_local destructor: malloc/realloc/calloc/free ok",
            "atexit handler 2: malloc/realloc/calloc/free ok",
            "atexit handler 1: malloc/realloc/calloc/free ok",
            "static destructor: malloc/realloc/calloc/free ok",
            "destructor function: malloc/realloc/calloc/free ok",
            "library destructor: malloc/realloc/free ok",
        ]
        #expect(r.result.stdoutLines == expected, "exit printed something else:\n\(r.result)")
    }

    @Test("exit() from a thread while others allocate ends cleanly")
    func exitFromThread() throws {
        let exe = try Programs.build("exit_thread.c")
        let r = try runInPool(exe, size: "64M")
        expectClean(r, "exit_thread:")
        #expect(r.result.stdoutLines.last == "atexit handler ran", "\(r.result)")
    }
}
