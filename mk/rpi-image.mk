# The Raspberry Pis' microSD card (board/raspi3b, board/raspi4: one shape).
# The boot ROM (Pi 3) or boot EEPROM (Pi 4) reads the FAT partition: the
# Pi firmware (not in Debian's main archive: copied in by hand, see
# IMAGE_NOTE), then config.txt, which names kernel8.img (Debian's U-Boot
# for the model) and the DTB; U-Boot runs boot.scr (the Pi 3's boot.cmd
# serves both). The board.mk sets, before including this:
#   RPI_UBOOT_MODEL  Debian's U-Boot build: rpi_3, rpi_4
#   RPI_DTB          the DTB the firmware hands on
#   RPI_CONFIG       its config.txt
#   RPI_FIRMWARE     the firmware files to copy in
#   RPI_FIRST_STAGES the boot chain before kernel8.img
RPI_UBOOT        := build/field/u-boot-rpi/usr/lib/u-boot/$(RPI_UBOOT_MODEL)/u-boot.bin
IMAGE_SIZE_MIB   := 64
IMAGE_BOOT_CMD   := board/raspi3b/boot.cmd
IMAGE_FILES      := $(RPI_UBOOT):kernel8.img $(RPI_DTB) $(RPI_CONFIG)
IMAGE_MEDIUM     := microSD card
IMAGE_SERIAL     := mini UART on GPIO 14 (TX, pin 8) / 15 (RX, pin 10), GND pin 6: 115200 8N1, 3.3 V TTL
IMAGE_BOOTS       = $(RPI_FIRST_STAGES) -> kernel8.img (U-Boot $(RPI_UBOOT_MODEL), EL2) -> boot.scr -> booti origami.bin
IMAGE_NOTE        = the Pi firmware is not in Debian main: copy $(RPI_FIRMWARE) from Raspberry Pi's firmware repository (boot/) or Debian's raspi-firmware (non-free-firmware), e.g. mcopy -i $(IMAGE_DISK)@@1M $(RPI_FIRMWARE) ::
