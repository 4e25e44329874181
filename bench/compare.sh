#!/usr/bin/env bash
# Times two loops under glibc and under libvmmalloc, interleaved, and prints
# the median of each: malloc/free of 32-byte blocks on one thread, and two
# threads replacing small blocks at the same time.
#
# Usage: bench/compare.sh [runs] [pairs]   (from the top of the tree)
set -euo pipefail
runs=${1:-7}
pairs=${2:-20000000}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --package-path "$top" >/dev/null
lib="$top/.build/release/libvmmalloc.so"
cc -O2 -fno-builtin "$top/bench/malloc_free_loop.c" -o "$work/loop"
cc -O2 -fno-builtin -pthread "$top/bench/threads_churn.c" -o "$work/churn"

pool_dir=/dev/shm
[ -w "$pool_dir" ] || pool_dir=/tmp
: >"$work/glibc"
: >"$work/vmmalloc"
: >"$work/glibc2"
: >"$work/vmmalloc2"
for _ in $(seq "$runs"); do
    "$work/loop" "$pairs" >>"$work/glibc"
    VMMALLOC_POOL_DIR=$pool_dir VMMALLOC_POOL_SIZE=64M LD_PRELOAD=$lib "$work/loop" "$pairs" >>"$work/vmmalloc"
    "$work/churn" 2 $((pairs / 10)) >>"$work/glibc2"
    VMMALLOC_POOL_DIR=$pool_dir VMMALLOC_POOL_SIZE=64M LD_PRELOAD=$lib "$work/churn" 2 $((pairs / 10)) >>"$work/vmmalloc2"
done
median() { sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ratio() { awk -v v="$1" -v g="$2" 'BEGIN {printf "%.2f", v / g}'; }
report() {
    local g v
    g=$(median "$work/$2")
    v=$(median "$work/$3")
    printf '%s\n  glibc       %7.2f ns\n  libvmmalloc %7.2f ns  (%sx glibc)\n' "$1" "$g" "$v" "$(ratio "$v" "$g")"
}
printf 'Median of %s interleaved runs; pool on %s\n' "$runs" "$pool_dir"
report "malloc+free of 32 B, one thread ($pairs pairs):" glibc vmmalloc
report "two threads replacing 16-216 B blocks ($((pairs / 10)) operations each), per operation:" glibc2 vmmalloc2
