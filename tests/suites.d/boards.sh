#!/bin/bash
# test-arch: per-arch
# Boards (docs/boards.md): every board's `make image` and its layout, then
# the boots a board does, in QEMU where QEMU models it, each to the end of
# the kernel's MMU suite with the exit status reaching the runner:
# - U-Boot's distro boot from the image's disk (virtio-blk): boot.scr and
#   booti on riscv64 and arm64, the hashed FIT on arm64;
# - sifive-unleashed (QEMU sifive_u): the SiFive UART, the board's Sv39
#   ceiling over the DTB's sv48 with its message, semihosting's exit;
# - raspi3b (QEMU raspi3b) with Debian's Pi 3 DTB: entered at EL2, the mini
#   UART behind /soc's ranges, the three other cores started through the
#   DTB's spin table (their release words in the reserved page 0), Device
#   memory in the boot map (AT S1E1R says
#   so: QEMU models no cache to show a Normal mapping's harm); then Debian's U-Boot rpi_3 from the SD card
#   `make image` built;
# - the DTB's mmu-type honoured where the board states none (the
#   visionfive2 build on QEMU virt, whose DTB says riscv,sv48).
set -u
. tests/boot/suite.sh

dir=build/tests/boards
mkdir -p "$dir"
EXIT_OK=0 EXIT_TRAP=3

# What each board's firmware needs in the FAT partition.
files_of() {   # ARCH BOARD
	case $1-$2 in
	riscv64-qemu-virt) echo origami.bin boot.scr ;;
	arm64-qemu-virt) echo origami.bin boot.scr origami.itb ;;
	arm64-raspi3b) echo origami.bin boot.scr kernel8.img bcm2837-rpi-3-b.dtb config.txt ;;
	arm64-raspi4) echo origami.bin boot.scr kernel8.img bcm2711-rpi-4-b.dtb config.txt ;;
	riscv64-visionfive2|riscv64-sifive-unleashed) echo origami.bin boot.scr ;;
	x86_64-qemu-pc) echo origami.elf grub.cfg ;;
	*) echo "(no file list for $1 $2 in tests/suites.d/boards.sh)" ;;
	esac
}

# od of COUNT bytes at OFFSET of FILE, as one string of hex pairs.
bytes() {   # FILE OFFSET COUNT
	od -A n -t x1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# The image of ARCH BOARD: the MBR's one bootable FAT32 partition at 1 MiB,
# the files its firmware reads, the kernel identical to the build's, a
# boot.scr that mkimage decodes as a script which boots origami.bin.
check_image() {   # ARCH BOARD
	local arch=$1 board=$2 name="$1 $2 image" build=build/$1-$2 disk f listing missing=""
	disk=$build/image/disk.img
	log=$dir/$arch-$board-image.log
	if ! make -s ARCH="$arch" BOARD="$board" image >"$log" 2>&1; then
		fail "$name: make image (log: $log)"
		return
	fi
	# A board with a medium to flash gets the exact dd line; QEMU-only
	# boards say how QEMU boots the disk.
	if grep -q '^flash:' "$log"; then
		expect "$name: make image says how to boot, flash and connect" '^boots: .' '^serial: .' \
			"^  dd if=$disk of=/dev/sdX bs=4M conv=fsync status=progress\$"
	else
		expect "$name: make image says how to boot and connect" "^boots: .*$disk" '^serial: .'
	fi
	# MBR: entry 1 = boot flag 0x80, type 0x0c at LBA 2048; signature 55aa.
	if [ "$(bytes "$disk" 446 1)$(bytes "$disk" 450 1)$(bytes "$disk" 454 4)$(bytes "$disk" 510 2)" = 800c0008000055aa ]; then
		pass "$name: MBR with a bootable FAT32 partition at 1 MiB"
	else
		fail "$name: MBR: $(bytes "$disk" 446 16) $(bytes "$disk" 510 2)"
	fi
	listing=$(mdir -b -i "$disk@@1M" 2>&1)
	for f in $(files_of "$arch" "$board"); do
		grep -qx "::/$f" <<<"$listing" || missing="$missing $f"
	done
	if [ -z "$missing" ]; then
		pass "$name: FAT32 holds $(files_of "$arch" "$board")"
	else
		fail "$name: missing in the FAT:$missing ($listing)"
	fi
	rm -rf "$dir/$arch-$board" && mkdir -p "$dir/$arch-$board"
	mcopy -n -i "$disk@@1M" '::*' "$dir/$arch-$board/" 2>/dev/null
	f=$dir/$arch-$board/origami.bin
	[ "$arch" = x86_64 ] && f=$dir/$arch-$board/origami.elf
	if cmp -s "$f" "$build/${f##*/}"; then
		pass "$name: ${f##*/} is the build's"
	else
		fail "$name: ${f##*/} in the FAT differs from $build/${f##*/}"
	fi
	if [ -f "$dir/$arch-$board/boot.scr" ]; then
		log=$dir/$arch-$board/boot.scr.txt
		mkimage -l "$dir/$arch-$board/boot.scr" >"$log" 2>&1
		# The script's text: after the 64-byte header and the
		# zero-terminated list of part sizes (one part: 8 bytes).
		tail -c +73 "$dir/$arch-$board/boot.scr" >>"$log"
		expect "$name: boot.scr decodes (mkimage -l)" '^Image Type: .*Script' \
			'^load \$\{devtype\} \$\{devnum\}:\$\{distro_bootpart\} \$\{kernel_addr_r\} origami.bin$' \
			'^booti \$\{kernel_addr_r\} - \$\{fdt(controladdr|_addr)\}$'
	fi
	if [ -f "$dir/$arch-$board/origami.itb" ]; then
		log=$dir/$arch-$board/origami.itb.txt
		mkimage -l "$dir/$arch-$board/origami.itb" >"$log" 2>&1
		expect "$name: FIT with the kernel and a DTB, each hashed" '^ Image 0 \(kernel\)' \
			'^ Image 1 \(fdt\)' '^  Hash algo: +sha256' '^ Default Configuration: .origami.$'
	fi
	if [ -f "$dir/$arch-$board/config.txt" ]; then
		log=$dir/$arch-$board/config.txt
		expect "$name: config.txt names kernel8.img and the DTB in the FAT" '^arm_64bit=1$' \
			'^kernel=kernel8.img$' "^device_tree=$(files_of "$arch" "$board" | grep -o '[a-z0-9-]*\.dtb')\$"
		log=$dir/$arch-$board/kernel8.img.txt
		strings "$dir/$arch-$board/kernel8.img" >"$log"
		expect "$name: kernel8.img is Debian's U-Boot" '^U-Boot 20[0-9.]+\+dfsg'
	fi
}

# A boot through the runner: $log, $rc.
boot() {   # NAME RUNNER-ARGS...
	log=$dir/$1.log
	tests/qemu/run-qemu.sh --log "$log" "${@:2}" >"$log.runner" 2>&1
	rc=$?
}

mmu_suite_passed='^mmu-suite: [a-z0-9-]+: [0-9]+ passed, 0 failed$'

arches=" "$(echo $(test_arches))" "
has_arch() { case " $arches " in *" $1 "*) return 0 ;; esac; return 1; }

while read -r arch board; do
	has_arch "$arch" || continue
	echo "--- $arch $board"
	check_image "$arch" "$board"
done < <(make -s boards)

if has_arch riscv64; then
	echo "--- riscv64 boots"
	# U-Boot (S-mode, OpenSBI's payload) runs boot.scr from the disk.
	boot riscv64-uboot-script --arch riscv64 --board qemu-virt --timeout 120 \
		--kernel /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin \
		--qemu-args "-drive file=build/riscv64-qemu-virt/image/disk.img,format=raw,if=none,id=hd0 -device virtio-blk-device,drive=hd0"
	expect_rc "riscv64 U-Boot boot.scr" $EXIT_OK
	expect "riscv64 U-Boot boot.scr" '^Found U-Boot script /boot.scr$' \
		'^Moving Image from 0x84000000 to 0x80200000' '^Starting kernel \.\.\.$' \
		'^cmdline: origami.loader=u-boot$' "$mmu_suite_passed" '^ORIGAMI-EXIT: 0$'

	if make -s ARCH=riscv64 BOARD=sifive-unleashed >"$dir/sifive-build.log" 2>&1; then
		boot sifive-unleashed --arch riscv64 --board sifive-unleashed --timeout 120
		expect_rc "sifive-unleashed (semihosting exit)" $EXIT_OK
		expect "sifive-unleashed: SiFive UART, Sv39 ceiling over the DTB's sv48" \
			'^board: sifive-unleashed$' '^cpu: hart 1, ' \
			"^riscv64: paging ceiling sv39 \\(the board's SoC: riscv,sv39; DTB mmu-type riscv,sv48\\)" \
			'^paging: sv39$' '^mmu: sv39 \(39-bit VA' '^mmu: translation on with the kernel.s set \(sv39,' \
			"$mmu_suite_passed" '^ORIGAMI-EXIT: 0$'
		boot sifive-unleashed-trap --arch riscv64 --board sifive-unleashed --timeout 60 \
			--bootargs test.fault=load
		expect_rc "sifive-unleashed test.fault=load: status 3 through semihosting" $EXIT_TRAP
	else
		fail "sifive-unleashed: build (log: $dir/sifive-build.log)"
	fi

	# A board that states no ceiling trusts its DTB: the VisionFive 2
	# build (its own DTB says riscv,sv39) on QEMU virt, whose DTB says
	# riscv,sv48 although the CPU takes Sv57.
	if make -s ARCH=riscv64 BOARD=visionfive2 >"$dir/visionfive2-build.log" 2>&1; then
		boot visionfive2-on-virt --arch riscv64 --board qemu-virt --timeout 120 \
			--kernel build/riscv64-visionfive2/origami.bin
		expect_rc "DTB mmu-type ceiling (visionfive2 build on virt)" $EXIT_OK
		expect "DTB mmu-type ceiling (visionfive2 build on virt)" '^board: visionfive2$' \
			'^riscv64: paging ceiling sv48 \(the DTB: riscv,sv48; DTB mmu-type riscv,sv48\)' \
			'^paging: sv39 sv48$' '^mmu: sv48 \(48-bit VA' "$mmu_suite_passed"
	else
		fail "visionfive2: build (log: $dir/visionfive2-build.log)"
	fi
fi

if has_arch arm64; then
	echo "--- arm64 boots"
	uboot="-bios /usr/lib/u-boot/qemu_arm64/u-boot.bin"
	disk=build/arm64-qemu-virt/image/disk.img
	# The image's disk holds the FIT, which boot.scr prefers.
	boot arm64-uboot-fit --arch arm64 --board qemu-virt --timeout 120 --kernel none \
		--qemu-args "$uboot -drive file=$disk,format=raw,if=none,id=hd0 -device virtio-blk-device,drive=hd0"
	expect_rc "arm64 U-Boot FIT" $EXIT_OK
	expect "arm64 U-Boot FIT" '^Found U-Boot script /boot.scr$' \
		"^## Loading kernel from FIT Image" '^   Verifying Hash Integrity \.\.\. sha256\+ OK$' \
		"^## Loading fdt from FIT Image" '^Starting kernel \.\.\.$' \
		'^cmdline: origami.loader=u-boot-fit$' "$mmu_suite_passed" '^ORIGAMI-EXIT: 0$'
	# Without the FIT: the same script loads the Image and booti's it.
	plain=$dir/arm64-qemu-virt-booti.img
	if tools/mkdisk.sh "$plain" 64 ORIGAMI build/arm64-qemu-virt/origami.bin \
		build/arm64-qemu-virt/image/boot.scr >"$dir/arm64-booti-disk.log" 2>&1; then
		boot arm64-uboot-booti --arch arm64 --board qemu-virt --timeout 120 --kernel none \
			--qemu-args "$uboot -drive file=$plain,format=raw,if=none,id=hd0 -device virtio-blk-device,drive=hd0"
		expect_rc "arm64 U-Boot boot.scr booti" $EXIT_OK
		expect "arm64 U-Boot boot.scr booti" '^Found U-Boot script /boot.scr$' \
			'^Moving Image from 0x40400000 to 0x40200000' '^Starting kernel \.\.\.$' \
			'^cmdline: origami.loader=u-boot$' "$mmu_suite_passed" '^ORIGAMI-EXIT: 0$'
	else
		fail "arm64 U-Boot booti: could not make the disk (log: $dir/arm64-booti-disk.log)"
	fi

	if make -s ARCH=arm64 BOARD=raspi3b >"$dir/raspi3b-build.log" 2>&1; then
		boot raspi3b --arch arm64 --board raspi3b --timeout 300
		expect_rc "raspi3b" $EXIT_OK
		expect "raspi3b: EL2, the DTB's mini UART behind /soc ranges, Device in the boot map" \
			'^board: raspi3b$' '^cpu: Arm Cortex-A53 .*, entered at EL2$' \
			'^arm64: boot map: console 0x3f215040 is device memory \(MAIR attr 0x04\), its GiB split' \
			'^mmu: +0x[0-9a-f]+-0x[0-9a-f]+ -> 0x000000003f215000 +1 x 4K +rw-- +device' \
			'^reserved: 0x0000000000000000-0x0000000000000fff' \
			'^cpus: 4 \(ids 0 0x1 0x2 0x3' '^smp: 4 of 4 CPUs online' \
			"$mmu_suite_passed" '^ORIGAMI-EXIT: 0$'
		# Debian's U-Boot rpi_3 as kernel8.img, from the SD card image:
		# QEMU loads it as the Pi firmware would load kernel8.img.
		sd=build/arm64-raspi3b/image/disk.img
		if [ -f "$dir/arm64-raspi3b/kernel8.img" ]; then
			boot raspi3b-uboot --arch arm64 --board raspi3b --timeout 300 \
				--kernel "$dir/arm64-raspi3b/kernel8.img" \
				--qemu-args "-drive file=$sd,if=sd,format=raw"
			expect_rc "raspi3b U-Boot rpi_3 from the SD card" $EXIT_OK
			expect "raspi3b U-Boot rpi_3 from the SD card" '^RPI 3 Model B' \
				'^Scanning mmc 0:1\.\.\.$' '^Found U-Boot script /boot.scr$' \
				'^Moving Image from 0x80000 to 0x200000' '^cmdline: origami.loader=u-boot$' \
				'^cpu: Arm Cortex-A53 .*, entered at EL2$' "$mmu_suite_passed" '^ORIGAMI-EXIT: 0$'
		else
			fail "raspi3b U-Boot: no kernel8.img from the image"
		fi
	else
		fail "raspi3b: build (log: $dir/raspi3b-build.log)"
	fi
fi

# Arch and board that do not fit: a clear error naming the right boards.
log=$dir/mismatch.log
make -s ARCH=arm64 BOARD=qemu-pc all >"$log" 2>&1
expect "ARCH=arm64 BOARD=qemu-pc is refused with the boards arm64 has" \
	'BOARD=qemu-pc is a board for ARCH=x86_64, not arm64; boards for ARCH=arm64: qemu-virt'
make -s ARCH=x86_64 BOARD=qemu-virt all >"$log" 2>&1
expect "ARCH=x86_64 BOARD=qemu-virt is refused with the boards x86_64 has" \
	'BOARD=qemu-virt is a board for ARCH=riscv64 arm64, not x86_64; boards for ARCH=x86_64: qemu-pc'
suite_end
