#!/bin/bash
# Host tests of the FDT reader (core/fdt.c) on the device trees QEMU builds
# (-machine dumpdtb=) and on tests/host/fdt_sample.dts. What the reader
# finds is checked against fdtget and dtc (libfdt), an independent reader;
# then damaged DTBs must be refused with a reason, never crash (ASan/UBSan).
set -u
. tests/boot/suite.sh

dir=build/tests/fdt
mkdir -p "$dir"
if ! make -s build/tests/fdt/fdt_test >"$dir/build.log" 2>&1; then
	fail "build fdt_test (log: $dir/build.log)"
	suite_end
	exit
fi
fdt_test=build/tests/fdt/fdt_test

# ---- the DTBs ----
dump_dtb() {   # NAME QEMU-SYSTEM ARGS...
	local name=$1 qemu=$2
	shift 2
	if timeout 20 "$qemu" "$@" -machine dumpdtb="$dir/$name.dtb" -nographic \
		</dev/null >"$dir/$name.qemu.log" 2>&1 && [ -s "$dir/$name.dtb" ]; then
		dtbs+=("$name")
	else
		fail "$name: QEMU could not dump its DTB (log: $dir/$name.qemu.log)"
	fi
}
dtbs=()
dump_dtb riscv-virt qemu-system-riscv64 -M virt -m 256M
dump_dtb riscv-virt-numa qemu-system-riscv64 -M virt -m 1G -smp 2 \
	-numa node,mem=512M,cpus=0 -numa node,mem=512M,cpus=1
dump_dtb riscv-sifive-u qemu-system-riscv64 -M sifive_u -m 512M
dump_dtb arm64-virt qemu-system-aarch64 -M virt -cpu max -m 384M
dump_dtb arm64-virt-highmem qemu-system-aarch64 -M virt -cpu max -m 6G
# The Raspberry Pi DTBs from Debian's kernel package (tools/setup.sh): their
# UARTs sit behind /soc's ranges (bus 0x7e... seen by the CPU elsewhere).
for name in bcm2837-rpi-3-b bcm2711-rpi-4-b; do
	if [ -f "build/field/dtbs/$name.dtb" ]; then
		cp "build/field/dtbs/$name.dtb" "$dir/$name.dtb"
		dtbs+=("$name")
	else
		fail "$name: build/field/dtbs/$name.dtb missing (tools/setup.sh fetches it)"
	fi
done
if dtc -q -I dts -O dtb -o "$dir/sample.dtb" tests/host/fdt_sample.dts; then
	dtbs+=(sample)
else
	fail "sample: dtc could not compile tests/host/fdt_sample.dts"
fi

# ---- the oracle: the same facts through fdtget/dtc ----
cells_to_hex() {   # N-CELLS CELL... -> one number
	local n=$1 v=0 i
	shift
	for ((i = 0; i < n; i++)); do v=$(((v << 32) | $1)); shift; done
	printf '0x%x' "$v"
}

# reg of NODE, with the cell sizes of PARENT, as "base size" lines.
reg_pairs() {   # DTB PARENT NODE
	local ac sc cells
	ac=$(fdtget -t u -d 2 "$1" "$2" '#address-cells')
	sc=$(fdtget -t u -d 1 "$1" "$2" '#size-cells')
	cells=($(fdtget -t u "$1" "$3" reg 2>/dev/null)) || return 0
	while [ ${#cells[@]} -gt 0 ]; do
		echo "$(cells_to_hex "$ac" "${cells[@]:0:ac}") $(cells_to_hex "$sc" "${cells[@]:ac:sc}")"
		cells=("${cells[@]:ac+sc}")
	done
}

# ADDR in NODE's parent's space as a CPU address, through that parent's
# ranges (one bus level: the DTBs here have no deeper one).
cpu_address() {   # DTB NODE ADDR
	local bus=${2%/*} ac pac sc r child cpu size
	[ -z "$bus" ] && { echo "$3"; return; }
	r=($(fdtget -t u "$1" "$bus" ranges 2>/dev/null))
	[ ${#r[@]} -eq 0 ] && { echo "$3"; return; }
	ac=$(fdtget -t u -d 2 "$1" "$bus" '#address-cells')
	sc=$(fdtget -t u -d 1 "$1" "$bus" '#size-cells')
	pac=$(fdtget -t u -d 2 "$1" "$(dirname "$bus")" '#address-cells')
	while [ ${#r[@]} -gt 0 ]; do
		child=$(cells_to_hex "$ac" "${r[@]:0:ac}")
		cpu=$(cells_to_hex "$pac" "${r[@]:ac:pac}")
		size=$(cells_to_hex "$sc" "${r[@]:ac+pac:sc}")
		if (($3 >= child && $3 - child < size)); then
			printf '0x%x\n' $(($3 - child + cpu))
			return
		fi
		r=("${r[@]:ac+pac+sc}")
	done
	echo "unmapped $3"
}

enabled() {   # DTB NODE
	local status
	status=$(fdtget -d okay "$1" "$2" status)
	[ "$status" = okay ] || [ "$status" = ok ]
}

expected_facts() {   # DTB
	local dtb=$1 node path compat kind opts
	for node in $(fdtget -l "$dtb" /); do
		[ "$(fdtget -d - "$dtb" "/$node" device_type)" = memory ] || continue
		enabled "$dtb" "/$node" || continue
		reg_pairs "$dtb" / "/$node" | sed 's/^/memory /'
	done
	dtc -q -I dtb -O dts "$dtb" | sed -n 's|^/memreserve/[[:space:]]*\(0x[0-9a-f]*\)[[:space:]]*\(0x[0-9a-f]*\);|\1 \2|p' |
		while read -r base size; do printf 'reserved 0x%x 0x%x\n' "$base" "$size"; done
	for node in $(fdtget -l "$dtb" /reserved-memory 2>/dev/null); do
		enabled "$dtb" "/reserved-memory/$node" || continue
		reg_pairs "$dtb" /reserved-memory "/reserved-memory/$node" | sed 's/^/reserved /'
	done
	echo "bootargs $(fdtget -d '(none)' "$dtb" /chosen bootargs)"
	path=$(fdtget -d '' "$dtb" /chosen stdout-path)
	path=${path%%:*}
	[ -n "$path" ] && [ "${path#/}" = "$path" ] && path=$(fdtget "$dtb" /aliases "$path")
	kind=none shift_default=0 width_default=1
	if [ -n "$path" ]; then
		for compat in $(fdtget "$dtb" "$path" compatible); do
			case $compat in
			ns16550a|ns16550|ns8250|snps,dw-apb-uart) kind=ns16550; break ;;
			arm,pl011) kind=pl011; break ;;
			sifive,uart0) kind=sifive; break ;;
			# Linux 8250_bcm2835aux.c: registers 4 bytes apart.
			brcm,bcm2835-aux-uart) kind=ns16550 shift_default=2 width_default=4; break ;;
			esac
		done
	fi
	if [ $kind = none ]; then
		echo "uart (none)"
	else
		echo "uart $kind $(cpu_address "$dtb" "$path" \
			"$(reg_pairs "$dtb" "${path%/*}" "$path" | head -n 1 | cut -d' ' -f1)")" \
			"$(fdtget -t u -d $shift_default "$dtb" "$path" reg-shift)" \
			"$(fdtget -t u -d $width_default "$dtb" "$path" reg-io-width)"
	fi
}

for name in "${dtbs[@]}"; do
	dtb=$dir/$name.dtb
	$fdt_test dump "$dtb" >"$dir/$name.found" 2>&1
	expected_facts "$dtb" >"$dir/$name.expected"
	if [ ! -s "$dir/$name.expected" ]; then
		fail "$name: the oracle found nothing"
	elif diff -u "$dir/$name.expected" "$dir/$name.found" >"$dir/$name.diff"; then
		pass "$name: reader agrees with fdtget ($(grep -c . "$dir/$name.found") facts)"
	else
		fail "$name: reader disagrees with fdtget:"
		cat "$dir/$name.diff"
	fi
done

# The facts the QEMU command lines fix, so that reader and oracle cannot
# both be wrong the same way: RAM size and UART of each machine.
expect_fact() {   # NAME FACT
	if grep -qxF "$2" "$dir/$1.found"; then pass "$1: $2"; else fail "$1: no \"$2\""; fi
}
expect_fact riscv-virt "memory 0x80000000 0x10000000"
expect_fact riscv-virt "uart ns16550 0x10000000 0 1"
expect_fact riscv-virt-numa "memory 0x80000000 0x20000000"
expect_fact riscv-virt-numa "memory 0xa0000000 0x20000000"
expect_fact riscv-sifive-u "uart sifive 0x10010000 0 1"
expect_fact bcm2837-rpi-3-b "uart ns16550 0x3f215040 2 4"
expect_fact bcm2711-rpi-4-b "uart ns16550 0xfe215040 2 4"
expect_fact arm64-virt "memory 0x40000000 0x18000000"
expect_fact arm64-virt "uart pl011 0x9000000 0 1"
expect_fact arm64-virt-highmem "memory 0x40000000 0x180000000"
expect_fact sample "reserved 0x50000000 0x800000"
expect_fact sample "uart ns16550 0x9000000 2 4"

# Damaged blobs.
for name in riscv-virt arm64-virt sample; do
	[ -f "$dir/$name.dtb" ] || continue
	$fdt_test malformed "$dir/$name.dtb" >"$dir/$name.malformed" 2>&1
	rc=$?
	count_verdicts "$dir/$name.malformed" $rc "$name malformed: fdt_test" "$name malformed: "
done

# Not a DTB at all: a clear error, not a crash.
head -c 4096 /dev/urandom >"$dir/garbage.dtb"
$fdt_test dump "$dir/garbage.dtb" >"$dir/garbage.found" 2>&1
if grep -q '^error -22 bad magic' "$dir/garbage.found"; then
	pass "random bytes: $(cat "$dir/garbage.found")"
else
	fail "random bytes: $(head -n 3 "$dir/garbage.found")"
fi
suite_end
