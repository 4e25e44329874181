import VMMallocConfig
import VMMallocSystem

/// --help, --version, and where the library was looked for.
enum Usage {
    static func writeVersion() {
        Output.write("vmmalloc (libvmmalloc) ")
        Output.write(LibraryVersion.text)
        Output.write("\n")
    }

    static func writeHelp() {
        Output.write("""
        usage: vmmalloc [options] [--] program [arguments...]

        Runs the program with its whole heap in one pool: a sparse, unnamed file
        of SIZE bytes in DIR, mapped into memory (libvmmalloc preloaded).

          -d, --dir DIR        directory for the pool file (default: $VMMALLOC_POOL_DIR,
                               else /dev/shm if it is a writable tmpfs, else $TMPDIR or /tmp)
          -s, --size SIZE      pool size: bytes, or with a K, M, G or T suffix; at least 14M
                               (default: $VMMALLOC_POOL_SIZE, else half the free space of DIR)
          -f, --fork MODE      what fork does to the pool, 0 to 3 (VMMALLOC_FORK; default 1)
              --debug          use the debug variant of the library
          -l, --log-level N    log level 0 to 4 of the debug variant (implies --debug)
              --log-file PATH  write the log to PATH (a trailing - appends the pid; implies --debug)
              --stats          print statistics when the program exits (each process its own)
              --stats-json     the same as one JSON object per process
              --stats-file PATH  write them to PATH (a trailing - appends the pid)
              --measure        run the program on a large sparse pool (64G unless -s is given)
                               and print the peak pool space it used and a size for -s
          -v, --verbose        print the settings and the library on stderr before running
          -n, --dry-run        print the command as a shell line instead of running it
              --check          check DIR and SIZE, print a report, exit 0 (usable) or 1
          -h, --help           print this help
              --version        print the version

        Options end at -- or at the program. Exit status: the program's own; 2 when
        the options or the configuration are wrong (nothing is run); 126 when the
        program cannot be run, 127 when it is not found. See vmmalloc(1).

        """)
    }

    static func describeMissingLibrary(debug: Bool, into line: inout Message) {
        if debug {
            line.append("cannot find the debug variant of libvmmalloc (.build-debug/release/libvmmalloc.so beside")
            line.append(" this build tree, or vmem_debug/libvmmalloc.so.1 in the library directories)")
        } else {
            line.append("cannot find libvmmalloc (libvmmalloc.so next to vmmalloc, or libvmmalloc.so.1 in ../lib,")
            line.append(" /usr/lib/")
            line.append(LibraryLocation.multiarch)
            line.append(", /usr/lib or /usr/local/lib)")
        }
    }
}
