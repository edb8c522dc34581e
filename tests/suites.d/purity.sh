#!/bin/bash
# The arch-neutral kernel never sees a page table: tests/purity/check.sh
# finds nothing under core/, and it does find each kind of violation when
# one is planted in a copy of core/ (and does not flag comments, strings
# or constants that are not descriptor-shaped).
set -u
passed=0 failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

check=tests/purity/check.sh
if out=$($check core); then
	pass "core/ includes only include/*.h and names no level or descriptor constant"
else
	fail "core/ is not pure:"
	printf '%s\n' "$out"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
victim=$(find core -name '*.c' | sort | head -n 1)

# plant NAME LINE: a copy of core/ with LINE appended to $victim must be
# reported at that file and line.
plant() {
	rm -rf "$tmp/core" && cp -r core "$tmp/core"
	printf '%s\n' "$2" >>"$tmp/$victim"
	local at="$tmp/$victim:$(wc -l <"$tmp/$victim"):"
	local out
	out=$($check "$tmp/core")
	if [ $? -ne 0 ] && grep -qF -- "$at" <<<"$out"; then
		pass "planted $1 is found"
	else
		fail "planted $1 ($2) not reported at $at; got: $out"
	fi
}
# clean NAME LINE: the same, but it must not be reported.
clean() {
	rm -rf "$tmp/core" && cp -r core "$tmp/core"
	printf '%s\n' "$2" >>"$tmp/$victim"
	local out
	if out=$($check "$tmp/core"); then
		pass "$1 is not flagged"
	else
		fail "$1 ($2) flagged: $out"
	fi
}

plant "include of mmu/ by path" '#include "../mmu/mmu_internal.h"'
plant "include of an MMU-internal header" '#include "pt_format.h"'
plant "include of an arch header" '#include "riscv.h"'
plant "include of a header outside include/" '#include "board/qemu-virt/board.h"'
plant "level name pte" 'static unsigned long f(unsigned long pte) { return pte; }'
plant "level name pml4_index" 'int pml4_index;'
plant "register name satp" 'unsigned long satp;'
plant "register name TTBR0" 'unsigned long TTBR0;'
plant "word levels" 'static const int levels = 4;'
plant "descriptor mask 0x1ff000" 'static const unsigned long m = 0x1ff000;'
plant "descriptor bit 0x400" 'static const unsigned long af = 0x400ull;'
plant "high bit 0x8000000000000000" 'static const unsigned long nx = 0x8000000000000000ull;'
plant "shift << 12" 'static unsigned long pfn(unsigned long x) { return x << 12; }'
plant "shift >> 30" 'static unsigned long gib(unsigned long x) { return x >> 30; }'
clean "a level word in a comment" '/* console log level, pte, << 12, 0xfff */'
clean "a level word in a string" 'static const char *msg = "satp level 0x1ff000";'
clean "a magic number" 'static const unsigned magic = 0xd00dfeedu;'
clean "a small constant" 'static const unsigned char reg = 0x18;'
clean "a word containing a level name" 'int complete, compute;'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
