#!/bin/bash
# Two riscv64 boots QEMU does not give by itself, staged under its gdb
# stub: virt, 4 harts, QEMU halted at reset; gdb runs one hart at a time
# (scheduler-locking), then lets them all go. The boot must then end as
# any other: its exit status is ours.
#
# --stage boot-hart-1: hart 1 is the boot hart (OpenSBI's cold-boot
#   lottery makes it so now and then by itself). Under fw_dynamic hart 1
#   cannot go alone: hart 0, the hart QEMU's info prefers, must relocate
#   the firmware first; so this boots fw_jump.bin, which prefers none:
#   hart 1 runs alone until it enters the kernel (a0 = 1), having won every
#   lottery. The banner then says "cpus: 4 (ids 0x1 0 0x2 0x3".
#
# --stage hsm-race: OpenSBI 1.1's hart_start race, every time (docs/smp.md,
#   "The boot CPU is not special"):
#   1. hart 0 alone boots the firmware and the kernel up to the first
#      HSM hart_start (for hart 1), and stops inside the firmware just
#      after it made hart 1 START_PENDING, before it stores hart 1's start
#      address and argument;
#   2. hart 1 alone (until now at the reset vector) runs the firmware's
#      warm boot, finds itself START_PENDING and jumps to the stale
#      default: the kernel's boot entry, with the DTB in a1;
#   3. then every hart runs.
#   Without the kernel's defence hart 1 boots a second kernel over the
#   first (its banner says "cpus: 4 (ids 0x1 0 ...)") and the first takes
#   a trap on its wiped boot stack (the CI failure of 2026-12-05). The stop
#   address is inside the firmware: this stage runs only on the binary
#   whose checksum is below (Debian 12's opensbi 1.1-2 fw_dynamic.bin).
#
#   tests/qemu/riscv-gdb-stage.sh --stage S --log FILE [--timeout SECS] [--bootargs S]
#
# A firmware this cannot stage on: "SKIP ..." and exit 0. Exit: the
# kernel's status as run-qemu.sh gives it, 2 for a usage error, 3 when the
# stage did not happen as planned (gdb's transcript is FILE.gdb).
set -u
stage= log= timeout=120 bootargs=
while [ $# -gt 0 ]; do
	case "$1" in
	--stage) stage=$2; shift ;;
	--log) log=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--bootargs) bootargs=$2; shift ;;
	*) echo "riscv-gdb-stage: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$log" ] || { echo "riscv-gdb-stage: --log is required" >&2; exit 2; }
case "$stage" in
boot-hart-1|hsm-race) ;;
*) echo "riscv-gdb-stage: --stage boot-hart-1 or hsm-race" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."

env=build/riscv64-qemu-virt/qemu.env
[ -f "$env" ] || { echo "riscv-gdb-stage: $env missing: run 'make ARCH=riscv64' first" >&2; exit 2; }
QEMU_ARGS=
. "./$env"
bios=$(echo "$QEMU_ARGS" | sed -n 's/.*-bios \([^ ]*\).*/\1/p')
KERNEL_BOOT_ENTRY=0x80200000    # where fw_dynamic's info and fw_jump send the boot hart
qemu_extra=
if [ "$stage" = boot-hart-1 ]; then
	bios=${bios%/*}/fw_jump.bin
	if [ ! -f "$bios" ]; then
		echo "SKIP riscv-gdb-stage: no $bios (harts draw lots only in fw_jump)"
		exit 0
	fi
	qemu_extra="-bios $bios"    # QEMU takes the last -bios
else
	# Debian 12 opensbi 1.1-2, generic/fw_dynamic.bin, loaded at
	# 0x80000000: sbi_hsm_hart_start's atomic_cmpxchg(STOPPED ->
	# START_PENDING) returns at 0x80009be2; 0x80009bf0 calls
	# sbi_init_count, before the stores of next_arg1, next_addr and
	# next_mode (lib/sbi/sbi_hsm.c of v1.1). Found with objdump -d
	# fw_dynamic.elf (stripped): the cmpxchg helper called with (1, 2),
	# then stores at scratch offsets 16, 24 and 32.
	FW_SHA256=88e76ec1a9e2e5f3ecfc2d8892b923fddc9a3974e63f4190dbcab56b4909fb2f
	FW_WINDOW=0x80009bf0
	if [ -z "$bios" ] || [ "$(sha256sum <"$bios" | cut -d' ' -f1)" != "$FW_SHA256" ]; then
		echo "SKIP riscv-gdb-stage: ${bios:-no -bios} is not Debian's OpenSBI 1.1-2 fw_dynamic.bin"
		exit 0
	fi
fi

sock=$(mktemp -u /tmp/origami-gdb.XXXXXX)
script=$(mktemp)
trap 'rm -f "$sock" "$script"' EXIT
{
	printf '%s\n' 'set pagination off' 'set confirm off' 'set architecture riscv:rv64' \
		"target remote $sock" 'set scheduler-locking on'
	[ "$stage" = hsm-race ] && printf '%s\n' 'thread 1' "hbreak *$FW_WINDOW" 'continue' \
		'printf "stage: hart 0 stopped in hart_start after the state change (pc %#lx)\n", $pc' \
		'delete'
	printf '%s\n' 'thread 2' "hbreak *$KERNEL_BOOT_ENTRY" 'continue' \
		'printf "stage: hart 1 entered the kernel at %#lx, a0 %#lx, a1 %#lx\n", $pc, $a0, $a1' \
		'delete' 'set scheduler-locking off' 'detach' 'quit'
} >"$script"

tests/qemu/run-qemu.sh --arch riscv64 --smp 4 --timeout "$timeout" --log "$log" \
	--bootargs "$bootargs" --qemu-args "$qemu_extra -S -gdb unix:$sock,server=on,wait=off" \
	>"$log.runner" 2>&1 &
qemu=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
timeout 60 gdb-multiarch -batch -nx -x "$script" >"$log.gdb" 2>&1
wait "$qemu"
rc=$?
grep '^stage:' "$log.gdb"
if ! grep -q "^stage: hart 1 entered the kernel at $KERNEL_BOOT_ENTRY, a0 0x1," "$log.gdb"; then
	echo "riscv-gdb-stage: the stage did not happen as planned (gdb: $log.gdb)"
	[ "$rc" -eq 0 ] && rc=3
fi
exit "$rc"
