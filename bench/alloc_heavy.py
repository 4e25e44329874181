"""An allocation-heavy Python program for the benchmark suite.

Run it with PYTHONMALLOC=malloc so that every object Python creates comes from
the C allocator under test. It builds and drops many small objects (records as
dicts, strings, tuples, a tree of nodes), round-trips them through JSON, sorts
and groups them, and checks every result against an independent computation.
BENCH_SCALE (1 by default) multiplies the amount of work. It prints
"check: ok alloc_heavy" at the end (with BENCH_WHERE=1 first "heap: <mapping>"
for each mapping of the pool directory), or raises and exits non-zero.
"""
import json
import os
import sys

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
RECORDS = max(200, int(60000 * SCALE))
ROUNDS = max(1, int(SCALE))


def make_records(n, salt):
    return [
        {
            "id": i,
            "name": "user-%d-%d" % (i * 7919 % 100003, salt),
            "tags": ["t%d" % (i % 13), "g%d" % (i % 7), "x" * (i % 40)],
            "score": (i * 31 + salt) % 1000,
        }
        for i in range(n)
    ]


def build_tree(depth):
    if depth == 0:
        return None
    return (build_tree(depth - 1), depth, build_tree(depth - 1))


def count_tree(node):
    count = 0
    stack = [node]
    while stack:
        node = stack.pop()
        if node is not None:
            count += 1
            stack.append(node[0])
            stack.append(node[2])
    return count


def one_round(salt):
    records = make_records(RECORDS, salt)
    text = json.dumps(records)
    back = json.loads(text)
    assert back == records, "JSON round trip changed the records"

    by_score = sorted(back, key=lambda r: (r["score"], r["name"]))
    assert [r["score"] for r in by_score] == sorted(r["score"] for r in records)

    groups = {}
    for r in back:
        groups.setdefault(r["tags"][0], []).append(r["id"])
    assert sum(len(v) for v in groups.values()) == RECORDS
    assert sorted(groups) == sorted({"t%d" % (i % 13) for i in range(min(RECORDS, 13))})

    words = " ".join(r["name"] for r in records).split(" ")
    assert len(words) == RECORDS and words[-1] == records[-1]["name"]
    unique = set(words)
    assert len(unique) == len({r["name"] for r in records})

    depth = 14 if SCALE >= 1 else 8
    trees = [build_tree(depth) for _ in range(4)]
    assert all(count_tree(t) == 2 ** depth - 1 for t in trees)

    pieces = []
    for r in records[: RECORDS // 4]:
        pieces.append("%s:%d;" % (r["name"], r["score"]))
    joined = "".join(pieces)
    assert joined.count(";") == RECORDS // 4
    return sum(r["score"] for r in by_score)


def main():
    total = 0
    for salt in range(ROUNDS):
        total += one_round(salt)
    expected = sum(sum((i * 31 + salt) % 1000 for i in range(RECORDS)) for salt in range(ROUNDS))
    assert total == expected, "scores add up to %d, not %d" % (total, expected)
    if os.environ.get("BENCH_WHERE") == "1":
        pool = os.path.realpath(os.environ.get("VMMALLOC_POOL_DIR", "/nonexistent"))
        with open("/proc/self/maps") as maps:
            for line in maps:
                if pool + "/" in line:
                    print("heap:", line.split(None, 5)[-1].strip())
    print("check: ok alloc_heavy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
