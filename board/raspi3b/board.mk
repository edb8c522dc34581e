# Raspberry Pi 3 Model B (BCM2837: four Cortex-A53, entered at EL2), as
# QEMU's raspi3b models it. QEMU loads the Image at text_offset (2 MiB)
# past DRAM base 0, parks cores 1-3 in its spin-table stub (they wait in
# WFE on their release addresses at 0xd8..0xf0, the DTB's cpu-release-addr,
# until the kernel's SMP start writes them: arch/arm64/smp.c) and enters
# core 0 at EL2 with x0 = the DTB: Debian's bcm2837-rpi-3-b.dtb, the
# one a Pi's firmware hands on, which tools/setup.sh fetches.
BOARD_ARCHES     := arm64
QEMU_MACHINE     := raspi3b
# The BCM2837 model has exactly 1 GiB (QEMU refuses other sizes).
QEMU_MEM         := 1G
QEMU_CPU_DEFAULT :=
BIOS             :=
BOARD_SRCS       := board/raspi3b/board.c
# QEMU's BCM2837 always has its four cores (-smp must say 4).
QEMU_SMP_FIXED   := 4
RPI3_DTB         := build/field/dtbs/bcm2837-rpi-3-b.dtb
# The DTB's stdout-path is serial1, the mini UART (the PL011 serves
# Bluetooth on a Pi 3): QEMU's second serial port, so the first goes
# nowhere and the second to the terminal. QEMU's BCM2837 has no power-off
# device and the Pi has no PSCI: semihosting (arch.mk) carries the status.
# One TCG thread a core (QEMU's default): since the kernel starts all four
# and idles them in WFI, that boot took 63 s against 156 s with
# -accel tcg,thread=single on the loaded 2-core machine (measured).
BOARD_QEMU_ARGS  := -dtb $(RPI3_DTB) -serial null -serial mon:stdio

# make image: the microSD card. The Pi's boot ROM reads the FAT partition:
# bootcode.bin, start.elf and fixup.dat (the Pi firmware, not in Debian's
# main archive: copy them in, see IMAGE_NOTE), then config.txt, which names
# kernel8.img (Debian's U-Boot rpi_3) and the DTB; U-Boot runs boot.scr.
RPI_UBOOT        := build/field/u-boot-rpi/usr/lib/u-boot/rpi_3/u-boot.bin
IMAGE_SIZE_MIB   := 64
IMAGE_BOOT_CMD   := board/raspi3b/boot.cmd
IMAGE_FILES      := $(RPI_UBOOT):kernel8.img $(RPI3_DTB) board/raspi3b/config.txt
IMAGE_MEDIUM     := microSD card
IMAGE_SERIAL     := mini UART on GPIO 14 (TX, pin 8) / 15 (RX, pin 10), GND pin 6: 115200 8N1, 3.3 V TTL
IMAGE_BOOTS       = boot ROM -> bootcode.bin -> start.elf (config.txt) -> kernel8.img (U-Boot rpi_3, EL2) -> boot.scr -> booti origami.bin
IMAGE_NOTE        = the Pi firmware is not in Debian main: copy bootcode.bin start.elf fixup.dat from Raspberry Pi's firmware repository (boot/) or Debian's raspi-firmware (non-free-firmware), e.g. mcopy -i $(IMAGE_DISK)@@1M bootcode.bin start.elf fixup.dat ::
