#!/bin/bash
# OpenSBI 1.1's hart_start race, made to happen every time (docs/smp.md,
# "The boot CPU is not special"): riscv64 virt, 4 harts, QEMU halted under
# its gdb stub. gdb runs one hart at a time (scheduler-locking):
#   1. hart 0 alone boots the firmware and the kernel up to the first
#      HSM hart_start (for hart 1), and stops inside the firmware just
#      after it made hart 1 START_PENDING, before it stores hart 1's start
#      address and argument;
#   2. hart 1 alone (until now at the reset vector) runs the firmware's
#      warm boot, finds itself START_PENDING and jumps to the stale
#      default: the kernel's boot entry with the DTB in a1;
#   3. then every hart runs, and the boot must end as any other: exit 0.
# Without the kernel's defence hart 1 boots a second kernel over the first
# (its banner says "cpus: 4 (ids 0x1 0 ...)") and the first takes a trap
# on its wiped boot stack (the CI failure of 2026-12-05).
#
#   tests/qemu/opensbi-hsm-race.sh --log FILE [--timeout SECS] [--bootargs S]
#
# The stop address is inside the firmware binary: this runs only on the one
# whose checksum is below (Debian 12's opensbi 1.1-2 fw_dynamic.bin), and
# says "SKIP" (exit 0) on any other. Exit: the kernel's status as
# run-qemu.sh gives it, 2 for a usage error, 3 when the race did not
# happen as staged (gdb's transcript is FILE.gdb).
set -u
log= timeout=120 bootargs=
while [ $# -gt 0 ]; do
	case "$1" in
	--log) log=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--bootargs) bootargs=$2; shift ;;
	*) echo "opensbi-hsm-race: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$log" ] || { echo "opensbi-hsm-race: --log is required" >&2; exit 2; }
cd "$(dirname "$0")/../.."

env=build/riscv64-qemu-virt/qemu.env
[ -f "$env" ] || { echo "opensbi-hsm-race: $env missing: run 'make ARCH=riscv64' first" >&2; exit 2; }
QEMU_ARGS= KERNEL_ELF=
. "./$env"
bios=$(echo "$QEMU_ARGS" | sed -n 's/.*-bios \([^ ]*\).*/\1/p')
# Debian 12 opensbi 1.1-2, generic/fw_dynamic.bin, loaded at 0x80000000:
# sbi_hsm_hart_start's atomic_cmpxchg(STOPPED -> START_PENDING) returns
# at 0x80009be2; 0x80009bf0 calls sbi_init_count, before the stores of
# next_arg1/next_addr/next_mode (lib/sbi/sbi_hsm.c of v1.1). Found with
# objdump -d fw_dynamic.elf (stripped): the cmpxchg helper called with
# (1, 2) followed by stores at scratch offsets 16, 24 and 32.
FW_SHA256=88e76ec1a9e2e5f3ecfc2d8892b923fddc9a3974e63f4190dbcab56b4909fb2f
FW_WINDOW=0x80009bf0
KERNEL_BOOT_ENTRY=0x80200000    # where QEMU's fw_dynamic info sends the boot hart
if [ -z "$bios" ] || [ "$(sha256sum <"$bios" | cut -d' ' -f1)" != "$FW_SHA256" ]; then
	echo "SKIP opensbi-hsm-race: ${bios:-no -bios} is not Debian's OpenSBI 1.1-2 fw_dynamic.bin"
	exit 0
fi

sock=$(mktemp -u /tmp/origami-gdb.XXXXXX)
script=$(mktemp)
trap 'rm -f "$sock" "$script"' EXIT
cat >"$script" <<EOF
set pagination off
set confirm off
set architecture riscv:rv64
target remote $sock
set scheduler-locking on
thread 1
hbreak *$FW_WINDOW
continue
printf "race: hart 0 stopped in hart_start after the state change (pc %#lx)\n", \$pc
delete
thread 2
hbreak *$KERNEL_BOOT_ENTRY
continue
printf "race: hart 1 entered the kernel at %#lx, a0 %#lx, a1 %#lx\n", \$pc, \$a0, \$a1
delete
set scheduler-locking off
detach
quit
EOF

tests/qemu/run-qemu.sh --arch riscv64 --smp 4 --timeout "$timeout" --log "$log" \
	--bootargs "$bootargs" --qemu-args "-S -gdb unix:$sock,server=on,wait=off" \
	>"$log.runner" 2>&1 &
qemu=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
timeout 60 gdb-multiarch -batch -nx -x "$script" >"$log.gdb" 2>&1
wait "$qemu"
rc=$?
grep '^race:' "$log.gdb"
if ! grep -q "^race: hart 1 entered the kernel at $KERNEL_BOOT_ENTRY, a0 0x1," "$log.gdb"; then
	echo "opensbi-hsm-race: the race did not happen as staged (gdb: $log.gdb)"
	[ "$rc" -eq 0 ] && rc=3
fi
exit "$rc"
