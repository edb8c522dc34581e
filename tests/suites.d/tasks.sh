#!/bin/bash
# User tasks in QEMU (core/task.c, user/, docs/tasks.md): every arch boots
# with test.tasks, which runs the user-mode suite (tests/tasks/
# kernel_tasks.c with user/utest.c): fork + copy-on-write isolation,
# segfaults that kill only the task, no user access to kernel memory,
# -EFAULT for kernel and unmapped pointers in system calls, the mmap
# family from user mode, every frame back at the end. Its PASS/FAIL lines
# are this suite's, prefixed with the row; a boot that ends without its
# "tasks-suite:" line, or with another exit status than 0, is a failure.
# Then each arch's plain boot must show the demo (two tasks, a fork, the
# report, frames back).
#
# Rows: arch|QEMU -cpu (empty: the board's)|extra boot arguments. Beyond
# each arch's default mode: Sv39; arm64's 16K and 64K granules (user
# programs are laid out for 64 KiB pages); x86 4-level, and qemu64, which
# has neither SMAP, SMEP nor PCIDs.
set -u
. tests/boot/suite.sh

ROWS='
riscv64||
riscv64||mmu.mode=sv39
arm64||
arm64||mmu.mode=arm64-16k-48
arm64||mmu.mode=arm64-64k-48
x86_64||
x86_64||mmu.mode=x86-64-4level
x86_64|qemu64|
'
TASKS_TIMEOUT=${TASKS_TIMEOUT:-120}
dir=build/tests/tasks
mkdir -p "$dir"

boot() {   # NAME ARCH CPU BOOTARGS: sets $log and $rc
	log=$dir/$1.log
	tests/qemu/run-qemu.sh --arch "$2" ${3:+--cpu "$3"} --bootargs "$4" \
		--timeout "$TASKS_TIMEOUT" --log "$log" >"$log.runner" 2>&1
	rc=$?
}

declare -A built
while IFS='|' read -r arch cpu args; do
	[ -n "$arch" ] || continue
	if [ -z "${built[$arch]:-}" ]; then
		built[$arch]=ok
		if ! make -s ARCH="$arch" all >"$dir/$arch-build.log" 2>&1; then
			built[$arch]=failed
			fail "$arch: build (log: $dir/$arch-build.log)"
		fi
	fi
	[ "${built[$arch]}" = ok ] || continue
	name="$arch${cpu:+-$cpu}${args:+-${args#mmu.mode=}}"
	boot "$name" "$arch" "$cpu" "test.mmu=off test.tasks $args"
	tr -d '\r' <"$log" >"$log.clean"
	count_verdicts "$log.clean" "$rc" "$name" "$name: "
	if ! grep -Eq '^tasks-suite: [a-z0-9-]+: [0-9]+ passed, 0 failed$' "$log.clean" || [ "$rc" -ne 0 ]; then
		fail "$name: the suite did not finish clean (exit $rc, log: $log)"
	fi
done <<<"$ROWS"

# The demo of every plain boot: two tasks in user mode, the first forks.
for arch in $(make -s ports); do
	[ "${built[$arch]:-}" = ok ] || continue
	boot "$arch-demo" "$arch" "" "test.mmu=off"
	tr -d '\r' <"$log" >"$log.clean"
	missing=""
	for re in '^tasks: running pids 1 and 2 in user mode$' \
		'^hello from pid 1: a string on the heap \(malloc on mmap\)$' \
		'^child pid 3: wrote 2 to its copy, reads 2$' \
		'^parent pid 1: child 3 exited with 7; my copy still reads 1$' \
		'^pid 2: turn 2$' \
		'^task 3 \(hello\): exit 7, .* faults, pages .*, cow [1-9][0-9]* copied' \
		'^task [12] \(hello\): exit 0, .* faults, pages [0-9]' \
		'^tasks: 3 ended, 0 failed; frames all back' '^ORIGAMI-EXIT: 0$'; do
		grep -Eq -- "$re" "$log.clean" || missing="$missing [$re]"
	done
	if [ -z "$missing" ] && [ "$rc" -eq 0 ]; then
		pass "$arch: the demo runs two tasks and a fork, reports, exits 0"
	else
		fail "$arch: demo: exit $rc, no line matching$missing (log: $log)"
	fi
done
suite_end
