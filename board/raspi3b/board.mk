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

# make image: the microSD card (mk/rpi-image.mk).
RPI_UBOOT_MODEL  := rpi_3
RPI_DTB          := $(RPI3_DTB)
RPI_CONFIG       := board/raspi3b/config.txt
RPI_FIRMWARE     := bootcode.bin start.elf fixup.dat
RPI_FIRST_STAGES := boot ROM -> bootcode.bin -> start.elf (config.txt)
include mk/rpi-image.mk
