#!/bin/bash
# Host test of the physical frame allocator (core/frames.c, ASan/UBSan):
# alignment, zeroing, exhaustion and merging, excluded ranges, bad frees,
# a random run against a page model (tests/host/frames_test.c).
set -u
. tests/boot/suite.sh

dir=build/tests/frames
mkdir -p "$dir"
if ! make -s host-frames-test >"$dir/build.log" 2>&1; then
	fail "build frames_test (log: $dir/build.log)"
	cat "$dir/build.log"
else
	build/host-tests/frames_test >"$dir/frames_test.log" 2>&1
	rc=$?
	grep -v -e "^PASS" -e "^FAIL" "$dir/frames_test.log"
	while read -r verdict what; do
		case $verdict in
		PASS) pass "$what" ;;
		FAIL) fail "$what" ;;
		esac
	done <"$dir/frames_test.log"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$dir/frames_test.log"; then
		fail "frames_test died (exit $rc, log: $dir/frames_test.log)"
	fi
fi
suite_end
