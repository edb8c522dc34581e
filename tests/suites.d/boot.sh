#!/bin/bash
# test-arch: per-arch
# Boot tests: for every arch whose port exists, build it, boot it in QEMU
# and check the banner, the exit status, the expected-fault hook
# (test.probe), the trap report of each deliberate fault (test.fault) and
# that a hang is reported as a timeout (test.hang). The same checks run on
# every arch: the banner and the trap report are printed by core/.
set -u
. tests/boot/suite.sh

EXIT_OK=0 EXIT_TRAP=3 TIMEOUT_RC=124
# The boots below the plain one check lines of the boot itself (banner,
# paging and mmu: lines, cmdline, probes, trap reports, exit status), none
# of the suites that run after it: those are skipped there (the plain
# boot runs them; the matrix suite runs the MMU suite in every mode).
QUICK='test.mmu=off test.vm=off tasks.demo=off'

# Boots of one arch on another QEMU configuration, for what the plain boots
# cannot show, one per line: arch|case|QEMU options|bootargs|exit status|a
# line the log must have. riscv64: the paging line follows what satp accepts
# and the ISA string's extensions; a push on a wild sp still reports (the
# trap stack); both memory nodes of a NUMA machine become RAM. arm64-el2: entered at EL2, the kernel drops to EL1 and its EL1
# vectors still report a trap; arm64's paging line follows the ID registers
# (every mode on max, neither 16K nor 52 bits on Cortex-A57) (U-Boot's
# boot.scr and FIT paths are the boards suite's); every mode turns translation on, on max and on Cortex-A57 (the
# trampoline of arch/arm64/mmu_arch.c leaves the boot map's 4K/48 for
# it); a push on a wild kernel SP reports from the exception stack;
# without semihosting (real boards) PSCI SYSTEM_OFF powers off, by HVC or by
# SMC as the DTB says (a hang would time out). x86_64: the paging line
# follows CPUID (5-level and 1 GiB pages on max, neither on qemu64); the
# Multiboot memory map reaches above 4 GiB (-m 5G: QEMU's pc keeps 3 GiB
# below the PCI hole and puts 2 GiB at 4 GiB) and that RAM is in the
# kernel's direct map and, once the kernel's set is on, in the frame
# allocator; a CPU without NX runs with translation on and still
# reports fetch faults as such; a stack overflow reports as a double fault
# (IST stack). x86_64's depth is chosen by boot.S before long mode (the
# first mmu.mode= word, as the kernel reads it; a near miss is no
# request), and every x86 row ends with the kernel's set in CR3.
# The mmu: line names the mode the kernel chose: the deepest the CPU runs
# (by VA bits, then the list's order: arm64-4k-52 before arm64-64k-52), or
# mmu.mode=NAME, with a message and the deepest when the CPU lacks it (a
# name the arch does not have is refused: exit status 1); without Page1GB, x86-64 has no 1G pages; the console UART
# is device memory in the dump (RISC-V: only with Svpbmt).
# More than one line to check: further |-separated fields (so no | inside
# a regex).
CONFIGS='
riscv64|cpu-extensions|-cpu rv64,svnapot=on,svpbmt=on,svinval=on||0|^paging: sv39 sv48 sv57 \+svnapot \+svpbmt \+svinval$
riscv64|cpu-no-mmu|-cpu rv64,mmu=off||2|^panic: riscv64: satp does not take Sv39: this kernel needs an MMU$|^ORIGAMI-EXIT: 2$
riscv64|mmu-default|||0|^mmu: sv57 \(57-bit VA, 5 levels, pages 4K 2M 1G 512G 256T\)$
riscv64|mmu-sv48||mmu.mode=sv48|0|^mmu: sv48 \(48-bit VA, 4 levels, pages 4K 2M 1G 512G\)$
riscv64|mmu-sv39||mmu.mode=sv39|0|^mmu: sv39 \(39-bit VA, 3 levels, pages 4K 2M 1G\)$
riscv64|mmu-unknown||mmu.mode=sv64|1|^mmu: mmu.mode=sv64: no such paging mode of riscv64; its modes: sv39 sv48 sv57$|^ORIGAMI-EXIT: 1$
riscv64|mmu-svpbmt|-cpu rv64,svpbmt=on,svnapot=on||0|^mmu: sv57 \(57-bit VA, 5 levels, pages 4K 64K 2M 1G 512G 256T\)$|-> 0x0000000010000000 +1 x 4K +rw-- +device +global$
riscv64|wild-sp||test.fault=stack|3|^TRAP: store/AMO page fault
riscv64|numa|-m 512M -smp 2 -numa node,mem=256M,cpus=0 -numa node,mem=256M,cpus=1||0|^ram: 0x0000000090000000-0x
arm64|el2|-machine virtualization=on||0|^cpu: .*, entered at EL2$|^mmu: translation on with the kernel.s set \(arm64-4k-52,
arm64|el2-trap|-machine virtualization=on|test.fault=load|3|^TRAP: data abort
arm64|cpu-max|-cpu max||0|^paging: arm64-4k-48 arm64-16k-48 arm64-64k-48 arm64-4k-52 arm64-16k-52 arm64-64k-52 \+contig pa52$|^mmu: arm64-4k-52 \(52-bit VA, 5 levels, pages 4K 64K 2M 32M 1G 16G 512G\)$|-> 0x0000000009000000 +1 x 4K +rw-- +device +global$|^mmu: translation on with the kernel.s set \(arm64-4k-52,
arm64|cpu-a57|-cpu cortex-a57||0|^paging: arm64-4k-48 arm64-64k-48 \+contig pa44$|^mmu: arm64-4k-48 \(48-bit VA, 4 levels, pages 4K 64K 2M 32M 1G 16G\)$|^mmu: translation on with the kernel.s set \(arm64-4k-48,
arm64|mmu-a57-no-16k|-cpu cortex-a57|mmu.mode=arm64-16k-48|0|^mmu: mmu.mode=arm64-16k-48: not supported by this CPU; using arm64-4k-48$|^mmu: arm64-4k-48 \(|^mmu: translation on with the kernel.s set \(arm64-4k-48,
arm64|mmu-a57-64k|-cpu cortex-a57|mmu.mode=arm64-64k-48|0|^mmu: arm64-64k-48 \(48-bit VA, 3 levels, pages 64K 2M 512M 16G\)$|^mmu: translation on with the kernel.s set \(arm64-64k-48,
arm64|mmu-4k-48||mmu.mode=arm64-4k-48|0|^mmu: arm64-4k-48 \(48-bit VA, 4 levels, pages 4K 64K 2M 32M 1G 16G\)$|^mmu: translation on with the kernel.s set \(arm64-4k-48,
arm64|mmu-16k||mmu.mode=arm64-16k-48|0|^mmu: arm64-16k-48 \(48-bit VA, 4 levels, pages 16K 2M 32M 1G\)$|^mmu: self-check passed|^mmu: translation on with the kernel.s set \(arm64-16k-48,
arm64|mmu-64k-48||mmu.mode=arm64-64k-48|0|^mmu: arm64-64k-48 \(48-bit VA, 3 levels, pages 64K 2M 512M 16G\)$|^mmu: self-check passed|^mmu: translation on with the kernel.s set \(arm64-64k-48,
arm64|mmu-64k-52||mmu.mode=arm64-64k-52|0|^mmu: arm64-64k-52 \(52-bit VA, 3 levels, pages 64K 2M 512M 16G 4T\)$|^mmu: self-check passed|^mmu: translation on with the kernel.s set \(arm64-64k-52,
arm64|wild-sp||test.fault=stack|3|^TRAP: data abort: translation fault
arm64|psci-hvc|-semihosting-config enable=off||0|^ORIGAMI-EXIT: 0$
arm64|psci-smc|-machine virtualization=on -semihosting-config enable=off||0|^ORIGAMI-EXIT: 0$
x86_64|cpu-max|-cpu max||0|^paging: x86-64-4level x86-64-5level \+1g \+nx$|^mmu: x86-64-5level \(57-bit VA, 5 levels, pages 4K 2M 1G\)$|^x86: paging controls: PGE NXE SMEP SMAP|^mmu: translation on with the kernel.s set \(x86-64-5level, root 0x[0-9a-f]+\)
x86_64|cpu-qemu64|-cpu qemu64||0|^paging: x86-64-4level \+nx$|^mmu: x86-64-4level \(48-bit VA, 4 levels, pages 4K 2M\)$|^x86: paging controls: PGE NXE \(no PCID\)$|^mmu: translation on with the kernel.s set \(x86-64-4level, root 0x[0-9a-f]+\)
x86_64|mmu-4level||mmu.mode=x86-64-4level|0|^mmu: x86-64-4level \(48-bit VA, 4 levels, pages 4K 2M 1G\)$|^mmu: translation on with the kernel.s set \(x86-64-4level, root 0x[0-9a-f]+\)
x86_64|mmu-first-wins|-cpu max|mmu.mode=x86-64-4level mmu.mode=x86-64-5level|0|^mmu: x86-64-4level \(48-bit VA|^mmu: translation on with the kernel.s set \(x86-64-4level, root 0x[0-9a-f]+\)
x86_64|mmu-qemu64-no-5level|-cpu qemu64|mmu.mode=x86-64-5level|0|^mmu: mmu.mode=x86-64-5level: not supported by this CPU; using x86-64-4level$|^mmu: translation on with the kernel.s set \(x86-64-4level, root 0x[0-9a-f]+\)
x86_64|mmu-unknown||mmu.mode=x86-64-4levelx|1|^mmu: mmu.mode=x86-64-4levelx: no such paging mode of x86_64; its modes: x86-64-4level x86-64-5level$|^ORIGAMI-EXIT: 1$
x86_64|mmu-other-arch||mmu.mode=sv48|1|^mmu: mmu.mode=sv48: no such paging mode of x86_64; its modes: x86-64-4level x86-64-5level$|^ORIGAMI-EXIT: 1$
x86_64|ram-above-4g|-m 5G||0|^ram: 0x0000000100000000-0x000000017fffffff \(2097152 KiB\)$|^frames: RAM above the boot map.s 4G window added$|^mmu: +0xffff800100000000-0xffff80017fffffff -> 0x0000000100000000 +2 x 1G +rw-- +normal +global$|^mmu: translation on with the kernel.s set \(x86-64-5level, root 0x[0-9a-f]+\)
x86_64|no-nx|-cpu qemu64,-nx|test.probe=0|0|^x86: paging controls: PGE \(no NX\) \(no PCID\)$|^mmu: translation on with the kernel.s set \(x86-64-4level, root 0x[0-9a-f]+\)|^test.probe: exec 0x0: rc -14, trapped: #PF page fault \(exec|^test.probe: passed$
x86_64|stack-overflow||test.fault=stack|3|^TRAP: #DF double fault
'

# boot ARCH NAME BOOTARGS [TIMEOUT [RUNNER OPTIONS...]]: sets $log and $rc.
boot() {
	log=build/tests/boot/$1-$2.log
	tests/qemu/run-qemu.sh --arch "$1" --bootargs "$3" --timeout "${4:-120}" \
		--log "$log" "${@:5}" >"$log.runner" 2>&1
	rc=$?
}


mkdir -p build/tests/boot
for arch in $(test_arches); do
	echo "--- $arch"
	if ! make -s ARCH="$arch" all >build/tests/boot/$arch-build.log 2>&1; then
		fail "$arch: build (log: build/tests/boot/$arch-build.log)"
		continue
	fi
	pass "$arch: build"
	# The MMU layer's host-only introspection stays out of the kernel.
	if nm "build/$arch-$(make -s ARCH="$arch" default-board)/origami.elf" | grep -q ' mmu_host_'; then
		fail "$arch: mmu_host_* symbols in the kernel"
	else
		pass "$arch: no mmu_host_* symbol in the kernel"
	fi
	BAD_PA=
	. "build/$arch-$(make -s ARCH="$arch" default-board)/qemu.env"

	boot "$arch" plain ""
	expect_rc "$arch boot" $EXIT_OK
	expect "$arch banner" '^Origami [0-9]' "^arch: $arch\$" '^board: [a-z]' '^cpu: .' \
		'^paging: .' '^ram: 0x[0-9a-f]+-0x[0-9a-f]+ \([0-9]+ KiB\)$' "^ORIGAMI-EXIT: $EXIT_OK\$"
	# The kernel's address space (core/mmu_boot.c): the mode, the image W^X
	# in the dump, the self-check through mmu_find, the switch to it and the
	# MMU suite on the live MMU (the matrix suite runs every mode).
	expect "$arch kernel address space" \
		'^mmu: [a-z0-9-]+ \([0-9]+-bit VA, [0-9]+ levels, pages [0-9KMGTP ]+\)$' \
		'^mmu: +0x[0-9a-f]+-0x[0-9a-f]+ -> 0x[0-9a-f]+ +[0-9]+ x [0-9]+[KMG] +r-x- +normal +global$' \
		'^mmu: +0x[0-9a-f]+-0x[0-9a-f]+ -> 0x[0-9a-f]+ +[0-9]+ x [0-9]+[KMG] +r--- +normal +global$' \
		'^mmu: +0x[0-9a-f]+-0x[0-9a-f]+ -> 0x[0-9a-f]+ +[0-9]+ x [0-9]+[KMG] +rw-- +normal +global$' \
		'^mmu: self-check passed' "^mmu: translation on with the kernel's set \\(" \
		'^mmu-suite: [a-z0-9-]+: [0-9]+ passed, 0 failed$'

	boot "$arch" bootargs "origami.test=one two $QUICK"
	expect "$arch bootargs reach the kernel" "^cmdline: origami.test=one two $QUICK\$"

	if [ -n "$BAD_PA" ]; then
		boot "$arch" probe "test.probe=$BAD_PA $QUICK"
		expect_rc "$arch test.probe=$BAD_PA" $EXIT_OK
		expect "$arch expected faults resume" '^test.probe: kernel memory: read, write, exec ok$' \
			'^test.probe: read .*rc -14, trapped' '^test.probe: write .*rc -14, trapped' \
			'^test.probe: exec .*rc -14, trapped' '^test.probe: passed$'
	else
		fail "$arch: arch.mk sets no BAD_PA for test.probe"
	fi

	for kind in load store exec undef; do
		boot "$arch" "fault-$kind" "test.fault=$kind $QUICK"
		expect_rc "$arch test.fault=$kind" $EXIT_TRAP
		case $kind in
		load) access='read' addr='0x[0-9a-f]+' ;;
		store) access='write' addr='0x[0-9a-f]+' ;;
		exec) access='exec' addr='0x[0-9a-f]+' ;;
		undef) access='-' addr='(none|0x[0-9a-f]+)' ;;
		esac
		expect "$arch test.fault=$kind report" '^TRAP: .' '^  pc: +0x[0-9a-f]+$' \
			"^  addr: +$addr\$" "^  access: $access\$" '^registers:$' \
			'^backtrace:$' '^  #0 0x[0-9a-f]+$' "^ORIGAMI-EXIT: $EXIT_TRAP\$"
	done
	# The backtrace walks real frames: through the runner's addr2line, the
	# load fault's frames lead back through kmain to the arch's entry.
	log=build/tests/boot/$arch-fault-load.log.runner
	expect "$arch backtrace reaches kmain" '^  arch_trigger_fault at ' '(^|by\) )kmain at .*core/main\.c'


	boot "$arch" fault-unknown "test.fault=bogus $QUICK"
	expect_rc "$arch test.fault=bogus is refused" 1

	boot "$arch" hang "test.hang=1" 3
	expect_rc "$arch test.hang times out" $TIMEOUT_RC

	while IFS='|' read -r config_arch name qemu_args bootargs status lines; do
		[ "$config_arch" = "$arch" ] || continue
		IFS='|' read -ra lines <<<"$lines"
		boot "$arch" "$name" "$bootargs $QUICK" 120 --qemu-args "$qemu_args"
		expect_rc "$arch-$name" "$status"
		expect "$arch-$name" "${lines[@]}"
	done <<<"$CONFIGS"

	# MMU_MODE= reaches the kernel as mmu.mode= through make run.
	if [ "$arch" = riscv64 ]; then
		log=build/tests/boot/riscv64-make-mmu-mode.log
		make -s ARCH=riscv64 run MMU_MODE=sv48 TIMEOUT=30 >"$log" 2>&1
		rc=$?
		expect_rc "riscv64 make run MMU_MODE=sv48" $EXIT_OK
		expect "riscv64 make run MMU_MODE=sv48" '^cmdline: mmu.mode=sv48$' '^mmu: sv48 \('

		# The newer riscv,isa-extensions list wins over the riscv,isa
		# string: QEMU's own DTB of a CPU with Svpbmt, svpbmt moved from
		# the string to the list, gives the UART its device memory type.
		dtb=build/tests/boot/riscv64-isa-extensions.dtb
		rm -f "$dtb"
		$QEMU_SYSTEM $QEMU_ARGS -cpu rv64,svpbmt=on -machine dumpdtb="$dtb" \
			-nographic >/dev/null 2>&1
		if [ -f "$dtb" ] && fdtput -t s "$dtb" /cpus/cpu@0 riscv,isa rv64imac &&
			fdtput -t s "$dtb" /cpus/cpu@0 riscv,isa-extensions i m a c svpbmt; then
			boot riscv64 isa-extensions "" 30 --cpu rv64,svpbmt=on --qemu-args "-dtb $dtb"
			expect_rc "riscv64-isa-extensions" $EXIT_OK
			expect "riscv64-isa-extensions" '^paging: sv39 sv48 sv57 \+svpbmt$' \
				'-> 0x0000000010000000 +1 x 4K +rw-- +device +global$'
		else
			fail "riscv64-isa-extensions: could not make the DTB"
		fi
	fi

done
suite_end
