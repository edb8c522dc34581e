#!/bin/bash
# The paging formats alone (tests/formats): every mode's descriptors
# encoded and decoded at every level, with every attribute combination,
# plus descriptors worked out by hand from the manuals; built under
# ASan/UBSan, each arch/<arch>/pt_mode_*.c compiled with the format tests
# in place of the engine.
set -u
cd "$(dirname "$0")/../.."

test=build/host-san/tests/formats/formats
log=build/tests/formats.out
mkdir -p build/tests
if ! make --no-print-directory -s -f mk/host.mk "$test"; then
	echo "formats: build of $test failed"
	echo "0 passed, 1 failed"
	exit 1
fi
"$test" >"$log" 2>&1
rc=$?
cat "$log"
if ! tail -n 1 "$log" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
	echo "formats: $test died before counting (status $rc)"
	echo "0 passed, 1 failed"
	exit 1
fi
exit $rc
