#!/bin/bash
# The hashed paging mode's own unit tests (tests/hashed/), under
# ASan+UBSan. The conformance suite runs it with every other mode
# (tests/suites.d/mmu.sh).
set -u
cd "$(dirname "$0")/../.."

test=build/tests/hashed/hashed_test
mkdir -p build/tests
if ! make --no-print-directory -s -f mk/host.mk "$test"; then
	echo "hashed: build of $test failed"
	echo "0 passed, 1 failed"
	exit 1
fi
"$test"
rc=$?
exit $rc
