# Raspberry Pi 4 Model B (BCM2711: four Cortex-A72, GIC-400, entered at EL2
# by the firmware's armstub, cores 1-3 parked on a spin table). QEMU 7.2
# has no model of it: `make image` builds its microSD card, docs/boards.md
# says what the console must show.
BOARD_ARCHES     := arm64
BOARD_SRCS       := board/raspi4/board.c
RPI4_DTB         := build/field/dtbs/bcm2711-rpi-4-b.dtb
# No QEMU machine: `make run` refuses (see the Makefile).
QEMU_MACHINE     :=

# make image: the microSD card (mk/rpi-image.mk).
RPI_UBOOT_MODEL  := rpi_4
RPI_DTB          := $(RPI4_DTB)
RPI_CONFIG       := board/raspi4/config.txt
RPI_FIRMWARE     := start4.elf fixup4.dat
RPI_FIRST_STAGES := boot EEPROM -> start4.elf (config.txt)
include mk/rpi-image.mk
