#!/usr/bin/python3
"""Runs real programs' own test suites and workloads twice, on glibc's malloc
and under libvmmalloc (LD_PRELOAD, pool in /dev/shm), and writes a report of
the differences.

    make check-programs              # everything; writes check-programs/REPORT.md
    make check-programs QUICK=1      # a few minutes; writes build/check-programs/quick/REPORT.md
    /usr/bin/python3 check-programs/run.py --help

The suites:
  cpython  Debian's CPython regression suite (libpython3.11-testsuite), the
           whole of it: /usr/bin/python3 -m test -j2 -w --timeout 1200 with
           PYTHONMALLOC=malloc (quick: 12 test modules)
  sqlite   sqlite3 on check-programs/sqlite-workload.sql (200000 rows; quick
           20000): the outputs must be equal
  git      a repository made from /usr/lib/python3.11 (the test suite too) in
           307 commits (quick: from this tree's Sources and Tests) and a clone
           of this project's own repository: clone --no-local, gc --aggressive, fsck --full --strict;
           commit ids, object lists, fsck's output and archives must be equal
  gcc      gcc and g++ -O2 -g on every C and C++ file of this tree (and a C++
           file that includes the whole standard library): the objects must be
           equal byte for byte
  stress   check-programs/stress.c under libvmmalloc only: 10^8 operations over
           2-128 threads in a 128 MiB pool (quick: 2*10^6 over 2-32 threads in
           64 MiB), contents checked, pool space checked after every round

Both runs of a suite use the same environment except LD_PRELOAD and the
VMMALLOC_ variables. A difference between them is listed in the report with
its explanation from EXPLAINED below, or as UNEXPLAINED, which makes the
command exit 1 (as does any failure under libvmmalloc of a check that passes
on glibc). Logs and results go to build/check-programs/. Standard library only.
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "build", "check-programs")
PYTHON = "/usr/bin/python3"
PACKAGES = ["python3", "libpython3.11-testsuite", "sqlite3", "git", "gcc", "g++", "libc6-dev"]
MODES = ["glibc", "vmmalloc"]

# Quick mode's CPython modules: the allocation-heavy core types, threads, and C extensions.
QUICK_CPYTHON = ["test_list", "test_dict", "test_set", "test_unicode", "test_bytes", "test_json", "test_re",
                 "test_threading", "test_collections", "test_zlib", "test_pickle", "test_decimal"]

# Test cases left out of every run (regrtest's --ignore), each because it fails or
# hangs on glibc too. The VSOCK stream test of test_socket waits in accept() for
# good on this machine (kernel 6.18's vsock loopback), on glibc alone as under the
# library; the rest of test_socket runs.
IGNORED = ["*VSOCK*"]

# Differences between the two runs that are understood, with the reason.
# Key: (suite, name of the test or check). Filled in from the report's runs.
EXPLAINED = {
    ("cpython", "test_subprocess"):
        "test_pass_fds_redirected: the child lists its open descriptors and finds one more, 896 "
        "(`output=b'0,1,2,3,4,6,896'`). The child is python3 under LD_PRELOAD too, so it has a pool of its own, "
        "whose file the library keeps open at 7/8 of the open-file limit (1024 here). It is not the parent's: "
        "that one is close-on-exec, and a child started without the preload has no descriptor 896. "
        "A program under the library that counts its own descriptors sees its pool's; keeping it out of such "
        "lists is the pool-descriptor part of issue 20, not in this library build.",
}


def log(message):
    print("check-programs: " + message, file=sys.stderr, flush=True)


def fail(message):
    log(message)
    sys.exit(2)


def output_of(argv, **kw):
    try:
        return subprocess.run(argv, capture_output=True, text=True, **kw).stdout.strip()
    except OSError:
        return ""


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_text(text):
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


# ---------------------------------------------------------------- setup

def install_packages(allowed):
    missing = [p for p in PACKAGES
               if not output_of(["dpkg-query", "-W", "-f", "${Status}", p]).endswith("install ok installed")]
    if not missing:
        return
    if not allowed or os.geteuid() != 0:
        fail("missing packages (as root: apt-get install %s)" % " ".join(missing))
    log("installing " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    subprocess.run(["apt-get", "update", "-qq"] + lock, env=env, check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + lock + missing, env=env, check=True)


def build_library(given):
    """The library the runs preload: a copy, so that a rebuild meanwhile changes nothing."""
    os.makedirs(OUT, exist_ok=True)
    if given:
        source = os.path.abspath(given)
        if not os.path.exists(source):
            fail("--library %s does not exist" % given)
    else:
        swift = shutil.which("swift") or ("/opt/swift/usr/bin/swift" if os.path.exists("/opt/swift/usr/bin/swift") else None)
        if not swift:
            fail("swift is not on PATH (nor /opt/swift/usr/bin); give --library PATH")
        log("building libvmmalloc: swift build -c release")
        r = subprocess.run(["nice", "-n", "10", swift, "build", "-c", "release"], cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            fail("swift build -c release failed:\n" + r.stdout[-3000:] + r.stderr[-3000:])
        source = os.path.join(ROOT, ".build", "release", "libvmmalloc.so")
    target = os.path.join(OUT, "libvmmalloc.so")
    if os.path.abspath(source) != target:
        shutil.copyfile(source, target)
    return target


def pool_dir():
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else "/tmp"
    path = os.path.join(base, "vmmalloc-check-programs.%d" % os.getpid())
    os.makedirs(path, exist_ok=True)
    return path


def environment(mode, library, pool, size, extra=None):
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("VMMALLOC_") or k.startswith("PYTHON") or k == "LD_PRELOAD")}
    env.update({"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "UTC"})
    if extra:
        env.update(extra)
    if mode == "vmmalloc":
        env.update({"LD_PRELOAD": library, "VMMALLOC_POOL_DIR": pool, "VMMALLOC_POOL_SIZE": size})
    return env


def run(argv, env, cwd, log_path, timeout=None, stdin=None, nice=15):
    """Runs argv (niced), output to log_path; returns (exit status, seconds)."""
    start = time.time()
    with open(log_path, "ab") as out:
        out.write(("$ " + " ".join(argv) + "\n").encode())
        out.flush()
        try:
            r = subprocess.run(["nice", "-n", str(nice)] + argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                               stdin=stdin if stdin is not None else subprocess.DEVNULL, timeout=timeout)
            status = r.returncode
        except subprocess.TimeoutExpired:
            status = "timeout"
    return status, time.time() - start


def command_line(argv, mode, size):
    prefix = "" if mode == "glibc" else "LD_PRELOAD=libvmmalloc.so VMMALLOC_POOL_DIR=/dev/shm/... VMMALLOC_POOL_SIZE=%s " % size
    return prefix + " ".join(argv)


# ---------------------------------------------------------------- suites

def parse_regrtest(text):
    """The lists of regrtest's summary: {'failed': [...], 'skipped': [...], ...}."""
    result, current = {}, None
    summary = text[text.rfind("== Tests result"):] if "== Tests result" in text else text
    for line in summary.splitlines():
        m = re.match(r"^(\d+|All \d+) (.+?)[:.]$", line)
        if m and re.search(r"\btests?\b", m.group(2)):
            key = " ".join(w for w in m.group(2).split() if w not in ("test", "tests"))
            current = key
            if line.endswith("."):  # "390 tests OK." has no list
                result[key] = int(re.sub(r"\D", "", m.group(1)))
                current = None
            else:
                result[key] = []
            continue
        if current and line.startswith("    "):
            result[current].extend(line.split())
        elif current and line.strip() == "":
            continue
        else:
            current = None
    m = re.search(r"Tests result: (.+)", summary)
    result["result"] = m.group(1).strip(" =") if m else "no summary (killed?)"
    m = re.search(r"Total duration: (.+)", summary)
    result["duration"] = m.group(1).strip() if m else None
    return result


def parse_junit(path):
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if not os.path.exists(path):
        return None
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return None
    for case in root.iter("testcase"):
        counts["tests"] += 1
        if case.find("failure") is not None:
            counts["failures"] += 1
        elif case.find("error") is not None:
            counts["errors"] += 1
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    return counts


def suite_cpython(mode, ctx):
    work = os.path.join(OUT, "cpython-" + mode)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    log_path = os.path.join(OUT, "cpython-%s.log" % mode)
    if os.path.exists(log_path):
        os.remove(log_path)
    junit = os.path.join(work, "junit.xml")
    argv = [PYTHON, "-m", "test", "-j2", "-w", "--timeout", "1200", "--junit-xml", junit]
    for pattern in IGNORED:
        argv += ["-i", pattern]
    if ctx.quick:
        argv += QUICK_CPYTHON
    env = environment(mode, ctx.library, ctx.pool, "8G", {"PYTHONMALLOC": "malloc"})
    status, seconds = run(argv, env, work, log_path)
    with open(log_path, errors="replace") as f:
        summary = parse_regrtest(f.read())
    shown = ["PYTHONMALLOC=malloc"] + [a if a != junit else "FILE" for a in argv]
    return {"command": command_line(shown, mode, "8G"),
            "status": status, "seconds": round(seconds), "summary": summary, "cases": parse_junit(junit)}


def cpython_differences(results):
    """Test modules whose outcome differs between the two runs: {module: (glibc, vmmalloc)}."""
    def outcome(r, t):
        # The closing summary lists the modules that failed also when re-run
        # (-w), and separately all that were re-run.
        s = r["summary"]
        if t in s.get("failed", []) or t in s.get("crashed", []) or t in s.get("timed out", []):
            return "failed"
        if t in s.get("re-run", []) and t in s.get("run no", []):
            return "timed out, its re-run ran no test"
        if t in s.get("re-run", []):
            return "failed, passed when re-run"
        if t in s.get("skipped", []) or t in s.get("resource denied", []):
            return "skipped"
        return "passed"
    g, v = results["glibc"], results["vmmalloc"]
    names = set()
    for r in (g, v):
        for key in ("failed", "re-run", "crashed", "timed out", "skipped", "resource denied"):
            names |= set(r["summary"].get(key, []))
    return {t: (outcome(g, t), outcome(v, t)) for t in sorted(names) if outcome(g, t) != outcome(v, t)}


def confirm_cpython(results, ctx):
    """Runs every module whose outcome differs once more, alone, on each allocator in turn:
    the two whole runs go at the same time and share the machine's ports and files."""
    confirm = {}
    for module in cpython_differences(results):
        confirm[module] = {}
        for mode in MODES:
            work = os.path.join(OUT, "cpython-confirm-%s-%s" % (module, mode))
            shutil.rmtree(work, ignore_errors=True)
            os.makedirs(work)
            log_path = work + ".log"
            if os.path.exists(log_path):
                os.remove(log_path)
            argv = [PYTHON, "-m", "test", "-w", "--timeout", "1200"] + [a for p in IGNORED for a in ("-i", p)] + [module]
            log("cpython: %s alone on %s" % (module, mode))
            status, seconds = run(argv, environment(mode, ctx.library, ctx.pool, "8G", {"PYTHONMALLOC": "malloc"}),
                                  work, log_path)
            with open(log_path, errors="replace") as f:
                summary = parse_regrtest(f.read())
            confirm[module][mode] = {"status": status, "seconds": round(seconds), "result": summary.get("result")}
    results["confirm"] = confirm


def suite_sqlite(mode, ctx):
    rows = 20000 if ctx.quick else 200000
    work = os.path.join(OUT, "sqlite-" + mode)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open(os.path.join(HERE, "sqlite-workload.sql")) as f:
        sql = f.read().replace("@ROWS@", str(rows))
    script = os.path.join(work, "workload.sql")
    with open(script, "w") as f:
        f.write(sql)
    checks = {}
    total = 0.0
    for db in [":memory:", os.path.join(work, "file.db")]:
        out_path = os.path.join(work, "out-%s.txt" % ("memory" if db == ":memory:" else "file"))
        with open(script) as stdin:
            status, seconds = run(["sqlite3", "-bail", db], environment(mode, ctx.library, ctx.pool, "4G"), work,
                                  out_path, stdin=stdin)
        total += seconds
        with open(out_path, errors="replace") as f:
            text = f.read().split("\n", 1)[1]
        name = "sqlite3 %s" % ("in memory" if db == ":memory:" else "on a file")
        checks[name] = {"status": status, "sha256": sha256_text(text), "lines": text.count("\n"),
                        "ok": status == 0 and "ok\n" in text}
    return {"command": command_line(["sqlite3", "-bail", "DB", "<", "sqlite-workload.sql (%d rows)" % rows], mode, "4G"),
            "seconds": round(total), "checks": checks}


def make_history_repo(mode, ctx, env, path, log_path):
    """A repository of real files in many commits, made the same way in both runs."""
    source = os.path.join(ROOT, "Sources") if ctx.quick else "/usr/lib/python3.11"
    extra = [os.path.join(ROOT, "Tests")] if ctx.quick else []
    env = dict(env, GIT_AUTHOR_NAME="check", GIT_AUTHOR_EMAIL="check@example.invalid", GIT_COMMITTER_NAME="check",
               GIT_COMMITTER_EMAIL="check@example.invalid", GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
               GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    os.makedirs(path)
    git = ["git", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false", "-C", path]
    status, _ = run(git + ["init", "-q"], env, path, log_path)
    # Top-level entries in name order, one commit each; then 100 (quick: 20) commits that change 40 files each.
    entries = []
    for top in [source] + extra:
        for name in sorted(os.listdir(top)):
            if name in ("__pycache__", "site-packages", "dist-packages") or name.endswith(".pyc"):
                continue
            entries.append((top, name))
    for top, name in entries:
        dest = os.path.join(path, os.path.basename(top), name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        src = os.path.join(top, name)
        if os.path.isdir(src):
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), symlinks=True)
        else:
            shutil.copy2(src, dest, follow_symlinks=False)
        run(git + ["add", "-A"], env, path, log_path)
        run(git + ["commit", "-q", "-m", "add " + name], env, path, log_path)
    files = sorted(f for f in glob.glob(os.path.join(path, "**", "*.py"), recursive=True) + 
                   glob.glob(os.path.join(path, "**", "*.swift"), recursive=True) if os.path.isfile(f) and not os.path.islink(f))
    for k in range(20 if ctx.quick else 100):
        for f in files[k::max(1, len(files) // 40)][:40]:
            with open(f, "a") as out:
                out.write("\n# revision %d of %s\n" % (k, os.path.basename(f)))
        run(git + ["commit", "-q", "-a", "-m", "revision %d" % k], env, path, log_path)
    return status


def git_checks(env, repo, log_path, label):
    """Clone, gc --aggressive, fsck; the results that must not depend on the allocator."""
    work = os.path.dirname(repo)
    clone = repo + "-clone"
    checks = {}
    status, t1 = run(["git", "clone", "-q", "--no-local", repo, clone], env, work, log_path)
    checks[label + ": clone"] = {"status": status}
    status, t2 = run(["git", "-C", clone, "gc", "-q", "--aggressive", "--prune=now"], env, work, log_path)
    checks[label + ": gc --aggressive"] = {"status": status}
    fsck_log = clone + ".fsck"
    status, t3 = run(["git", "-C", clone, "fsck", "--full", "--strict", "--no-dangling"], env, work, fsck_log)
    with open(fsck_log, errors="replace") as f:
        fsck_out = f.read().split("\n", 1)[1]
    checks[label + ": fsck --full --strict"] = {"status": status, "output": fsck_out.strip()}
    outputs = {
        "objects": ["git", "-C", clone, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
        "log": ["git", "-C", clone, "log", "--all", "--format=%H %T %P", "--stat"],
        "archive": ["git", "-C", clone, "archive", "--format=tar", "HEAD"],
        "count-objects": ["git", "-C", clone, "count-objects", "-v"],
    }
    t4 = 0.0
    for name, argv in outputs.items():
        path = clone + "." + name
        start = time.time()
        with open(path, "wb") as out:
            r = subprocess.run(["nice", "-n", "15"] + argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        t4 += time.time() - start
        if name == "count-objects":
            with open(path) as f:
                # size-pack depends on gc's threads; the number of objects does not.
                keep = [l for l in f.read().splitlines() if l.split(":")[0] in ("count", "in-pack", "packs", "garbage")]
            checks["%s: %s" % (label, name)] = {"status": r.returncode, "output": " ".join(keep)}
        else:
            checks["%s: %s" % (label, name)] = {"status": r.returncode, "sha256": sha256(path)}
    return checks, t1 + t2 + t3 + t4


def suite_git(mode, ctx):
    work = os.path.join(OUT, "git-" + mode)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    log_path = os.path.join(OUT, "git-%s.log" % mode)
    if os.path.exists(log_path):
        os.remove(log_path)
    env = environment(mode, ctx.library, ctx.pool, "8G")
    start = time.time()
    history = os.path.join(work, "history")
    make_history_repo(mode, ctx, env, history, log_path)
    head = output_of(["git", "-C", history, "rev-parse", "HEAD"])
    checks = {"made repository: HEAD": {"status": 0, "output": head}}
    c, _ = git_checks(env, history, log_path, "made repository")
    checks.update(c)
    own = os.path.join(work, "project")
    status, _ = run(["git", "clone", "-q", "--bare", "--no-local", ROOT, own], env, work, log_path)
    checks["project repository: first clone"] = {"status": status}
    c, _ = git_checks(env, own, log_path, "project repository")
    checks.update(c)
    return {"command": command_line(["git", "init/add/commit ×%s;" % ("307" if not ctx.quick else "~30"),
                                     "clone --no-local; gc --aggressive --prune=now; fsck --full --strict; cat-file; log; archive"],
                                    mode, "8G"),
            "seconds": round(time.time() - start), "checks": checks}


def gcc_sources():
    sources = sorted(glob.glob(os.path.join(ROOT, "Tests", "Programs", "*.c")) +
                     glob.glob(os.path.join(ROOT, "Tests", "Programs", "*.cpp")) +
                     glob.glob(os.path.join(ROOT, "bench", "*.c")) +
                     glob.glob(os.path.join(ROOT, "Sources", "VMMallocShim", "*.c")) +
                     [os.path.join(HERE, "stress.c")])
    return sources


def suite_gcc(mode, ctx):
    work = os.path.join(OUT, "gcc-" + mode)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    log_path = os.path.join(OUT, "gcc-%s.log" % mode)
    if os.path.exists(log_path):
        os.remove(log_path)
    big = os.path.join(OUT, "stdlib-all.cpp")
    with open(big, "w") as f:
        f.write("#include <bits/stdc++.h>\n"
                "template <int N> struct Fib { static constexpr long v = Fib<N - 1>::v + Fib<N - 2>::v; };\n"
                "template <> struct Fib<1> { static constexpr long v = 1; };\n"
                "template <> struct Fib<0> { static constexpr long v = 0; };\n"
                "std::map<std::string, std::vector<std::regex>> table() {\n"
                "  std::map<std::string, std::vector<std::regex>> m;\n"
                "  for (int i = 0; i < 10; i++) m[std::to_string(i)].emplace_back(\"a+b*\" + std::to_string(i));\n"
                "  return m; }\n"
                "long fib() { return Fib<80>::v; }\n")
    sources = gcc_sources() + [big]
    if ctx.quick:
        sources = sources[::4] + [big]
    env = environment(mode, ctx.library, ctx.pool, "4G")
    checks = {}
    total = 0.0
    include = ["-I", os.path.join(ROOT, "include"), "-I", os.path.join(ROOT, "Tests", "Programs"),
               "-I", os.path.join(ROOT, "Sources", "VMMallocShim", "include"),
               "-I", os.path.join(ROOT, "Sources", "VMMallocSystem", "include")]
    for src in sources:
        cxx = src.endswith(".cpp")
        name = os.path.relpath(src, ROOT) if src != big else "build/check-programs/stdlib-all.cpp"
        obj = os.path.join(work, name.replace("/", "_") + ".o")
        argv = ["g++" if cxx else "gcc", "-O2", "-g", "-D_GNU_SOURCE", "-pthread", "-frandom-seed=check"] + include + \
               ["-c", name, "-o", obj]
        status, seconds = run(argv, env, ROOT, log_path)
        total += seconds
        checks[name] = {"status": status, "sha256": sha256(obj) if os.path.exists(obj) else None}
    return {"command": command_line(["gcc|g++", "-O2", "-g", "-c", "FILE (%d files)" % len(sources)], mode, "4G"),
            "seconds": round(total), "checks": checks}


def suite_stress(mode, ctx):
    if mode == "glibc":
        return {"command": "(not run: the program measures the pool, which glibc has not)", "skipped": True}
    exe = os.path.join(OUT, "stress")
    r = subprocess.run(["gcc", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-pthread", os.path.join(HERE, "stress.c"),
                        "-o", exe], capture_output=True, text=True)
    if r.returncode != 0:
        fail("stress.c does not compile:\n" + r.stderr)
    if ctx.quick:
        args, size = ["2000000", "20", "2", "32", str(64 << 20), "1", "0"], "64M"
    else:
        args, size = ["100000000", "100", "2", "128", str(128 << 20), "1", "16"], "128M"
    log_path = os.path.join(OUT, "stress.log")
    if os.path.exists(log_path):
        os.remove(log_path)
    status, seconds = run([exe] + args, environment(mode, ctx.library, ctx.pool, size), OUT, log_path)
    return parse_stress(log_path, status, seconds, command_line(["stress"] + args, mode, size))


def parse_stress(log_path, status, seconds, command):
    with open(log_path, errors="replace") as f:
        text = f.read()
    ok = re.search(r"^OK stress (.*)$", text, re.M)
    return {"command": command, "status": status, "seconds": round(seconds),
            "ok": bool(ok) and status == 0, "summary": ok.group(1) if ok else None,
            "start": (re.search(r"^stress: .*$", text, re.M) or [None])[0],
            "pool": (re.search(r"^pool after the rounds: .*$", text, re.M) or [None])[0],
            "failure": (re.search(r"^FAIL: .*$", text, re.M) or [None])[0],
            "rounds": len(re.findall(r"^round \d+:", text, re.M))}


SUITES = {"cpython": suite_cpython, "sqlite": suite_sqlite, "git": suite_git, "gcc": suite_gcc, "stress": suite_stress}


# ---------------------------------------------------------------- comparing

def compare(suite, results):
    """[(name, glibc, vmmalloc, explanation or None)] of what differs."""
    g, v = results.get("glibc"), results.get("vmmalloc")
    diffs = []
    if suite == "stress":
        if not v or not v.get("ok"):
            diffs.append(("stress", "n/a", (v or {}).get("failure") or "did not finish (status %s)" % (v or {}).get("status"), None))
        return diffs
    if not g or not v:
        return [("run", "present" if g else "missing", "present" if v else "missing", None)]
    if suite == "cpython":
        confirm = results.get("confirm", {})
        for t, (a, b) in cpython_differences(results).items():
            why = EXPLAINED.get((suite, t))
            c = confirm.get(t)
            if c:
                again = "run alone: glibc %s, libvmmalloc %s" % (c["glibc"]["result"], c["vmmalloc"]["result"])
                if why is None and c["glibc"]["result"] == c["vmmalloc"]["result"]:
                    why = again + " (the same: the difference came from the two runs sharing the machine, or chance)"
                else:
                    b = b + "; " + again
            diffs.append((t, a, b, why))
        return diffs
    for name in sorted(set(g["checks"]) | set(v["checks"])):
        a, b = g["checks"].get(name), v["checks"].get(name)
        if a != b:
            diffs.append((name, json.dumps(a), json.dumps(b), EXPLAINED.get((suite, name))))
    return diffs


# ---------------------------------------------------------------- the report

def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return "%s, %d cores, kernel %s, %s, glibc %s" % (cpu, os.cpu_count(), platform.release(),
                                                    output_of(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
                                                    platform.libc_ver()[1])


def describe(suite, mode, r):
    if r is None:
        return "not run"
    if r.get("skipped"):
        return r["command"]
    if suite == "cpython":
        s, c = r["summary"], r["cases"]
        parts = ["%s test modules OK" % s.get("OK", "?")]
        for key in ["failed", "re-run", "skipped", "resource denied", "altered the execution environment",
                    "run no", "crashed", "timed out"]:
            if key in s:
                parts.append("%d %s" % (len(s[key]) if isinstance(s[key], list) else s[key],
                                        {"re-run": "re-run (-w)", "run no": "ran no tests"}.get(key, key)))
        text = ", ".join(parts) + "; result %s" % s.get("result")
        if c:
            text += "; test cases (JUnit): %d run, %d passed, %d failed, %d errors, %d skipped" % (
                c["tests"], c["passed"], c["failures"], c["errors"], c["skipped"])
        return text
    if suite == "stress":
        if r.get("ok"):
            return "OK: %s. %s. %s" % (r["summary"], r["start"], r["pool"])
        return "FAILED (status %s): %s" % (r.get("status"), r.get("failure"))
    checks = r["checks"]
    good = sum(1 for c in checks.values() if c.get("status") == 0 and c.get("ok", True))
    return "%d checks, %d with exit status 0%s" % (len(checks), good, "" if good == len(checks) else
                                                     " (others: %s)" % ", ".join(n for n, c in checks.items()
                                                                                 if not (c.get("status") == 0 and c.get("ok", True))))


def write_report(path, results, ctx):
    lines = ["# Real programs under libvmmalloc and under glibc", ""]
    lines.append("Written by `check-programs/run.py`%s on %s. Machine: %s. The tree at commit %s; the library "
                 "(release variant, sha256 %s…) %s; pool in /dev/shm. Every run is niced (15) on a machine "
                 "shared with other work, so the times are wall times under load, not benchmarks." % (
                     " (quick mode)" if ctx.quick else "", datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
                     machine(), ctx.commit, ctx.library_sha[:16], ctx.library_origin))
    lines.append("")
    unexplained = 0
    ctx.suites_failed = []
    ctx.suites_passed = []
    for suite in SUITES:
        if suite not in results:
            continue
        lines.append("## " + suite)
        lines.append("")
        for mode in MODES:
            r = results[suite].get(mode)
            if r is None:
                continue
            lines.append("- **%s**: `%s`" % (mode, r["command"]))
            t = r.get("seconds")
            lines.append("  - %s%s" % (describe(suite, mode, r), "" if t is None else "; %d s" % t))
        diffs = compare(suite, results[suite])
        (ctx.suites_failed if any(d[3] is None for d in diffs) else ctx.suites_passed).append(suite)
        lines.append("")
        if suite == "stress" and not diffs:
            lines.append("Run under libvmmalloc only; it passed.")
        elif not diffs:
            lines.append("No difference between the two runs.")
        else:
            lines.append("| difference | glibc | libvmmalloc | cause |")
            lines.append("| --- | --- | --- | --- |")
            for name, a, b, why in diffs:
                if why is None:
                    unexplained += 1
                lines.append("| %s | %s | %s | %s |" % (name, a.replace("|", "/"), b.replace("|", "/"),
                                                        why or "**UNEXPLAINED**"))
        extra = NOTES.get(suite)
        if extra:
            lines += ["", extra]
        lines.append("")
    lines += ["## Not run", "", NOT_RUN, ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return unexplained


# Facts about a suite that the tables do not show (written from the runs).
NOTES = {
    "cpython": (
        "Both runs fail the same two modules, for reasons of this machine, not of the allocator: test_ensurepip "
        "(15 errors: Debian's python3 has no bundled wheels) and test_idle (no tkinter). In an earlier pair of "
        "whole runs on the loaded machine (27 and 33 minutes), test_cmd_line "
        "(test_non_interactive_output_buffering), test_compileall (the HardlinkDedup test_import cases) and "
        "test_cppext failed in both as well. Debian's package has no test_sqlite3 and no test_tkinter "
        "(separate packages). No module is excluded; the test cases matching " + ", ".join(IGNORED) + " are "
        "left out (-i) in both runs: test_socket's ThreadedVSOCKSocketStreamTest waits in accept() until the "
        "timeout on this machine, on glibc run alone too (and in a first pair of whole runs, made at the same "
        "time, the two runs' VSOCK tests collided on their fixed port: EADDRINUSE on one side, the wait on the "
        "other). The two whole runs go at the same time and share the machine, so a module whose outcome "
        "differs is run again alone on each allocator (the last column). Both runs print multiprocessing's "
        "resource_tracker KeyError for shared memory segments (three times each); it comes from the "
        "shared_memory tests, which pass in both."),
    "git": (
        "Each run makes the same repository (fixed dates and names; the commit ids must match), clones it and "
        "this project's repository with --no-local (objects copied, not linked), repacks with gc --aggressive "
        "(git's pack-objects on both cores, under the library as its child), then fsck --full --strict. "
        "Compared: HEAD, the sorted list of every object with type and size, git log --stat of all refs, "
        "the tar archive of HEAD, the object and pack counts (not the pack's bytes, which depend on the "
        "order of gc's threads)."),
    "gcc": (
        "Every C and C++ file of the tree (Tests/Programs, bench, the shim, stress.c) and a C++ file that "
        "includes <bits/stdc++.h> and instantiates regex and map templates, compiled with -O2 -g "
        "-frandom-seed=check from the top of the tree; the object files' SHA-256 must match. Debian ships no "
        "large single C source in a binary package (the sqlite amalgamation is stripped from "
        "librust-libsqlite3-sys-dev and golang-github-mattn-go-sqlite3-dev), so the compile is of many files."),
    "stress": (
        "The 4000-byte count is the measure of pool space (it fills every free slice, whatever the "
        "fragmentation); the 1 MiB count also needs contiguous space. With up to 64 threads (all heaps in the "
        "area after the slice tables; the swift test setting and the quick setting) both counts are exactly "
        "those of the start after every round. Past 64 threads, heaps live in slabs taken from the top of the "
        "pool, and after a round the 4000-byte count is the start figure or 8 blocks (two 16 KiB slices) "
        "fewer, in both directions from round to round and never drifting: in the long run 31400-31408 against "
        "31408 at the start over 100 rounds, the last one back at 31408; so the long run allows 16 blocks "
        "either way (its last argument). The two slices are not lost: `stress 50000R R 66 66 67108864 1 16` "
        "with R from 1 to 6 ends its last round with 15696 or 15688, and VMMALLOC_LOG_STATS=1 reports the same "
        "pool space in use at exit after every one of them (2883584 bytes, largest free extent 52854784); "
        "which heap holds them while the fill runs is not found yet. The 1 MiB "
        "count is measured twice after each round: in short runs the first count after a round was once in a "
        "while one block lower than the second (a 1 MiB request failed although one fitted a moment later; the "
        "cause is not investigated); in the long run never. Under glibc the program is not run: there is no pool to measure."),
    "sqlite": (
        "The workload (check-programs/sqlite-workload.sql) builds a 200000-row table with text up to 1500 bytes "
        "and JSON per row, indexes, joins, window functions, a self-join into a temporary table, FTS5, "
        "updates and deletes, REINDEX, VACUUM and an integrity check; its output (183 lines) is compared, "
        "with the database in memory and on a file. sqlite's own test suite (TCL) is not packaged."),
}

# What the issue asks for that this runner does not run, and why.
NOT_RUN = (
    "Not run: perl's and ruby's own test suites (Debian installs neither's t/ or test/), redis's (the "
    "redis-server package has none), sqlite's TCL suite (not packaged).")


class Context:
    pass


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the short settings (a few minutes)")
    p.add_argument("--only", default=",".join(SUITES), help="comma-separated suites (default: all)")
    p.add_argument("--library", help="a built libvmmalloc.so to use instead of building one")
    p.add_argument("--no-install", action="store_true", help="do not apt-get install missing packages")
    p.add_argument("--report-only", action="store_true", help="rewrite the report from the saved results")
    args = p.parse_args()
    ctx = Context()
    ctx.quick = args.quick
    global OUT
    if ctx.quick:
        # Its own folder: a quick run never touches the files of a whole one.
        OUT = os.path.join(OUT, "quick")
    os.makedirs(OUT, exist_ok=True)
    results_path = os.path.join(OUT, "results.json")
    results = {}
    if os.path.exists(results_path):
        with open(results_path) as f:
            results = json.load(f)
    ctx.commit = output_of(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"])
    if not args.report_only:
        install_packages(not args.no_install)
        ctx.library = build_library(args.library)
        ctx.pool = pool_dir()
        try:
            for suite in [s for s in args.only.split(",") if s]:
                if suite not in SUITES:
                    fail("no suite %r (suites: %s)" % (suite, ", ".join(SUITES)))
                results[suite] = {}
                if suite == "cpython" and not ctx.quick:
                    # The whole suite takes long: both runs at once, each with -j2.
                    log("cpython on glibc and on libvmmalloc, at the same time")
                    threads = [threading.Thread(target=lambda m=m: results[suite].__setitem__(m, suite_cpython(m, ctx)))
                               for m in MODES]
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join()
                    confirm_cpython(results[suite], ctx)
                else:
                    for mode in MODES:
                        log("%s on %s" % (suite, mode))
                        results[suite][mode] = SUITES[suite](mode, ctx)
                    if suite == "cpython":
                        confirm_cpython(results[suite], ctx)
                with open(results_path, "w") as f:
                    json.dump(results, f, indent=1)
        finally:
            shutil.rmtree(ctx.pool, ignore_errors=True)
        origin = ("given with --library %s" % args.library) if args.library else "built from it with `swift build -c release`"
        old = results.get("_library", {})
        if old.get("sha256") == sha256(ctx.library):
            origin = old.get("origin", origin)
        results["_library"] = {"commit": ctx.commit, "sha256": sha256(ctx.library), "origin": origin}
        with open(results_path, "w") as f:
            json.dump(results, f, indent=1)
    lib = results.pop("_library", {"commit": ctx.commit, "sha256": "?"})
    ctx.commit, ctx.library_sha = lib["commit"], lib["sha256"]
    ctx.library_origin = lib.get("origin", "")
    report = os.path.join(OUT, "REPORT.md") if ctx.quick else os.path.join(HERE, "REPORT.md")
    unexplained = write_report(report, results, ctx)
    log("report: %s (%d unexplained difference%s)" % (report, unexplained, "" if unexplained == 1 else "s"))
    # One line per suite compared, and the closing count: a suite passes when none of its differences is unexplained.
    print("check-programs: %d passed, %d failed" % (len(ctx.suites_passed), len(ctx.suites_failed)), flush=True)
    sys.exit(1 if unexplained else 0)


if __name__ == "__main__":
    main()
