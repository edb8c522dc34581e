#!/bin/bash
# Two threads' transactions on disjoint ranges of one set share no cache
# line (docs/transactions.md, "Locking"): bench/scale.c's trace mode runs
# worker 0's round and then worker 1's under valgrind --tool=lackey
# --trace-mem=yes, and tests/lines/shared_lines.c lists every 128-byte line
# (a pair of 64-byte lines, as Intel's spatial prefetcher fetches them) one
# wrote and the other touched: there must be none, in the radix modes of
# each architecture, with the set at two placements (the lock table is
# aligned at run time). A line written by every transaction and shared is
# what kept two threads below 2x on the bench (make bench-scale). The
# control: -T plants a word both workers write, and it must be found.
set -u
. tests/boot/suite.sh
dir=build/tests/lines
mkdir -p "$dir"

if ! command -v valgrind >/dev/null; then
	fail "valgrind is missing (tools/setup.sh installs it)"
	suite_end
	exit
fi
if ! make -s build/bench/scale build/tests/lines/shared_lines >"$dir/build.log" 2>&1; then
	fail "build (log: $dir/build.log)"
	cat "$dir/build.log"
	suite_end
	exit
fi

# lines NAME SCALE-ARGS...: trace scale -t/-T ... and list the shared lines
# into $dir/NAME.out; the lister's status (0 none, 1 some, 2 no trace).
lines() {
	local name=$1 out=$dir/$1.out trace=$dir/$1.trace marker
	shift
	if ! valgrind --tool=lackey --trace-mem=yes --log-file="$trace" \
		build/bench/scale -n 200 "$@" >"$out" 2>&1; then
		rm -f "$trace"
		return 3
	fi
	marker=$(sed -n 's/^scale: trace marker //p' "$out")
	build/tests/lines/shared_lines "${marker:-none}" 128 <"$trace" >>"$out" 2>&1
	local rc=$?
	rm -f "$trace"
	return $rc
}

for mode in x86-64-4level sv39 arm64-4k-48; do
	for at in 0 64; do
		lines "$mode-$at" -t -a $at $mode
		case $? in
		0) pass "$mode, set at 128n+$at: no line shared by the two threads" ;;
		1) fail "$mode, set at 128n+$at: lines shared by the two threads:"
		   cat "$dir/$mode-$at.out" ;;
		*) fail "$mode, set at 128n+$at: no trace (log: $dir/$mode-$at.out)"
		   cat "$dir/$mode-$at.out" ;;
		esac
	done
done

# The control: the planted word must be the one line found.
lines planted -T x86-64-4level
rc=$?
planted=$(grep -c '^0x' "$dir/planted.out")
if [ $rc -eq 1 ] && [ "$planted" -eq 1 ]; then
	pass "control: a word both threads write on every transaction is found"
else
	fail "control: the planted shared word was not found alone (status $rc):"
	cat "$dir/planted.out"
fi
suite_end
