#!/bin/sh
# Where the time goes: a profile of the timed phases only, one workload
# group at a time, for one mode (default x86-64-4level).
#
#   bench/profile.sh [MODE] [GROUP...]       e.g. bench/profile.sh sv48 pp-map split
#
#   default       perf record, software cpu-clock sampling (works in VMs
#                 without a PMU), started and stopped by the bench around
#                 each timed phase through perf's --control fifo
#   CALLGRIND=1   valgrind --tool=callgrind with collection toggled by the
#                 bench around each timed phase: instructions per 4K page,
#                 which do not move with the machine's load (slow: ~50x)
#   TOP=n         functions shown per group (default 10)
#   BENCH_RUNS=n  runs per group (default 3 with perf, 1 with callgrind)
#
# Groups: map-4k map-2m map-auto query-seq query-shuf query-scan protect-find
# protect-scan unmap-clear unmap-remove pp-map (with pp-unmap) split (with merge)
set -e
mode=${1:-x86-64-4level}
[ $# -gt 0 ] && shift
groups=${*:-map-4k query-seq query-shuf query-scan protect-find protect-scan unmap-clear unmap-remove pp-map split}
bin=build/bench/bench
dir=build/bench/profile
mkdir -p "$dir"
[ -x "$bin" ] || { echo "profile.sh: build $bin first (make bench)" >&2; exit 1; }
ctl="$dir/ctl.fifo" ack="$dir/ack.fifo"
for g in $groups; do
	echo "== $mode $g"
	if [ -n "$CALLGRIND" ]; then
		rm -f "$dir/cg.$mode-$g".*
		BENCH_RUNS=${BENCH_RUNS:-1} BENCH_JOBS=1 BENCH_WORKLOADS="$g" \
		valgrind -q --tool=callgrind --collect-atstart=no \
			--callgrind-out-file="$dir/cg.$mode-$g.%p" \
			"$bin" -o "$dir/$g.json" "$mode" >/dev/null 2>&1 || true
		for f in "$dir/cg.$mode-$g".*; do
			out=$(callgrind_annotate --threshold=100 "$f" 2>/dev/null)
			tot=$(echo "$out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
			case "$tot" in ""|0|*[!0-9]*) continue ;; esac
			echo "  $((tot / 262144)) instructions per 4K page ($tot in all)"
			echo "$out" | grep -E '^ *[0-9,]+ +\( *[0-9.]+%\) +[^ ]+:' | grep -v TOTALS |
				sed -E 's/^ *[0-9,]+ +\( *([0-9.]+%)\) +[^ ]*:([^ ]+).*/  \1 \2/' |
				awk '{ printf "  %8s %s\n", $1, $2 }' | head -"${TOP:-10}"
		done
		continue
	fi
	rm -f "$ctl" "$ack"; mkfifo "$ctl" "$ack"
	BENCH_RUNS=${BENCH_RUNS:-3} BENCH_JOBS=1 BENCH_WORKLOADS="$g" \
	BENCH_PERF_CTL="$ctl" BENCH_PERF_ACK="$ack" \
	perf record -q -e cpu-clock -F 4000 -D -1 --control "fifo:$ctl,$ack" \
		-o "$dir/$mode-$g.data" "$bin" -o "$dir/$g.json" "$mode" >/dev/null 2>&1
	perf report -q -i "$dir/$mode-$g.data" --no-children --sort symbol --stdio 2>/dev/null |
		grep -v '^$' | awk '{ printf "  %8s %s\n", $1, $3 }' | head -"${TOP:-10}"
done
rm -f "$ctl" "$ack"
