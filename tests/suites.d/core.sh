#!/bin/bash
# Host tests of the arch-neutral core code that runs unchanged on the host
# (ASan/UBSan): core/libc (x86_64's C library) against glibc, cmdline_get,
# and the usable-RAM computation against a page model.
set -u
. tests/boot/suite.sh

dir=build/tests/core
mkdir -p "$dir"
if ! make -s host-core-test >"$dir/build.log" 2>&1; then
	fail "build core_test (log: $dir/build.log)"
	cat "$dir/build.log"
else
	build/host-tests/core_test >"$dir/core_test.log" 2>&1
	rc=$?
	grep -v -e "^PASS" -e "^FAIL" "$dir/core_test.log"
	while read -r verdict what; do
		case $verdict in
		PASS) pass "$what" ;;
		FAIL) fail "$what" ;;
		esac
	done <"$dir/core_test.log"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$dir/core_test.log"; then
		fail "core_test died (exit $rc, log: $dir/core_test.log)"
	fi
fi
suite_end
