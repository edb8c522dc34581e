#!/bin/sh
# Where the time goes: perf profile of the timed phases only, one workload
# group at a time, for one mode (default x86-64-4level). Needs perf (Debian:
# linux-perf); software cpu-clock sampling works in VMs without a PMU.
#
#   bench/profile.sh [MODE] [GROUP...]     e.g. bench/profile.sh sv48 pp-map split
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
	rm -f "$ctl" "$ack"; mkfifo "$ctl" "$ack"
	BENCH_RUNS=${BENCH_RUNS:-3} BENCH_JOBS=1 BENCH_WORKLOADS="$g" \
	BENCH_PERF_CTL="$ctl" BENCH_PERF_ACK="$ack" \
	perf record -q -e cpu-clock -F 4000 -D -1 --control "fifo:$ctl,$ack" \
		-o "$dir/$mode-$g.data" "$bin" -o "$dir/$g.json" "$mode" >/dev/null 2>&1
	echo "== $mode $g"
	perf report -q -i "$dir/$mode-$g.data" --no-children --sort symbol --stdio 2>/dev/null |
		grep -v '^$' | awk '{ printf "  %8s %s\n", $1, $3 }' | head -${TOP:-10}
done
rm -f "$ctl" "$ack"
