#!/bin/bash
# test-arch: per-arch
# The paging matrix: every mode of every arch booted in QEMU on the CPUs
# that have it, with MATRIX_SMP (4) CPUs, each boot running the kernel's
# MMU suite on the live MMU (tests/kernel/mmu_hwtest.c, tests/mmu/ cases:
# "mmu-suite: MODE: N passed, N failed"), then its SMP suite
# (tests/kernel/smp_test.c). One result line per (arch, mode, cpu) with
# the suites' own counts, then the total. A cell that does not reach its suite line (a
# panic, a trap, a hang) counts as one failure, with its log named.
#
#   bash tests/suites.d/matrix.sh [FILTER]      FILTER: a regex on "arch mode cpu"
#
# Cells: arch|mode asked (mmu.mode=)|QEMU -cpu|mode that must run. The
# last two x86 cells prove the fallbacks: without LA57 the kernel runs
# 4-level (with a message), without Page1GB it has no 1G pages.
set -u
. tests/boot/suite.sh

CELLS='
riscv64|sv39|rv64|sv39
riscv64|sv48|rv64|sv48
riscv64|sv57|rv64|sv57
riscv64|sv39|rv64,svnapot=on|sv39
riscv64|sv48|rv64,svnapot=on|sv48
riscv64|sv57|rv64,svnapot=on|sv57
arm64|arm64-4k-48|max|arm64-4k-48
arm64|arm64-16k-48|max|arm64-16k-48
arm64|arm64-64k-48|max|arm64-64k-48
arm64|arm64-4k-52|max|arm64-4k-52
arm64|arm64-16k-52|max|arm64-16k-52
arm64|arm64-64k-52|max|arm64-64k-52
arm64|arm64-4k-48|cortex-a57|arm64-4k-48
arm64|arm64-64k-48|cortex-a57|arm64-64k-48
x86_64|x86-64-4level|max|x86-64-4level
x86_64|x86-64-5level|max|x86-64-5level
x86_64|x86-64-4level|qemu64|x86-64-4level
x86_64|x86-64-5level|qemu64|x86-64-4level
'
# RAM for the suite's largest backed pages (1 GiB frames, naturally
# aligned, next to the kernel): QEMU gives it lazily, so this costs little.
MATRIX_MEM=${MATRIX_MEM:-3G}
MATRIX_TIMEOUT=${MATRIX_TIMEOUT:-180}
# Cells run two at a time (CI has 2 cores; each QEMU is one TCG thread per
# CPU, and idle CPUs sleep in WFI/HLT).
MATRIX_JOBS=${MATRIX_JOBS:-2}
# CPUs per cell: the MMU suite then runs with the others idle on the
# kernel's set (every commit's shootdown reaches them), and each cell runs
# the SMP suite too (its counts join the cell's; "smp-suite: N CPUs").
MATRIX_SMP=${MATRIX_SMP:-4}
filter=${1:-}
dir=build/tests/matrix
mkdir -p "$dir"

for arch in $(test_arches); do
	if ! make -s ARCH="$arch" all >"$dir/$arch-build.log" 2>&1; then
		echo "matrix: $arch does not build (log: $dir/$arch-build.log)"
	fi
done

# cell ARCH MODE CPU: boots one cell; its log is $dir/ARCH-MODE-CPU.log.
cell() {
	local log="$dir/$1-$2-${3//,/_}.log"
	tests/qemu/run-qemu.sh --arch "$1" --cpu "$3" --bootargs "mmu.mode=$2" \
		--timeout "$MATRIX_TIMEOUT" --smp "$MATRIX_SMP" --qemu-args "-m $MATRIX_MEM" --log "$log" \
		>"$log.runner" 2>&1
	echo $? >"$log.rc"
}

cells=()
arches=" $(echo $(test_arches)) "
while IFS='|' read -r arch mode cpu runs; do
	[ -n "$arch" ] || continue
	[[ $arches == *" $arch "* ]] || continue
	[ -z "$filter" ] || [[ "$arch $mode $cpu" =~ $filter ]] || continue
	cells+=("$arch|$mode|$cpu|$runs")
done <<<"$CELLS"

cell_row() {
	local arch mode cpu runs
	IFS='|' read -r arch mode cpu runs <<<"$1"
	cell "$arch" "$mode" "$cpu"
}
run_parallel "$MATRIX_JOBS" cell_row "${cells[@]}"

for c in "${cells[@]}"; do
	IFS='|' read -r arch mode cpu runs <<<"$c"
	log="$dir/$arch-$mode-${cpu//,/_}.log"
	name=$(printf '%-7s %-14s %-16s' "$arch" "$mode" "$cpu")
	rc=$(cat "$log.rc" 2>/dev/null || echo "?")
	line=$(tr -d '\r' <"$log" 2>/dev/null | grep -E '^mmu-suite: ' | tail -n 1)
	if [[ "$line" =~ ^mmu-suite:\ ([a-z0-9-]+):\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		ran=${BASH_REMATCH[1]} p=${BASH_REMATCH[2]} f=${BASH_REMATCH[3]}
		note=
		if [ "$ran" != "$runs" ]; then
			f=$((f + 1)) note=" (ran $ran, expected $runs)"
		elif [ "$mode" != "$runs" ] &&
			! tr -d '\r' <"$log" | grep -q "^mmu: mmu.mode=$mode: not supported by this CPU; using $runs\$"; then
			f=$((f + 1)) note=" (no fallback message)"
		elif [ "$rc" != 0 ] && [ "$f" -eq 0 ]; then
			f=1 note=" (exit $rc)"
		fi
		if [ "$MATRIX_SMP" -gt 1 ]; then
			sline=$(tr -d '\r' <"$log" | grep -E '^smp-suite: ' | tail -n 1)
			if [[ "$sline" =~ ^smp-suite:\ ([0-9]+)\ CPUs:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]] &&
				[ "${BASH_REMATCH[1]}" = "$MATRIX_SMP" ]; then
				p=$((p + BASH_REMATCH[2])) f=$((f + BASH_REMATCH[3]))
				note="$note (smp: ${BASH_REMATCH[2]} passed)"
			else
				f=$((f + 1)) note="$note (no smp-suite line for $MATRIX_SMP CPUs)"
			fi
		fi
		# A failing cell's line starts with FAIL: tests/run's summary
		# (all CI keeps) shows those lines.
		if [ "$f" -gt 0 ]; then
			echo "FAIL $name $ran: $p passed, $f failed$note (log: $log)"
			[ "$rc" != 0 ] && log_tail "$arch $mode $cpu" "$log"
		else
			echo "$name $ran: $p passed, $f failed$note"
		fi
	else
		p=0 f=1
		echo "FAIL $name: no mmu-suite line, exit $rc (log: $log)"
		log_tail "$arch $mode $cpu" "$log"
	fi
	suite_passed=$((suite_passed + p))
	suite_failed=$((suite_failed + f))
	# The failures themselves, for the CI log.
	tr -d '\r' <"$log" 2>/dev/null | grep -E '^(FAIL |PANIC|TRAP)' | head -n 20 | sed 's/^/    /'
done
suite_end
