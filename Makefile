# libvmmalloc: build, install and package (GNU make; `gmake` on FreeBSD).
#
#   make                  the release and debug variants of the library, the
#                         launcher when the package has one, and the man pages
#   make install          into $(DESTDIR)$(prefix); prefix=/usr/local by default
#   make uninstall        removes exactly what `make install` put there
#   make check            the test suite (swift test)
#   make dpkg             the Debian packages, into build/dpkg/
#   make dist             libvmmalloc-$(VERSION).tar.gz of the checked-out commit
#                         (the FreeBSD port's distfile)
#   make clean
#   make version          prints the version
#
#   make links            only the libvmmalloc.so.1 links beside SwiftPM's
#                         libvmmalloc.so (after a plain `swift build`)
#   make check-reproducible  builds the Debian packages twice, in two
#                         directories, and compares them byte for byte
#
# SwiftPM does the compiling and knows what is up to date, so the build targets
# always ask it; this file only stages its output under build/ and installs it.
# Everything staged keeps its symbols; `make install` strips the release
# variant and the launcher as it copies them (STRIP=true keeps them, as
# debian/rules does: dh_strip moves them into the -dbgsym packages).

# The one place the version is written: the first line of debian/changelog.
# The pkg-config file, the man pages and the library's file name get it from
# here; the header's macros, the launcher's --version and the FreeBSD port are
# checked against it by the test suite (PackageTests, "one version").
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
SOMAJOR = 1
LIBRARY = libvmmalloc.so
SONAME = $(LIBRARY).$(SOMAJOR)
REALNAME = $(LIBRARY).$(VERSION)

prefix = /usr/local
exec_prefix = $(prefix)
bindir = $(exec_prefix)/bin
libdir = $(exec_prefix)/lib
includedir = $(prefix)/include
datarootdir = $(prefix)/share
mandir = $(datarootdir)/man
man1dir = $(mandir)/man1
man7dir = $(mandir)/man7
pkgconfigdir = $(libdir)/pkgconfig
# The debug variant: same soname, selected with LD_LIBRARY_PATH=$(debuglibdir).
debuglibdir = $(libdir)/vmem_debug
DESTDIR =

INSTALL = install
INSTALL_PROGRAM = $(INSTALL) -m 755
INSTALL_DATA = $(INSTALL) -m 644
STRIP = strip
OBJCOPY = objcopy
SED = sed
# Run after installing to (and uninstalling from) the live system, not under
# DESTDIR: the loader's cache then knows libvmmalloc.so.1 at once.
LDCONFIG = $(if $(filter FreeBSD,$(shell uname -s)),ldconfig -m $(libdir),ldconfig)

# The Swift toolchain is not a system package everywhere: take the one on PATH,
# else the usual unpacked location. `make SWIFT=/path/to/swift` overrides both.
SWIFT_FALLBACK = /opt/swift/usr/bin/swift
SWIFT := $(or $(shell command -v swift 2>/dev/null),$(wildcard $(SWIFT_FALLBACK)))

# SwiftPM scratch paths; a caller that already holds .build (swift test) gives others.
RELEASE_BUILD_DIR ?= .build
DEBUG_BUILD_DIR ?= .build-debug
# CFLAGS and LDFLAGS (dpkg-buildflags' hardening, for one) reach the C shim and
# the clang importer through -Xcc, the link through -Xlinker. Paths of the
# source tree are written as `.` into the objects' debug information, so that
# the same source built in another directory gives the same bytes.
comma = ,
SWIFT_CFLAGS = $(foreach flag,$(CFLAGS),-Xcc $(flag))
SWIFT_LDFLAGS = $(foreach flag,$(LDFLAGS),$(if $(filter -Wl$(comma)%,$(flag)),$(foreach word,$(subst $(comma), ,$(patsubst -Wl$(comma)%,%,$(flag))),-Xlinker $(word)),-Xswiftc -Xclang-linker -Xswiftc $(flag)))
# The objects' LLVM module hash (.swift_modhash, kept for incremental code
# generation) is taken before the paths are mapped: without it, the build does
# not depend on the directory.
REPRODUCIBLE = -Xswiftc -debug-prefix-map -Xswiftc $(CURDIR)=. -Xswiftc -file-prefix-map -Xswiftc $(CURDIR)=. \
               -Xcc -ffile-prefix-map=$(CURDIR)=. -Xswiftc -Xfrontend -Xswiftc -disable-incremental-llvm-codegen
SWIFT_BUILD = $(SWIFT) build -c release $(REPRODUCIBLE) $(SWIFT_CFLAGS) $(SWIFT_LDFLAGS)
DEBUG_FLAGS = -Xswiftc -DVMMALLOC_DEBUG

STAGE = build
# The launcher `vmmalloc` is part of the package when its man page is.
LAUNCHER = $(if $(wildcard man/vmmalloc.1),vmmalloc)
# SwiftPM names the launcher product vmmalloc-run (vmmalloc is the library's).
LAUNCHER_PRODUCT = vmmalloc-run
MAN_PAGES = man/libvmmalloc.7 $(LAUNCHER:%=man/%.1)
DPKG_OUT = $(STAGE)/dpkg

.PHONY: all swift-toolchain release debug launcher links man pkgconfig check install uninstall \
        install-launcher uninstall-launcher dpkg check-reproducible dist version clean

all: release debug launcher man pkgconfig

swift-toolchain:
	@test -n "$(SWIFT)" || { echo "libvmmalloc: the Swift toolchain was not found: no swift on PATH nor $(SWIFT_FALLBACK); install it or run make SWIFT=/path/to/swift" >&2; exit 1; }

# The release variant: what programs load (its name index removed, as the
# debug variant's below). build/lib holds it as an install
# does (the file, the soname link, the link -lvmmalloc follows), so that
# `-L build/lib -lvmmalloc` links and the loader finds it there.
release: swift-toolchain
	$(SWIFT_BUILD) --scratch-path $(RELEASE_BUILD_DIR)
	mkdir -p $(STAGE)/lib
	cp -f $(RELEASE_BUILD_DIR)/release/$(LIBRARY) $(STAGE)/lib/$(REALNAME)
	$(OBJCOPY) --remove-section=.debug_names $(STAGE)/lib/$(REALNAME)
	ln -sf $(REALNAME) $(STAGE)/lib/$(SONAME)
	ln -sf $(SONAME) $(STAGE)/lib/$(LIBRARY)
	ln -sf $(LIBRARY) $(RELEASE_BUILD_DIR)/release/$(SONAME)

# The debug variant (assertions, logging), with its symbols for the debugger.
# The linker concatenates the objects' name indexes, which gdb then rejects
# with a warning; without one, gdb indexes the symbols itself.
debug: swift-toolchain
	$(SWIFT_BUILD) --scratch-path $(DEBUG_BUILD_DIR) $(DEBUG_FLAGS)
	mkdir -p $(STAGE)/lib/vmem_debug
	cp -f $(DEBUG_BUILD_DIR)/release/$(LIBRARY) $(STAGE)/lib/vmem_debug/$(REALNAME)
	$(OBJCOPY) --remove-section=.debug_names $(STAGE)/lib/vmem_debug/$(REALNAME)
	ln -sf $(REALNAME) $(STAGE)/lib/vmem_debug/$(SONAME)
	ln -sf $(LIBRARY) $(DEBUG_BUILD_DIR)/release/$(SONAME)

# The launcher comes out of the release build; build/bin/vmmalloc finds the
# library in build/lib (../lib), as an installed one does.
launcher: release
ifneq ($(LAUNCHER),)
	mkdir -p $(STAGE)/bin
	cp -f $(RELEASE_BUILD_DIR)/release/$(LAUNCHER_PRODUCT) $(STAGE)/bin/vmmalloc
endif

# SwiftPM writes the library as libvmmalloc.so; programs linked with it ask
# the loader for its soname, libvmmalloc.so.1. After `swift build` (either
# variant), this adds that link beside each library built, and builds nothing.
links:
	@for dir in $(RELEASE_BUILD_DIR)/release $(DEBUG_BUILD_DIR)/release; do \
	    if [ -e $$dir/$(LIBRARY) ]; then ln -sf $(LIBRARY) $$dir/$(SONAME) && echo "$$dir/$(SONAME) -> $(LIBRARY)"; fi; \
	done

# Man pages get the version of this release in their title line.
man: $(MAN_PAGES:man/%=$(STAGE)/man/%)

$(STAGE)/man/%: man/% Makefile
	mkdir -p $(STAGE)/man
	$(SED) -e 's/@VERSION@/$(VERSION)/g' $< > $@

# Written every time: it holds the directories of this make's command line.
pkgconfig:
	mkdir -p $(STAGE)
	$(SED) -e 's|@prefix@|$(prefix)|g' -e 's|@exec_prefix@|$(exec_prefix)|g' \
	    -e 's|@libdir@|$(libdir)|g' -e 's|@includedir@|$(includedir)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' libvmmalloc.pc.in > $(STAGE)/libvmmalloc.pc

check: swift-toolchain
	$(SWIFT) test

install: all install-launcher
	$(INSTALL) -d $(DESTDIR)$(libdir) $(DESTDIR)$(debuglibdir) $(DESTDIR)$(includedir) \
	    $(DESTDIR)$(pkgconfigdir) $(DESTDIR)$(man7dir)
	$(INSTALL_DATA) $(STAGE)/lib/$(REALNAME) $(DESTDIR)$(libdir)/$(REALNAME)
	$(STRIP) --strip-unneeded $(DESTDIR)$(libdir)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(libdir)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(libdir)/$(LIBRARY)
	$(INSTALL_DATA) $(STAGE)/lib/vmem_debug/$(REALNAME) $(DESTDIR)$(debuglibdir)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(debuglibdir)/$(SONAME)
	$(INSTALL_DATA) include/libvmmalloc.h $(DESTDIR)$(includedir)/libvmmalloc.h
	$(INSTALL_DATA) $(STAGE)/libvmmalloc.pc $(DESTDIR)$(pkgconfigdir)/libvmmalloc.pc
	$(INSTALL_DATA) $(STAGE)/man/libvmmalloc.7 $(DESTDIR)$(man7dir)/libvmmalloc.7
	$(if $(DESTDIR),,$(LDCONFIG))

# The launcher and its page.
install-launcher: all
ifneq ($(LAUNCHER),)
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(man1dir)
	$(INSTALL_PROGRAM) $(STAGE)/bin/vmmalloc $(DESTDIR)$(bindir)/vmmalloc
	$(STRIP) $(DESTDIR)$(bindir)/vmmalloc
	$(INSTALL_DATA) $(STAGE)/man/vmmalloc.1 $(DESTDIR)$(man1dir)/vmmalloc.1
endif

# Removes the files install writes and the directories it made, if now empty.
uninstall: uninstall-launcher
	rm -f $(DESTDIR)$(libdir)/$(REALNAME) $(DESTDIR)$(libdir)/$(SONAME) $(DESTDIR)$(libdir)/$(LIBRARY)
	rm -f $(DESTDIR)$(debuglibdir)/$(REALNAME) $(DESTDIR)$(debuglibdir)/$(SONAME)
	rm -f $(DESTDIR)$(includedir)/libvmmalloc.h $(DESTDIR)$(pkgconfigdir)/libvmmalloc.pc
	rm -f $(DESTDIR)$(man7dir)/libvmmalloc.7
	rmdir $(DESTDIR)$(debuglibdir) 2>/dev/null || true
	$(if $(DESTDIR),,$(LDCONFIG))

uninstall-launcher:
ifneq ($(LAUNCHER),)
	rm -f $(DESTDIR)$(bindir)/vmmalloc $(DESTDIR)$(man1dir)/vmmalloc.1
endif

# Binary packages only; the tree's SwiftPM builds are reused (no pre-clean), and
# the test suite is `make check`'s business. The list of built files starts
# afresh (a pre-clean would have emptied it). dpkg-buildpackage writes next
# to the source tree; the results move to build/dpkg/.
dpkg: swift-toolchain
	rm -f debian/files
	DEB_BUILD_OPTIONS="nocheck $(DEB_BUILD_OPTIONS)" dpkg-buildpackage --build=binary --no-sign --no-pre-clean
	mkdir -p $(DPKG_OUT)
	for f in $$($(SED) -n 's/^\([^ ]*\) .*/\1/p' debian/files) \
	         $$(dpkg-parsechangelog -S Source)_$$(dpkg-parsechangelog -S Version)_$$(dpkg --print-architecture).changes; do \
	    mv -f ../$$f $(DPKG_OUT)/; \
	done
	@ls -1 $(DPKG_OUT)/*.deb

# The same source in two directories of different names and lengths, each
# built from scratch into packages: every .deb must be the same, byte for byte.
check-reproducible: swift-toolchain
	SWIFT=$(SWIFT) sh debian/check-reproducible

dist:
	git archive --format=tar.gz --prefix=libvmmalloc-$(VERSION)/ -o libvmmalloc-$(VERSION).tar.gz HEAD

version:
	@echo $(VERSION)

clean:
	rm -rf $(STAGE) $(RELEASE_BUILD_DIR) $(DEBUG_BUILD_DIR)

# Real programs' own test suites and workloads, on glibc and under the library,
# compared (check-programs/run.py; not part of `make check`): writes
# check-programs/REPORT.md, or with QUICK=1 (a few minutes, as CI runs it)
# build/check-programs/quick/REPORT.md. Needs root for apt-get and the
# Debian python3 (/usr/bin/python3), whose test suite it runs.
.PHONY: check-programs
check-programs:
	/usr/bin/python3 check-programs/run.py $(if $(QUICK),--quick)
