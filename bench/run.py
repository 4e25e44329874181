#!/usr/bin/env python3
"""Runs the benchmark suite of libvmmalloc against glibc, jemalloc, mimalloc
and tcmalloc, and writes a Markdown report and a chart.

    python3 bench/run.py                 # the full suite, 5 runs of everything
    python3 bench/run.py --scale 0.02 --runs 1     # a quick check of the runner

It builds the library (swift build -c release) and the workloads, installs
the peer allocators, gnuplot and sqlite3 with apt-get if they are missing,
then runs every workload under every configuration, interleaved: each
repetition runs each workload once under every configuration in turn, so a
slow spell of the machine hits all of them alike. Per run it records the wall
time (from spawn to exit, as seen by this process), the peak RSS of the child
(ru_maxrss from wait4) and, for libvmmalloc, the pool space used: the largest
st_blocks * 512 of the pool file, sampled every 10 ms through
/proc/PID/fd while the program runs (the file is unnamed; that descriptor is
the only way to it). Results go to bench/results/<date>-<machine>/.
Standard library only.
"""
import argparse
import csv
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
WORKLOAD_BUILD = os.path.join(ROOT, ".build-bench")
DEBIAN_PYTHON = "/usr/bin/python3"
MEASURE = os.path.join(WORKLOAD_BUILD, "measure")

# Debian packages the runner needs, and the shared object each peer preloads.
PACKAGES = ["libjemalloc2", "libmimalloc2.0", "libtcmalloc-minimal4", "gnuplot-nox", "sqlite3", "python3",
            "gcc", "libc6-dev"]
PEERS = [
    ("jemalloc", "libjemalloc2", r"/libjemalloc\.so\.2$"),
    ("mimalloc", "libmimalloc2.0", r"/libmimalloc\.so\.2$"),
    ("tcmalloc", "libtcmalloc-minimal4", r"/libtcmalloc_minimal\.so\.4$"),
]
REFERENCE = "vmmalloc-shm"
# The configuration of a workload's ceiling mode; not an allocator, so not in the tables.
CEILING = "ceiling"
PEER_NAMES = ["glibc", "jemalloc", "mimalloc", "tcmalloc"]


class Workload:
    """One program of the suite. `argv(scale)` gives its command line."""

    def __init__(self, name, what, source=None, args=(), argv=None, env=None, stdin=None, ceiling=False):
        self.name, self.what, self.source = name, what, source
        self.args, self._argv, self.env, self.stdin = list(args), argv, dict(env or {}), stdin
        # Whether the program has a ceiling mode (an argument "ceiling": the same work with an ideal
        # allocator of its own), run with no preload next to the configurations as configuration CEILING.
        self.ceiling = ceiling

    def argv(self, scale, ceiling=False):
        if self._argv:
            return self._argv(scale)
        return [os.path.join(WORKLOAD_BUILD, os.path.splitext(self.source)[0])] + self.args + (
            ["ceiling"] if ceiling else [])


def sqlite_rows(scale):
    return max(100, int(70000 * scale))


WORKLOADS = [
    Workload("malloc_free_loop", "malloc/free pairs of 32 bytes, one thread", "malloc_free_loop.c"),
    Workload("churn", "one thread, 8-1024 B blocks, mixed lifetimes", "churn.c"),
    Workload("larson-1t", "larson-like server, 1 thread", "larson.c", ["1"], ceiling=True),
    Workload("larson-2t", "larson-like server, 2 threads", "larson.c", ["2"], ceiling=True),
    Workload("threads_churn", "2 threads replacing 16-216 B blocks", "threads_churn.c", ["2"]),
    Workload("prodcons", "producer allocates, consumer frees", "prodcons.c"),
    Workload("realloc_growth", "4000 buffers grown by realloc to <= 64 KiB", "realloc_growth.c"),
    Workload("large", "64 KiB - 8 MiB blocks", "large.c"),
    Workload("calloc_heavy", "calloc 16 B - 64 KiB, zeros checked", "calloc_heavy.c"),
    Workload("aligned", "posix_memalign/aligned_alloc/memalign mixed with malloc", "aligned.c"),
    Workload("thread_handover", "6000 short threads hand blocks on", "thread_handover.c"),
    Workload("fragmentation", "small blocks freed sparsely, then medium ones", "fragmentation.c"),
    Workload("python3", "python3 alloc_heavy.py, PYTHONMALLOC=malloc",
             argv=lambda scale: [DEBIAN_PYTHON, os.path.join(BENCH, "alloc_heavy.py")],
             env={"PYTHONMALLOC": "malloc"}),
    Workload("sqlite3", "sqlite3 in-memory database, sqlite_workload.sql",
             argv=lambda scale: ["/usr/bin/sqlite3", "-bail", "-cmd", ".parameter set @rows %d" % sqlite_rows(scale),
                                 ":memory:"],
             stdin=os.path.join(BENCH, "sqlite_workload.sql")),
]


class Config:
    """An allocator configuration: its environment and, for libvmmalloc, the pool directory."""

    def __init__(self, name, env, pool_dir=None):
        self.name, self.env, self.pool_dir = name, env, pool_dir


# ---------------------------------------------------------------- helpers

def fail(message):
    sys.stderr.write("bench/run.py: %s\n" % message)
    sys.exit(1)


def command_output(argv, **kwargs):
    """stdout of a command, stripped; '' if it cannot run."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, **kwargs).stdout.strip()
    except OSError:
        return ""


def package_installed(name):
    return command_output(["dpkg-query", "-W", "-f", "${Status}", name]).endswith("install ok installed")


def package_version(name):
    return command_output(["dpkg-query", "-W", "-f", "${Version}", name]) or "not installed"


def install_packages(skip):
    missing = [p for p in PACKAGES if not package_installed(p)]
    if not missing:
        return
    if skip:
        fail("missing packages and --no-install given: " + " ".join(missing))
    if os.geteuid() != 0:
        fail("missing packages (run as root, or install them): apt-get install " + " ".join(missing))
    log("installing " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    subprocess.run(["apt-get", "update", "-qq"] + lock, env=env, check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + lock + missing, env=env, check=True)


def peer_library(package, pattern):
    for path in command_output(["dpkg", "-L", package]).splitlines():
        if re.search(pattern, path) and os.path.exists(path):
            return path
    fail("package %s has no file matching %s" % (package, pattern))


def build_library(given):
    if given:
        if not os.path.exists(given):
            fail("--library %s does not exist" % given)
        return os.path.abspath(given)
    log("building libvmmalloc: swift build -c release")
    swift = shutil.which("swift") or ("/opt/swift/usr/bin/swift" if os.path.exists("/opt/swift/usr/bin/swift") else None)
    if not swift:
        fail("swift is not on PATH (nor in /opt/swift/usr/bin); give --library PATH to use a built library")
    result = subprocess.run([swift, "build", "-c", "release"], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        fail("swift build -c release failed:\n" + result.stdout[-3000:] + result.stderr[-3000:])
    return os.path.join(ROOT, ".build", "release", "libvmmalloc.so")


def build_workloads():
    os.makedirs(WORKLOAD_BUILD, exist_ok=True)
    flags = ["-O2", "-g", "-pthread", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror",
             # Keep the compiler from merging or removing allocator calls.
             "-fno-builtin-malloc", "-fno-builtin-free", "-fno-builtin-calloc", "-fno-builtin-realloc"]
    for source in sorted({w.source for w in WORKLOADS if w.source} | {"measure.c"}):
        output = os.path.join(WORKLOAD_BUILD, os.path.splitext(source)[0])
        result = subprocess.run(["cc"] + flags + [os.path.join(BENCH, source), "-o", output],
                                capture_output=True, text=True)
        if result.returncode != 0:
            fail("compiling bench/%s failed:\n%s" % (source, result.stderr))


def filesystem_of(path):
    """(mount point, type) of the file system holding path."""
    path = os.path.realpath(path)
    best = ("/", "?")
    with open("/proc/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            point = fields[1].replace("\\040", " ")
            if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) >= len(best[0]):
                best = (point, fields[2])
    return best


def fresh_directory(base, label):
    path = os.path.join(base, "vmmalloc-bench-%s.%d" % (label, os.getpid()))
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return os.path.realpath(path)


_progress_tty = sys.stderr.isatty()


def log(message):
    sys.stderr.write(("\r\033[K" if _progress_tty else "") + message + "\n")
    sys.stderr.flush()


def progress(message):
    if _progress_tty:
        sys.stderr.write("\r\033[K" + message)
    else:
        sys.stderr.write(message + "\n")
    sys.stderr.flush()


def duration(seconds):
    seconds = int(seconds)
    return "%dm%02ds" % (seconds // 60, seconds % 60) if seconds >= 60 else "%ds" % seconds


# ---------------------------------------------------------------- running one program

class PoolWatcher(threading.Thread):
    """Samples the pool file of process `pid` (found among its descriptors by
    its directory) every `interval` seconds and keeps the largest allocated size."""

    def __init__(self, pid, pool_dir, interval=0.01):
        super().__init__(daemon=True)
        self.pid, self.prefix, self.interval = pid, pool_dir + "/", interval
        self.peak = 0
        self.found = False
        self.stop = threading.Event()

    def find(self):
        fd_dir = "/proc/%d/fd" % self.pid
        try:
            names = os.listdir(fd_dir)
        except OSError:
            return None
        for name in names:
            try:
                if os.readlink(os.path.join(fd_dir, name)).startswith(self.prefix):
                    return os.path.join(fd_dir, name)
            except OSError:
                continue
        return None

    def run(self):
        path = None
        while not self.stop.is_set():
            if path is None:
                path = self.find()
            if path is not None:
                try:
                    self.peak = max(self.peak, os.stat(path).st_blocks * 512)
                    self.found = True
                except OSError:
                    path = None
            self.stop.wait(self.interval)


class RunOutcome:
    def __init__(self, seconds, maxrss_kib, pool_bytes, ok, problem, metrics):
        self.seconds, self.maxrss_kib, self.pool_bytes = seconds, maxrss_kib, pool_bytes
        self.ok, self.problem, self.metrics = ok, problem, metrics


def kill_quietly(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def spawn_and_wait(argv, env, stdin, stdout, stderr, timeout, pool_dir=None):
    """Runs argv through the launcher; returns (seconds, wait status, maxrss KiB, pool peak bytes or None)."""
    read_end, write_end = os.pipe()
    if write_end == 3:  # dup2 onto itself would keep close-on-exec
        write_end = os.dup(3)
        os.close(3)
    actions = [(os.POSIX_SPAWN_OPEN, 0, stdin, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
               (os.POSIX_SPAWN_OPEN, 2, stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
               (os.POSIX_SPAWN_DUP2, write_end, 3)]
    launcher = [MEASURE] + ["%s=%s" % kv for kv in sorted(env.items())] + ["--"] + argv
    launcher_pid = os.posix_spawn(MEASURE, launcher, {}, file_actions=actions)
    os.close(write_end)
    watcher = killer = None
    with os.fdopen(read_end) as report:
        first = report.readline().split()
        if len(first) == 2 and first[0] == "pid":
            child = int(first[1])
            killer = threading.Timer(timeout, kill_quietly, [child])
            killer.start()
            if pool_dir:
                watcher = PoolWatcher(child, pool_dir)
                watcher.start()
        last = report.readline().split()
    os.waitpid(launcher_pid, 0)
    if killer:
        killer.cancel()
    pool = None
    if watcher:
        watcher.stop.set()
        watcher.join()
        pool = watcher.peak if watcher.found else None
    if len(last) != 4 or last[0] != "done":
        fail("the launcher did not report on %s (see %s)" % (" ".join(argv), stderr))
    return float(last[1]), int(last[3]), int(last[2]), pool


def run_once(workload, config, scale, work, timeout):
    ceiling = config.name == CEILING
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
           "LC_ALL": "C", "LANG": "C", "BENCH_SCALE": repr(scale)}
    env.update(workload.env)
    env.update(config.env)
    out, err = os.path.join(work, "stdout"), os.path.join(work, "stderr")
    seconds, status, maxrss_kib, pool = spawn_and_wait(workload.argv(scale, ceiling), env, workload.stdin or "/dev/null",
                                                  out, err, timeout, config.pool_dir)
    with open(out, errors="replace") as f:
        stdout = f.read()
    with open(err, errors="replace") as f:
        stderr = f.read()
    metrics = {}
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "metric:":
            metrics[fields[1]] = float(fields[2])
    problem = None
    if os.WIFSIGNALED(status):
        problem = "killed by signal %d%s" % (os.WTERMSIG(status),
                                            " (timeout %ds)" % timeout if os.WTERMSIG(status) == 9 else "")
    elif os.WEXITSTATUS(status) != 0:
        problem = "exit status %d" % os.WEXITSTATUS(status)
    elif not any(line.startswith("check: ok") for line in stdout.splitlines()):
        problem = "no 'check: ok' line on stdout"
    if config.pool_dir and not problem:
        left = os.listdir(config.pool_dir)
        if left:
            problem = "the pool directory is not empty after the run: %s" % left
    if problem:
        problem += "\n    " + "\n    ".join((stderr.strip() or "(no stderr)").splitlines()[-8:])
    return RunOutcome(seconds, maxrss_kib, pool, problem is None, problem, metrics)


# ---------------------------------------------------------------- start-up cost

def startup_cost(library, runs, work):
    """Median wall time (ms) of /bin/true with no preload and with libvmmalloc on a 64 GiB pool
    in /dev/shm (the pool file is sparse: it may be larger than the free space there)."""
    base = "/dev/shm"
    if not os.path.isdir(base) or not os.access(base, os.W_OK):
        return None, "no writable /dev/shm"
    pool_dir = fresh_directory(base, "startup")
    plain = {"PATH": "/usr/bin:/bin"}
    pooled = dict(plain, LD_PRELOAD=library, VMMALLOC_POOL_DIR=pool_dir, VMMALLOC_POOL_SIZE="64G")
    times = {"none": [], "vmmalloc": []}
    out = os.path.join(work, "startup.out")
    try:
        for i in range(runs):
            for name, env in (("none", plain), ("vmmalloc", pooled)):
                seconds, status, _, _ = spawn_and_wait(["/bin/true"], env, "/dev/null", out, out, 30)
                if status != 0:
                    with open(out, errors="replace") as f:
                        return None, "/bin/true failed under %s: %s" % (name, f.read().strip())
                times[name].append(seconds * 1000)
            if i % 50 == 0:
                progress("start-up cost: /bin/true run %d/%d" % (i + 1, runs))
        return {k: statistics.median(v) for k, v in times.items()}, "/dev/shm"
    finally:
        shutil.rmtree(pool_dir, ignore_errors=True)


# ---------------------------------------------------------------- reporting

def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def machine_info(library, configs, args):
    def first_line(text):
        return text.splitlines()[0] if text else "?"

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    commit = command_output(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]) or "?"
    dirty = command_output(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", ".",
                            ":(exclude)bench/results"])
    info = [
        ("date (UTC)", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")),
        ("machine", platform.node()),
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("memory", "%.1f GiB" % (mem_kib / 1048576)),
        ("kernel", platform.system() + " " + platform.release()),
        ("glibc", "%s (libc6 %s)" % (os.confstr("CS_GNU_LIBC_VERSION"), package_version("libc6"))),
        ("libvmmalloc", "commit %s%s, %s" % (commit, " with uncommitted changes" if dirty else "",
                                             os.path.relpath(library, ROOT) if library.startswith(ROOT) else library)),
        ("swift", first_line(subprocess.run(["swift", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            text=True).stdout.strip() if shutil.which("swift") else "")),
        ("workloads compiled by", first_line(command_output(["cc", "--version"]))),
    ]
    for name, package, _ in PEERS:
        info.append((name, "%s %s" % (package, package_version(package))))
    if args.baseline:
        info.append(("baseline-shm", "libvmmalloc %s (--baseline)" % os.path.abspath(args.baseline)))
    info.append(("python3", "python3 %s (%s)" % (package_version("python3"), DEBIAN_PYTHON)))
    info.append(("sqlite3", "sqlite3 %s" % package_version("sqlite3")))
    for c in configs:
        if c.pool_dir:
            point, kind = filesystem_of(c.pool_dir)
            info.append(("pool of " + c.name, "%s on %s (%s), VMMALLOC_POOL_SIZE=%s" % (
                os.path.dirname(c.pool_dir), point, kind, args.pool_size)))
    info.append(("runs", "%d of each workload under each configuration, interleaved; BENCH_SCALE=%g"
                 % (args.runs, args.scale)))
    return info


def fmt_seconds(v):
    return "FAIL" if v is None else ("%.3f" % v if v < 10 else "%.2f" % v)


def fmt_mib(kib):
    return "–" if kib is None else ("%.1f" % (kib / 1024.0))


def worst_against_best_peer(workloads, peers, value, key):
    """(workload, ratio) where the reference is furthest above the lowest peer figure for `key`."""
    worst = None
    for w in workloads:
        ref = value(w.name, REFERENCE, key)
        best = [value(w.name, c, key) for c in peers if value(w.name, c, key)]
        if ref and best and (worst is None or ref / min(best) > worst[1]):
            worst = (w.name, ref / min(best))
    return worst


def skipped_note(workloads, common):
    left_out = [w.name for w in workloads if w not in common]
    return " (without %s, which failed somewhere)" % ", ".join(left_out) if left_out else ""


def write_report(out_dir, info, configs, workloads, samples, failures, startup, startup_note, elapsed):
    names = [c.name for c in configs]
    med = {}  # (workload, config) -> dict of medians; None when a run failed
    for w in workloads:
        for c in names:
            runs = samples.get((w.name, c), [])
            if not runs or (w.name, c) in failures:
                med[(w.name, c)] = None
                continue
            pools = [r.pool_bytes for r in runs if r.pool_bytes is not None]
            keys = sorted({k for r in runs for k in r.metrics})
            med[(w.name, c)] = {
                "seconds": statistics.median(r.seconds for r in runs),
                "rss_kib": statistics.median(r.maxrss_kib for r in runs),
                "pool_kib": statistics.median(pools) / 1024 if pools else None,
                "metrics": {k: statistics.median(r.metrics[k] for r in runs if k in r.metrics) for k in keys},
            }

    def value(w, c, key):
        m = med.get((w, c))
        return m[key] if m else None

    lines = ["# libvmmalloc benchmark results", ""]
    lines += ["| | |", "| --- | --- |"] + ["| %s | %s |" % kv for kv in info]
    lines += ["", "The suite took %s. Every figure is the median of the runs; times are wall time from spawn to exit."
              % duration(elapsed), ""]

    header = "| workload | " + " | ".join(names) + " |"
    rule = "| --- |" + " ---: |" * len(names)

    lines += ["## Time", "",
              "Median wall time in seconds; in parentheses the ratio to %s (lower is faster)." % REFERENCE, "",
              header, rule]
    time_geo = {}
    for w in workloads:
        ref = value(w.name, REFERENCE, "seconds")
        cells = []
        for c in names:
            s = value(w.name, c, "seconds")
            cells.append(fmt_seconds(s) + (" (%.2f)" % (s / ref) if s is not None and ref else ""))
        lines.append("| %s | %s |" % (w.name, " | ".join(cells)))
    # Geometric means over the workloads that every configuration completed, so that they compare.
    common = [w for w in workloads if all(value(w.name, c, "seconds") for c in names)]
    for c in names:
        time_geo[c] = geomean([value(w.name, c, "seconds") for w in common])
    ref_geo = time_geo.get(REFERENCE)
    lines.append("| **geometric mean**%s | %s |" % (skipped_note(workloads, common), " | ".join(
        "**%s**" % (fmt_seconds(time_geo[c]) + (" (%.2f)" % (time_geo[c] / ref_geo) if time_geo[c] and ref_geo else ""))
        for c in names)))

    lines += ["", "## Peak RSS", "",
              "Median of the child's peak resident set (ru_maxrss from wait4), MiB. For libvmmalloc the pool "
              "pages the program touched count (they are mapped shared).", "", header, rule]
    rss_geo = {}
    for w in workloads:
        lines.append("| %s | %s |" % (w.name, " | ".join(fmt_mib(value(w.name, c, "rss_kib")) for c in names)))
    for c in names:
        rss_geo[c] = geomean([value(w.name, c, "rss_kib") for w in common])
    lines.append("| **geometric mean**%s | %s |" % (skipped_note(workloads, common),
                                                    " | ".join("**%s**" % fmt_mib(rss_geo[c]) for c in names)))

    pool_configs = [c.name for c in configs if c.pool_dir]
    if pool_configs:
        lines += ["", "## Pool space used", "",
                  "Median of the largest space the pool file held on its file system (st_blocks × 512 of the "
                  "unnamed file, sampled every 10 ms through /proc/PID/fd while the program ran), MiB. A program "
                  "shorter than one sample shows –.", "",
                  "| workload | " + " | ".join(pool_configs) + " |", "| --- |" + " ---: |" * len(pool_configs)]
        for w in workloads:
            lines.append("| %s | %s |" % (w.name, " | ".join(fmt_mib(value(w.name, c, "pool_kib")) for c in pool_configs)))

    lines += ["", "## Summary", ""]
    peers = [c for c in names if c in PEER_NAMES]
    if ref_geo and peers:
        fastest = min((time_geo[c], c) for c in peers if time_geo[c])
        lines.append("- Time, geometric mean: %s %.3f s; fastest peer %s %.3f s; ratio %.2f." % (
            REFERENCE, ref_geo, fastest[1], fastest[0], ref_geo / fastest[0]))
        worst = worst_against_best_peer(workloads, peers, value, "seconds")
        if worst:
            lines.append("- Time, worst workload against the fastest peer on it: %s, %.2f times." % worst)
    if rss_geo.get(REFERENCE) and peers:
        lines.append("- Peak RSS, geometric mean: %s %s MiB; %s." % (
            REFERENCE, fmt_mib(rss_geo[REFERENCE]),
            ", ".join("%s %s MiB" % (c, fmt_mib(rss_geo[c])) for c in peers if rss_geo[c])))
        worst = worst_against_best_peer(workloads, peers, value, "rss_kib")
        if worst:
            lines.append("- Peak RSS, worst workload against the smallest peer on it: %s, %.2f times." % worst)
    if any(w.name == "larson-1t" for w in workloads) and any(w.name == "larson-2t" for w in workloads):
        cells = []
        for c in names:
            one, two = value("larson-1t", c, "seconds"), value("larson-2t", c, "seconds")
            if one and two:
                cells.append("%s %.2f" % (c, 2 * one / two))
        lines.append("- Larson throughput of 2 threads over 1 thread (2 × time of 1 / time of 2; the same work "
                     "per thread): " + ", ".join(cells) + ".")
        ceiling = {}
        for wname in ("larson-1t", "larson-2t"):
            runs = samples.get((wname, CEILING), [])
            if runs and (wname, CEILING) not in failures:
                ceiling[wname] = (statistics.median(r.seconds for r in runs),
                                  statistics.median(r.metrics.get("mops", 0) for r in runs))
        if len(ceiling) == 2:
            (one, one_mops), (two, two_mops) = ceiling["larson-1t"], ceiling["larson-2t"]
            lines.append("- The same larson work with the ideal allocator of its ceiling mode (`larson N ceiling`: "
                         "per-thread lists, no lock, no atomic, no header), what this machine gives whatever the "
                         "allocator: 1 thread %.3f s (%.2f Mop/s), 2 threads %.3f s (%.2f Mop/s); 2 over 1: %.2f."
                         % (one, one_mops, two, two_mops, 2 * one / two))
    if startup:
        lines.append("- Start-up: /bin/true takes %.2f ms with no preload and %.2f ms with libvmmalloc on a 64 GiB "
                     "pool on %s: %+.2f ms (medians of many interleaved runs)." % (
                         startup["none"], startup["vmmalloc"], startup_note, startup["vmmalloc"] - startup["none"]))
    elif startup_note:
        lines.append("- Start-up cost not measured: %s." % startup_note)

    metric_rows = sorted({(w.name, k) for w in workloads for c in names
                          for k in ((med.get((w.name, c)) or {}).get("metrics") or {})})
    if metric_rows:
        lines += ["", "## Figures the workloads measure themselves", "",
                  "Medians. pair_ns: one malloc/free pair of 32 bytes, measured around the loop only; mops: "
                  "larson replacements per second, millions; live_peak_mib: the data alive at once in the "
                  "fragmentation pattern.", "", "| workload | figure | " + " | ".join(names) + " |",
                  "| --- | --- |" + " ---: |" * len(names)]
        for wname, key in metric_rows:
            cells = []
            for c in names:
                m = med.get((wname, c))
                cells.append("%.2f" % m["metrics"][key] if m and key in m["metrics"] else "–")
            lines.append("| %s | %s | %s |" % (wname, key, " | ".join(cells)))

    lines += ["", "## Workloads", "", "| workload | what it does |", "| --- | --- |"]
    lines += ["| %s | %s |" % (w.name, w.what) for w in workloads]
    if failures:
        lines += ["", "## Failures", ""]
        for (w, c), problem in sorted(failures.items()):
            lines += ["- %s under %s: %s" % (w, c, " — ".join(l.strip() for l in problem.splitlines()[:2]))]
    lines += ["", "![time ratio to %s per workload](chart.png)" % REFERENCE, ""]
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("\n".join(lines))
    return med, time_geo


def write_chart(out_dir, configs, workloads, med):
    names = [c.name for c in configs]
    data = os.path.join(out_dir, "chart.dat")
    with open(data, "w") as f:
        f.write("# workload " + " ".join(names) + "\n")
        for w in workloads:
            ref = (med.get((w.name, REFERENCE)) or {}).get("seconds")
            cells = []
            for c in names:
                s = (med.get((w.name, c)) or {}).get("seconds")
                cells.append("%.4f" % (s / ref) if s and ref else "NaN")
            f.write("%s %s\n" % (w.name, " ".join(cells)))
    script = os.path.join(out_dir, "chart.gp")
    columns = ", ".join("'chart.dat' using %d:xtic(1) title '%s'" % (i + 2, n) if i == 0 else
                        "'' using %d title '%s'" % (i + 2, n) for i, n in enumerate(names))
    with open(script, "w") as f:
        f.write("""# Draws chart.png from chart.dat: gnuplot chart.gp (in this directory)
set terminal pngcairo size 1600,700 font ',11' noenhanced
set output 'chart.png'
set title 'Median wall time relative to %s (lower is faster; log scale)'
set ylabel 'time / time of %s'
set xrange [-0.6:%.1f]
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 front
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 2
set yrange [0.125:*]
set ytics (0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)
set grid ytics
set xtics rotate by -30 left
set key top left horizontal
set bmargin 6
plot %s
""" % (REFERENCE, REFERENCE, len(workloads) - 0.4, columns))
    result = subprocess.run(["gnuplot", "chart.gp"], cwd=out_dir, capture_output=True, text=True)
    if result.returncode != 0:
        log("gnuplot failed, no chart: " + result.stderr.strip())


def write_runs(out_dir, samples):
    with open(os.path.join(out_dir, "runs.csv"), "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["workload", "config", "run", "seconds", "maxrss_kib", "pool_bytes", "metrics"])
        for (w, c), runs in sorted(samples.items()):
            for i, r in enumerate(runs):
                out.writerow([w, c, i + 1, "%.4f" % r.seconds, r.maxrss_kib,
                              "" if r.pool_bytes is None else r.pool_bytes, json.dumps(r.metrics, sort_keys=True)])


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description="Benchmark libvmmalloc against glibc, jemalloc, mimalloc and tcmalloc.")
    parser.add_argument("--runs", type=int, default=5, help="runs of each workload under each configuration (5)")
    parser.add_argument("--scale", type=float, default=1.0, help="work multiplier for every workload (1)")
    parser.add_argument("--only", help="comma-separated workloads to run (default: all)")
    parser.add_argument("--configs", help="comma-separated configurations to run (default: all)")
    parser.add_argument("--pool-size", default="8G", help="VMMALLOC_POOL_SIZE for the workloads (8G)")
    parser.add_argument("--shm-dir", default="/dev/shm", help="tmpfs directory for the vmmalloc-shm pool")
    parser.add_argument("--disk-dir", default="/var/tmp", help="disk directory for the vmmalloc-disk pool")
    parser.add_argument("--library", help="use this libvmmalloc.so instead of building one")
    parser.add_argument("--baseline", help="another libvmmalloc.so to run side by side, pool on the tmpfs "
                                           "directory (configuration baseline-shm): an A/B comparison in one run")
    parser.add_argument("--startup-runs", type=int, default=300, help="runs of /bin/true for the start-up cost (300)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds before a run is killed (300)")
    parser.add_argument("--out", help="result directory (default: bench/results/<date>-<machine>)")
    parser.add_argument("--no-install", action="store_true", help="fail instead of installing missing packages")
    parser.add_argument("--list", action="store_true", help="list the workloads and configurations and stop")
    args = parser.parse_args()

    config_names = ["vmmalloc-shm", "vmmalloc-disk", "glibc", "jemalloc", "mimalloc", "tcmalloc"]
    if args.list:
        for w in WORKLOADS:
            print("%-18s %s" % (w.name, w.what))
        print("configurations: " + ", ".join(config_names))
        return 0
    workloads = WORKLOADS
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - {w.name for w in WORKLOADS}
        if unknown:
            fail("unknown workloads: %s (see --list)" % ", ".join(sorted(unknown)))
        workloads = [w for w in WORKLOADS if w.name in wanted]
    if args.configs:
        chosen = args.configs.split(",")
        unknown = set(chosen) - set(config_names)
        if unknown:
            fail("unknown configurations: %s (see --list)" % ", ".join(sorted(unknown)))
        config_names = [c for c in config_names if c in chosen]
    if args.runs < 1 or args.scale <= 0:
        fail("--runs must be at least 1 and --scale above 0")

    install_packages(args.no_install)
    library = build_library(args.library)
    log("compiling the workloads into " + os.path.relpath(WORKLOAD_BUILD, ROOT))
    build_workloads()

    work = fresh_directory("/tmp", "work")
    configs = []
    for name in config_names:
        if name.startswith("vmmalloc"):
            base = args.shm_dir if name == "vmmalloc-shm" else args.disk_dir
            pool_dir = fresh_directory(base, name.split("-")[1])
            configs.append(Config(name, {"LD_PRELOAD": library, "VMMALLOC_POOL_DIR": pool_dir,
                                         "VMMALLOC_POOL_SIZE": args.pool_size}, pool_dir))
        elif name == "glibc":
            configs.append(Config(name, {}))
        else:
            package, pattern = next((p, r) for n, p, r in PEERS if n == name)
            configs.append(Config(name, {"LD_PRELOAD": peer_library(package, pattern)}))
    if args.baseline:
        if not os.path.isfile(args.baseline):
            fail("--baseline: no such file: " + args.baseline)
        pool_dir = fresh_directory(args.shm_dir, "baseline")
        configs.insert(1, Config("baseline-shm", {"LD_PRELOAD": os.path.abspath(args.baseline),
                                                  "VMMALLOC_POOL_DIR": pool_dir,
                                                  "VMMALLOC_POOL_SIZE": args.pool_size}, pool_dir))
    if REFERENCE not in config_names:
        log("note: without %s the ratios are left out" % REFERENCE)

    info = machine_info(library, configs, args)
    load_before = os.getloadavg()
    samples, failures = {}, {}
    ceiling = Config(CEILING, {})
    def configs_of(w):
        return configs + [ceiling] if w.ceiling else configs
    total = args.runs * sum(len(configs_of(w)) for w in workloads)
    done = 0
    started = time.time()
    try:
        for rep in range(args.runs):
            for w in workloads:
                for c in configs_of(w):
                    if (w.name, c.name) in failures:
                        done += 1
                        continue
                    elapsed = time.time() - started
                    left = elapsed / done * (total - done) if done else 0
                    progress("[%d/%d] %s x %s run %d/%d  (%s elapsed%s)" % (
                        done + 1, total, w.name, c.name, rep + 1, args.runs, duration(elapsed),
                        ", about %s left" % duration(left) if done else ""))
                    outcome = run_once(w, c, args.scale, work, args.timeout)
                    done += 1
                    if outcome.ok:
                        samples.setdefault((w.name, c.name), []).append(outcome)
                    else:
                        failures[(w.name, c.name)] = outcome.problem
                        log("FAILED: %s under %s: %s" % (w.name, c.name, outcome.problem))
        startup, startup_note = (None, "left out (a configuration subset was chosen)")
        if "vmmalloc-shm" in config_names and args.startup_runs > 0:
            startup, startup_note = startup_cost(library, args.startup_runs, work)
    finally:
        for c in configs:
            if c.pool_dir:
                shutil.rmtree(c.pool_dir, ignore_errors=True)
    elapsed = time.time() - started
    load_after = os.getloadavg()
    info.append(("load average", "%.2f at the start, %.2f at the end (1 minute; other work on the machine "
                                 "makes the times noisier)" % (load_before[0], load_after[0])))

    if args.out:
        out_dir = args.out
    else:
        stem = os.path.join(BENCH, "results", "%s-%s" % (datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"), platform.node()))
        out_dir, n = stem, 1
        while os.path.exists(out_dir):
            n += 1
            out_dir = "%s-%d" % (stem, n)
    os.makedirs(out_dir, exist_ok=True)
    med, _ = write_report(out_dir, info, configs, workloads, samples, failures, startup, startup_note, elapsed)
    write_chart(out_dir, configs, workloads, med)
    write_runs(out_dir, samples)
    shutil.rmtree(work, ignore_errors=True)
    log("done in %s: %s" % (duration(elapsed), os.path.relpath(os.path.join(out_dir, "results.md"), os.getcwd())))
    if failures:
        log("%d workload/configuration pairs FAILED (see the report)" % len(failures))
    # A failure of libvmmalloc fails the run; a peer's is reported (Debian's mimalloc 2.0.9, for
    # one, returns misaligned blocks for some sizes, which the aligned workload catches).
    return 1 if any(c.startswith("vmmalloc") for _, c in failures) else 0


if __name__ == "__main__":
    sys.exit(main())
