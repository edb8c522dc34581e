#!/bin/sh
# Boot one kernel build in QEMU and turn its exit status into ours.
#
#   run-qemu.sh --arch A [--board B] [--build DIR] [--kernel IMG] [--cpu C] [--bootargs S]
#               [--timeout SECS] [--log FILE] [--gdb] [--qemu-args S] [--smp N]
#
# --smp N: QEMU -smp N (or $SMP from the environment; neither: the
# machine's default, 1 on virt and pc, all cores on raspi3b and sifive_u),
# before --qemu-args, which may give its own.
#
# --kernel none: no -kernel at all (firmware given in --qemu-args boots from
# a disk there).
# --qemu-args: more QEMU options, after the board's and the CPU (e.g.
# "-machine virtualization=on": QEMU merges repeated -machine options; a
# second -cpu replaces the first).
#
# Everything arch- or board-specific comes from build/<arch>-<board>/qemu.env,
# which `make` writes from arch.mk and board.mk. The kernel ends every run
# with a line "ORIGAMI-EXIT: <status>"; that status is our exit code.
# Where QEMU's own exit code carries the status too (QEMU_EXIT_OF_STATUS),
# the two must agree.
#
# --timeout 0: no timeout (coreutils timeout(1) with 0); `make debug` uses
# it, since a gdb session lasts as long as the person at it wants.
#
# Exit codes: the kernel's status (0 = success), or
#   124  timeout: the kernel hung
#   125  no ORIGAMI-EXIT line (QEMU failed to start, or the kernel died silently)
#   126  QEMU's exit code contradicts the ORIGAMI-EXIT line
set -u

arch= board= build= kernel= cpu= bootargs= log= gdb=n timeout=30 qemu_args= smp=${SMP:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--arch) arch=$2; shift ;;
	--board) board=$2; shift ;;
	--build) build=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--bootargs) bootargs=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--gdb) gdb=y ;;
	--qemu-args) qemu_args=$2; shift ;;
	--smp) smp=$2; shift ;;
	*) echo "run-qemu: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$arch" ]; then
	echo "run-qemu: --arch is required" >&2
	exit 2
fi
# Without --board: the arch's default board (the Makefile's).
if [ -z "$board" ]; then
	board=$(make -s --no-print-directory ARCH="$arch" default-board 2>/dev/null)
	if [ -z "$board" ]; then
		echo "run-qemu: no default board for $arch" >&2
		exit 2
	fi
fi
build=${build:-build/$arch-$board}
env=$build/qemu.env
if [ ! -f "$env" ]; then
	echo "run-qemu: $env missing: run 'make ARCH=$arch BOARD=$board' first" >&2
	exit 2
fi
QEMU_SYSTEM= QEMU_ARGS= QEMU_CPU_DEFAULT= KERNEL_IMAGE= KERNEL_ELF= QEMU_EXIT_OF_STATUS= GDB_ARCH=
ADDR2LINE= QEMU_SMP_FIXED=
. "./$env"
# A machine with a fixed number of CPUs (board.mk QEMU_SMP_FIXED) takes no other.
[ -n "$QEMU_SMP_FIXED" ] && smp=$QEMU_SMP_FIXED
kernel=${kernel:-$KERNEL_IMAGE}
cpu=${cpu:-$QEMU_CPU_DEFAULT}
log=${log:-$build/console.log}

[ "$kernel" = none ] && kernel=
set -- $QEMU_ARGS ${cpu:+-cpu "$cpu"} ${smp:+-smp "$smp"} $qemu_args ${kernel:+-kernel "$kernel"} -nographic -no-reboot
[ -n "$bootargs" ] && set -- "$@" -append "$bootargs"
if [ $gdb = y ]; then
	set -- "$@" -S -gdb tcp::1234
	echo "run-qemu: waiting for gdb; in another terminal run:"
	echo "  gdb-multiarch -ex 'set architecture $GDB_ARCH' -ex 'file $KERNEL_ELF' -ex 'target remote localhost:1234'"
	if [ "$timeout" = 0 ]; then
		echo "run-qemu: no timeout while you debug; quit QEMU with Ctrl-A x"
	else
		echo "run-qemu: timeout ${timeout}s; quit QEMU with Ctrl-A x"
	fi
fi
echo "run-qemu: $QEMU_SYSTEM $*" >&2

# stdin is not the terminal: timeout runs QEMU outside the foreground
# process group, where reading the tty would stop it (SIGTTIN) until the
# timeout. In --gdb mode QEMU keeps the terminal for its monitor.
rm -f "$log"
status_file=$(mktemp)
trap 'rm -f "$status_file"' EXIT
if [ $gdb = y ]; then
	{ timeout --foreground "$timeout" "$QEMU_SYSTEM" "$@"; echo $? >"$status_file"; } | tee "$log"
else
	{ timeout -k 5 "$timeout" "$QEMU_SYSTEM" "$@" </dev/null; echo $? >"$status_file"; } 2>&1 | tee "$log"
fi
qemu_rc=$(cat "$status_file")

if [ "$qemu_rc" -eq 124 ]; then
	echo "run-qemu: TIMEOUT: no exit after ${timeout}s, the kernel hung (log: $log)"
	exit 124
fi
# A trap report's pc and backtrace, with function and line (the kernel
# carries no symbols). A backtrace holds return addresses: look up the
# byte before, the call itself, as a noreturn call may be a function's
# last instruction.
addresses=$(tr -d '\r' <"$log" | sed -n 's/^  pc: *\(0x[0-9a-f]*\)$/\1/p' | head -n 1)
# Kernel addresses do not fit sh arithmetic (signed 64-bit): subtract from
# the low 32 bits only (a return address at a 4 GiB boundary is no call's).
for ret in $(tr -d '\r' <"$log" | sed -n 's/^  #[0-9]* \(0x[0-9a-f]*\)$/\1/p'); do
	hex=${ret#0x}
	high=${hex%????????}
	[ "$high" = "$hex" ] && high=
	low=${hex#"$high"}
	addresses="$addresses $(printf '0x%s%08x' "$high" $((0x$low - 1)))"
done
if [ -n "$addresses" ] && [ -n "$ADDR2LINE" ] && command -v "$ADDR2LINE" >/dev/null &&
	[ -f "$KERNEL_ELF" ]; then
	echo "run-qemu: pc and backtrace in $KERNEL_ELF:"
	"$ADDR2LINE" -f -i -p -e "$KERNEL_ELF" $addresses | sed 's/^/  /'
fi

status=$(tr -d '\r' <"$log" | sed -n 's/^ORIGAMI-EXIT: \([0-9][0-9]*\)$/\1/p' | tail -n 1)
if [ -z "$status" ]; then
	echo "run-qemu: no ORIGAMI-EXIT line; QEMU exited with $qemu_rc (log: $log)"
	exit 125
fi
if [ -n "$QEMU_EXIT_OF_STATUS" ]; then
	expected=$(s=$status; echo $(( $QEMU_EXIT_OF_STATUS )))
	if [ "$qemu_rc" -ne "$expected" ]; then
		echo "run-qemu: kernel status $status, but QEMU exited with $qemu_rc (expected $expected)"
		exit 126
	fi
fi
echo "run-qemu: kernel exit status $status (QEMU exit code $qemu_rc)"
exit "$status"
