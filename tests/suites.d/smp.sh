#!/bin/bash
# More than one CPU: every arch boots with QEMU -smp N, starts every CPU
# on the kernel's set and runs the kernel's SMP suite (tests/kernel/
# smp_test.c: cross-calls, the TLB shootdown of a page another CPU keeps
# reading, ASID roll-overs under many sets). Each boot must exit 0, say
# "cpus: N" and "smp: N of N CPUs online", and its SMP suite's PASS/FAIL
# lines count here; with N = 1 there is no SMP suite.
#
# Rows: arch|case|-smp|QEMU options|bootargs[|CPUs online, default all].
# Beyond the plain boots: the secondary CPUs through every path the boot
# CPU has (riscv Sv39; arm64 entered at EL2 with PSCI by SMC, the 64K
# granule's trampoline, Cortex-A57; x86 4-level paging, a CPU without NX,
# qemu64, APIC IDs with a gap (0 1 2 4); arm64 under GICv3: SGIs through
# ICC_SGI1R_EL1, WFI idle), 1
# and 2 CPUs, and a CPU that starts after smp_boot gave up on
# it (smp.give_up=1: it must park, the others come up on their own start
# words; every arch's entry code claims a start word by its hardware id).
# riscv64 also meets OpenSBI 1.1's hart_start race (docs/smp.md, "The boot
# CPU is not special"): staged by the kernel (smp.firmware_race=entry:
# hart 1 started at the boot entry with the DTB, =arg: at its own entry
# with the DTB as argument), and for real under gdb (case hsm-race,
# tests/qemu/riscv-gdb-stage.sh, skipped on another firmware); and hart 1
# as the boot hart (case boot-hart-1, gdb again: QEMU always boots hart 0).
# Every boot must print one banner: a second is a CPU that booted the
# kernel again. On every arch a CPU that never answers (smp.deaf=1) ends
# the boot in a panic that names it.
set -u
. tests/boot/suite.sh

CONFIGS='
riscv64|plain|4||
riscv64|sv39|4||mmu.mode=sv39 test.mmu=off
riscv64|two|2||test.mmu=off
riscv64|one|1||test.mmu=off
arm64|plain|4||
arm64|el2-smc|4|-machine virtualization=on|test.mmu=off
arm64|64k|4||mmu.mode=arm64-64k-48 test.mmu=off
arm64|a57|4|-cpu cortex-a57|test.mmu=off
arm64|gicv3|4|-machine gic-version=3|test.mmu=off
x86_64|plain|4||
x86_64|4level|4||mmu.mode=x86-64-4level test.mmu=off
x86_64|qemu64|4|-cpu qemu64|test.mmu=off
x86_64|no-nx|4|-cpu qemu64,-nx|test.mmu=off
arm64|late|4||smp.give_up=1 test.mmu=off test.vm=off tasks.demo=off|3
x86_64|late|4||smp.give_up=1 test.mmu=off test.vm=off tasks.demo=off|3
x86_64|sparse-ids|4|-smp 4,sockets=2,cores=3,threads=1,maxcpus=6|test.mmu=off test.vm=off tasks.demo=off
riscv64|deaf|4||smp.deaf=1 smp.answer_polls=3000000 test.mmu=off test.vm=off tasks.demo=off
arm64|deaf|4||smp.deaf=1 smp.answer_polls=3000000 test.mmu=off test.vm=off tasks.demo=off
x86_64|deaf|4||smp.deaf=1 smp.answer_polls=3000000 test.mmu=off test.vm=off tasks.demo=off
riscv64|late|4||smp.give_up=1 test.mmu=off test.vm=off tasks.demo=off|3
riscv64|race-entry|4||smp.firmware_race=entry test.mmu=off test.vm=off tasks.demo=off
riscv64|race-arg|4||smp.firmware_race=arg test.mmu=off test.vm=off tasks.demo=off
riscv64|hsm-race|4||test.mmu=off test.vm=off tasks.demo=off
riscv64|boot-hart-1|4||test.mmu=off test.vm=off tasks.demo=off
'
SMP_TIMEOUT=${SMP_TIMEOUT:-300}
SMP_JOBS=${SMP_JOBS:-2}
dir=build/tests/smp
mkdir -p "$dir"

ports=" $(test_arches | tr '\n' ' ') "
for arch in $ports; do
	make -s ARCH="$arch" all >"$dir/$arch-build.log" 2>&1 ||
		fail "$arch: build (log: $dir/$arch-build.log)"
done

# run ROW: one boot, its log and exit status.
run() {
	local arch name n qargs bootargs online log
	IFS='|' read -r arch name n qargs bootargs online <<<"$1"
	log="$dir/$arch-$name.log"
	if [ "$name" = hsm-race ] || [ "$name" = boot-hart-1 ]; then
		tests/qemu/riscv-gdb-stage.sh --stage "$name" --bootargs "$bootargs" \
			--timeout "$SMP_TIMEOUT" --log "$log" >"$log.stage" 2>&1
	else
		tests/qemu/run-qemu.sh --arch "$arch" --smp "$n" --qemu-args "$qargs" --bootargs "$bootargs" \
			--timeout "$SMP_TIMEOUT" --log "$log" >"$log.runner" 2>&1
	fi
	echo $? >"$log.rc"
}

rows=()
while IFS='|' read -r arch name n qargs bootargs online; do
	[ -n "$arch" ] && [[ $ports == *" $arch "* ]] && rows+=("$arch|$name|$n|$qargs|$bootargs|$online")
done <<<"$CONFIGS"

run_parallel "$SMP_JOBS" run "${rows[@]}"

for r in "${rows[@]}"; do
	IFS='|' read -r arch name n qargs bootargs online <<<"$r"
	online=${online:-$n}
	log="$dir/$arch-$name.log"
	rc=$(cat "$log.rc" 2>/dev/null || echo "?")
	what="$arch-$name (-smp $n)"
	if [ -f "$log.stage" ]; then
		if grep -q '^SKIP' "$log.stage"; then
			sed "s/^/    /" "$log.stage"
			continue
		fi
		sed "s/^/    $what: /" "$log.stage"
	fi
	# smp.deaf=1: CPU 1 never answers; the first call to it must end in a
	# panic naming it (docs/smp.md, "No wait is unbounded"), not a hang.
	# (Its id is 0x1 or, when OpenSBI's lottery made hart 1 the boot
	# hart, 0: hence any id in the patterns here.)
	if [ "$name" = deaf ]; then
		re="^PANIC: smp: cpu 1 \\(id (0x)?[0-9a-f]+\\) did not finish the call 0x[0-9a-f]+\\([0x]+\\) of cpu 0 within 3000000 polls"
		if [ "$rc" = 2 ] && tr -d '\r' <"$log" | grep -Eq -- "$re"; then
			pass "$what: exit 2, the panic names the CPU that did not answer"
		else
			fail "$what: exit $rc, want 2 and a line [$re] (log: $log)"
			log_tail "$what" "$log"
		fi
		continue
	fi
	if [ "$rc" = 0 ]; then
		pass "$what: exit 0"
	else
		fail "$what: exit $rc (log: $log)"
		log_tail "$what" "$log"
	fi
	missing=
	for re in "^cpus: $n \\(" "^smp: $online of $n CPUs online on the kernel's set$"; do
		tr -d '\r' <"$log" | grep -Eq -- "$re" || missing="$missing [$re]"
	done
	banners=$(tr -d '\r' <"$log" | grep -c '^cpus: ')
	[ "$banners" -gt 1 ] && missing="$missing [$banners banners: a CPU booted the kernel again]"
	# QEMU numbers APIC IDs by topology: socket 1's cores start at 4.
	if [ "$name" = sparse-ids ]; then
		re="^cpus: 4 \\(ids 0 0x1 0x2 0x4, boot CPU first\\)$"
		tr -d '\r' <"$log" | grep -Eq -- "$re" || missing="$missing [$re]"
	fi
	if [ "$name" = boot-hart-1 ]; then
		re="^cpus: 4 \\(ids 0x1 0 0x2 0x3, boot CPU first\\)$"
		tr -d '\r' <"$log" | grep -Eq -- "$re" || missing="$missing [$re]"
	fi
	if [ "$name" = race-entry ] || [ "$name" = race-arg ]; then
		re="^smp: hart (0x)?[0-9a-f]+ started at 0x[0-9a-f]+ with the DTB as argument \\(smp.firmware_race\\)$"
		tr -d '\r' <"$log" | grep -Eq -- "$re" || missing="$missing [$re]"
	fi
	if [ "$name" = gicv3 ]; then
		re="^smp: IPIs by GICv3 SGI 0 \\(ICC_SGI1R_EL1\\), idle in WFI$"
		tr -d '\r' <"$log" | grep -Eq -- "$re" || missing="$missing [$re]"
		tr -d '\r' <"$log" | grep -q 'no GICv3 redistributor' && missing="$missing [a CPU without its redistributor]"
	fi
	if [ "$online" != "$n" ]; then
		re="^smp: cpu 1 \\(id [^)]*\\): started but never came online \\(smp.give_up"
		tr -d '\r' <"$log" | grep -Eq -- "$re" || missing="$missing [$re]"
	fi
	if [ "$online" -gt 1 ]; then
		re="^smp-suite: $online CPUs: [0-9]+ passed, 0 failed$"
		tr -d '\r' <"$log" | grep -Eq -- "$re" || missing="$missing [$re]"
	elif tr -d '\r' <"$log" | grep -q '^smp-suite:'; then
		missing="$missing [no smp-suite line with one CPU]"
	fi
	if [ -z "$missing" ]; then
		pass "$what: CPUs and suite lines"
	else
		fail "$what:$missing in $log"
		[ "$rc" = 0 ] && log_tail "$what" "$log"
	fi
	tr -d '\r' <"$log" | grep -E '^(PASS|FAIL) smp: ' >"$log.verdicts"
	count_verdicts "$log.verdicts" 0 "$what" "$what: "
	tr -d '\r' <"$log" | grep -E '^(smp: .*shootdowns|SKIP smp)' | sed "s/^/    $what: /"
done
suite_end
