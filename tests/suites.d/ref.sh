#!/bin/bash
# The oracle's own tests: the host environment (simulated physical memory,
# page allocator, TLB policy) and the reference hardware walkers of every
# architecture, checked against tables built by hand from the manuals
# (tests/ref/ref_test.c, built under ASan/UBSan without the engine).
set -u
cd "$(dirname "$0")/../.."

test=build/host-san/tests/ref/ref_test
log=build/tests/ref_test.out
mkdir -p build/tests
if ! make --no-print-directory -s "$test"; then
	echo "ref: build of $test failed"
	echo "0 passed, 1 failed"
	exit 1
fi
"$test" >"$log" 2>&1
rc=$?
cat "$log"
if ! tail -n 1 "$log" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
	echo "ref: $test died before counting (status $rc)"
	echo "0 passed, 1 failed"
	exit 1
fi
exit $rc
