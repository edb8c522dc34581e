#!/bin/bash
# The arch-neutral kernel never sees a page table: tests/purity/check.sh
# finds nothing under core/, and it does find each kind of violation when
# one is planted in a copy of core/ (and does not flag comments, strings
# or constants that are not descriptor-shaped).
#
# Then the walls the build keeps (Makefile, "Rooms"): in a copy of the
# tree, a deliberate crossing planted in a real file must fail that file's
# own make rule (core/ reading a set's private field, a format including
# an engine header, arch setup code including a format), while the
# unplanted copy builds; and probes compiled with each room's flags (make
# room-cc) must fail for every other crossing, next to a control that
# must compile. Kernel images carry no host introspection (nm).
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

# ---- the walls of the build ----
tree=$tmp/tree
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tree" 2>/dev/null || cp -r . "$tree"
rm -rf "$tree/build"
ports=$(make -s ports)

# wall ARCH NAME FILE LINE TARGET: TARGET (a make target of FILE) builds in
# the copy, and fails once LINE is appended to FILE, with a missing header
# or an incomplete type as the reason.
wall() {
	local arch=$1 name=$2 file=$3 line=$4 target=$5 out
	if ! out=$(make -s -C "$tree" ARCH="$arch" "$target" 2>&1); then
		fail "$arch: $target does not build even unplanted: $out"
		return
	fi
	cp "$tree/$file" "$tree/$file.orig"
	printf '%s\n' "$line" >>"$tree/$file"
	rm -f "$tree/$target"
	if out=$(make -s -C "$tree" ARCH="$arch" "$target" 2>&1); then
		fail "$arch: $name ($line in $file) builds"
	elif grep -qE 'No such file|incomplete type|has no member' <<<"$out"; then
		pass "$arch: $name fails the build ($(grep -m1 -oE "[^ ]*(No such file|incomplete type|has no member).*" <<<"$out"))"
	else
		fail "$arch: $name fails for another reason: $out"
	fi
	mv "$tree/$file.orig" "$tree/$file"
}
# probe ARCH ROOM WANT NAME CODE: CODE compiled with ROOM's flags must
# compile (WANT ok) or fail (WANT fail).
probe() {
	local arch=$1 room=$2 want=$3 name=$4 cc
	cc=$(make -s ARCH="$arch" room-cc ROOM="$room")
	printf '%s\n' "$5" >"$tmp/probe.c"
	if $cc -fsyntax-only "$tmp/probe.c" >"$tmp/probe.log" 2>&1; then got=ok; else got=fail; fi
	if [ $got = $want ]; then
		pass "$arch $room room: $name: $want"
	else
		fail "$arch $room room: $name: expected $want, got $got: $(head -n 3 "$tmp/probe.log")"
	fi
}

# Every format header checkable against its manual: at most 150 lines.
for f in arch/*/pt_*.h host/pt_*.h; do
	n=$(wc -l <"$f")
	if [ "$n" -le 150 ]; then
		pass "$f: $n lines (at most 150)"
	else
		fail "$f: $n lines, more than 150"
	fi
done

for arch in $ports; do
	case $arch in
	riscv64) dir=riscv format=pt_sv.h mode=pt_mode_sv39 setup=setup.c ;;
	arm64) dir=arm64 format=pt_vmsa.h mode=pt_mode_arm64_4k_48 setup=setup.c ;;
	x86_64) dir=x86_64 format=pt_x86.h mode=pt_mode_x86_4level setup=cpu.c ;;
	*) continue ;;
	esac
	obj() { echo "build/$arch-$board/obj/$1.o"; }
	board=$(sed -n "s/^board_default_$arch *:= *//p" Makefile)
	wall $arch "core/ reading a set's private field" core/mmu_boot.c \
		'unsigned probe_asid(mmu_translation_set_t *t) { return t->asid; }' "$(obj core/mmu_boot)"
	wall $arch "a format including an engine header" arch/$dir/$format \
		'#include "pt_engine.h"' "build/$arch-$board/walls/$mode.ok"
	wall $arch "arch setup including a format" arch/$dir/$setup \
		"#include \"$format\"" "$(obj arch/$dir/${setup%.c})"

	probe $arch core ok "the contract (control)" \
		'#include "mmu.h"
#include "mmu_kernel.h"
#include "arch.h"
int f(mmu_translation_set_t *t) { return mmu_new_translation_set(t) ? 0 : (int)mmu_kernel_asid(t); }'
	probe $arch core fail "a set's field" '#include "mmu.h"
unsigned f(mmu_translation_set_t *t) { return t->asid; }'
	probe $arch core fail "an entry's field" '#include "mmu.h"
paddr_t f(mmu_entry_t e) { return e.pa; }'
	probe $arch core fail "MMU_LAYER defined by hand" '#define MMU_LAYER
#include "mmu.h"'
	probe $arch core fail "the engine's header" '#include "mmu_internal.h"'
	probe $arch core fail "the arch-MMU hooks (TLB kinds, roots)" '#include "arch_mmu.h"'
	probe $arch core fail "an arch header" '#include "cpu_features.h"'
	probe $arch arch ok "arch.h (control)" '#include "arch.h"'
	probe $arch arch fail "a format" "#include \"$format\""
	probe $arch arch fail "the arch-MMU hooks" '#include "arch_mmu.h"'
	probe $arch archmmu ok "the arch-MMU hooks (control)" '#include "arch_mmu.h"'
	probe $arch archmmu fail "a format" "#include \"$format\""
	probe $arch format ok "the format interface and defaults (control)" \
		'#include "pt_format.h"
#include "pt_defaults.h"'
	probe $arch format fail "the engine" '#include "pt_engine.h"'
	probe $arch format fail "the engine's internals" '#include "mmu_internal.h"'
	probe $arch format fail "the real mmu types" '#include "mmu_types.h"'
	probe $arch engine ok "its own headers (control)" '#include "mmu_internal.h"'
	probe $arch engine fail "an arch header" '#include "cpu_features.h"'

	# Kernel images: no host introspection (pt_engine.h's, under MMU_HOST).
	elf=build/$arch-$board/origami.elf
	if make -s ARCH=$arch all >/dev/null 2>&1 && [ -f "$elf" ]; then
		n=$(nm "$elf" | grep -cE ' (eng_hwstate|snap_tables|eng_snapshot|meta_snapshot|mmu_host_[a-z_]*)$')
		if [ "$n" -eq 0 ]; then
			pass "$arch: the kernel image has no host introspection symbols"
		else
			fail "$arch: the kernel image has $n host introspection symbols"
		fi
	else
		fail "$arch: the kernel does not build"
	fi
	# KERNEL_TESTS=n: the same kernel without the kernel-side tests.
	notests=build/$arch-$board-notests/origami.elf
	if make -s ARCH=$arch KERNEL_TESTS=n all >/dev/null 2>&1 && [ -f "$notests" ]; then
		with=$(nm "$elf" | grep -cE ' (mmu_hw_tests|mmu_conformance_tests)$')
		without=$(nm "$notests" | grep -cE ' (mmu_hw_tests|mmu_conformance_tests)$')
		if [ "$with" -eq 2 ] && [ "$without" -eq 0 ]; then
			pass "$arch: KERNEL_TESTS=n leaves the kernel-side tests out ($(wc -c <"$elf") -> $(wc -c <"$notests") bytes of ELF)"
		else
			fail "$arch: test entry points: $with in the image, $without with KERNEL_TESTS=n (expected 2 and 0)"
		fi
	else
		fail "$arch: KERNEL_TESTS=n does not build"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
