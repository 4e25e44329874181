#!/usr/bin/env bash
# Times a single-threaded malloc/free loop of 32-byte blocks under glibc and
# under libvmmalloc, interleaved, and prints the median of each.
#
# Usage: bench/compare-loop.sh [runs] [pairs]   (from the top of the tree)
set -euo pipefail
runs=${1:-7}
pairs=${2:-20000000}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --package-path "$top" >/dev/null
lib="$top/.build/release/libvmmalloc.so"
cc -O2 -fno-builtin "$top/bench/malloc_free_loop.c" -o "$work/loop"

pool_dir=/dev/shm
[ -w "$pool_dir" ] || pool_dir=/tmp
: >"$work/glibc"
: >"$work/vmmalloc"
for _ in $(seq "$runs"); do
    "$work/loop" "$pairs" >>"$work/glibc"
    VMMALLOC_POOL_DIR=$pool_dir VMMALLOC_POOL_SIZE=64M LD_PRELOAD=$lib "$work/loop" "$pairs" >>"$work/vmmalloc"
done
median() { sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
g=$(median "$work/glibc")
v=$(median "$work/vmmalloc")
printf 'malloc+free of 32 B, one thread, median of %s runs of %s pairs\n' "$runs" "$pairs"
printf '  glibc       %6.2f ns\n' "$g"
printf '  libvmmalloc %6.2f ns  (%sx glibc, pool on %s)\n' "$v" "$(awk -v v="$v" -v g="$g" 'BEGIN {printf "%.2f", v / g}')" "$pool_dir"
