# Raspberry Pi 4 Model B (BCM2711: four Cortex-A72, GIC-400, entered at EL2
# by the firmware's armstub, cores 1-3 parked on a spin table). QEMU 7.2
# has no model of it: `make image` builds its microSD card, docs/boards.md
# says what the console must show.
BOARD_ARCHES     := arm64
BOARD_SRCS       := board/raspi4/board.c
RPI4_DTB         := build/field/dtbs/bcm2711-rpi-4-b.dtb
# No QEMU machine: `make run` refuses (see the Makefile).
QEMU_MACHINE     :=

# make image: the Pi 4's boot EEPROM reads the FAT partition: start4.elf
# and fixup4.dat (the Pi firmware, not in Debian's main archive: copy them
# in, see IMAGE_NOTE), then config.txt, which names kernel8.img (Debian's
# U-Boot rpi_4) and the DTB; U-Boot runs boot.scr.
RPI_UBOOT        := build/field/u-boot-rpi/usr/lib/u-boot/rpi_4/u-boot.bin
IMAGE_SIZE_MIB   := 64
IMAGE_BOOT_CMD   := board/raspi3b/boot.cmd
IMAGE_FILES      := $(RPI_UBOOT):kernel8.img $(RPI4_DTB) board/raspi4/config.txt
IMAGE_MEDIUM     := microSD card
IMAGE_SERIAL     := mini UART on GPIO 14 (TX, pin 8) / 15 (RX, pin 10), GND pin 6: 115200 8N1, 3.3 V TTL
IMAGE_BOOTS       = boot EEPROM -> start4.elf (config.txt) -> kernel8.img (U-Boot rpi_4, EL2) -> boot.scr -> booti origami.bin
IMAGE_NOTE        = the Pi firmware is not in Debian main: copy start4.elf fixup4.dat from Raspberry Pi's firmware repository (boot/) or Debian's raspi-firmware (non-free-firmware), e.g. mcopy -i $(IMAGE_DISK)@@1M start4.elf fixup4.dat ::
