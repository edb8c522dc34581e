#!/bin/bash
# make explain (tools/explain/): every mode maps the six mappings and the
# walker built from its format finds each one where the engine wrote it
# (a row "not mapped" is a failure, except a 4K page where the base page
# is larger and the levelless hashed mode); docs/explain.md is what the
# tool prints now (else: run make explain and commit it).
set -u
. tests/boot/suite.sh
dir=build/explain
mkdir -p "$dir"
if ! make -s build/explain/explain >"$dir/build.log" 2>&1; then
	fail "build the explain tool (log: $dir/build.log)"
	cat "$dir/build.log"
elif ! build/explain/explain >"$dir/check.md" 2>"$dir/check.err"; then
	fail "explain exits non-zero: $(cat "$dir/check.err")"
else
	rows=$(grep -c '^| [a-z0-9-]* | \(native\|composed\) |' "$dir/check.md")
	missing=$(grep '^| [a-z0-9-]* | - |' "$dir/check.md" |
		grep -v -e 'smaller than the base page' -e '^| hashed |')
	if [ -z "$missing" ] && [ "$rows" -ge 60 ]; then
		pass "explain: $rows (mode, mapping) rows found in the tables"
	else
		fail "explain: $rows rows; not mapped: $missing"
	fi
	if cmp -s "$dir/check.md" docs/explain.md; then
		pass "docs/explain.md is current"
	else
		fail "docs/explain.md differs from what make explain prints now: run make explain"
	fi
fi
suite_end
