# StarFive VisionFive 2 (JH7110: four SiFive U74 harts, Sv39 only, 8250
# UARTs with reg-shift 2). Its own firmware in SPI flash (U-Boot SPL,
# OpenSBI, U-Boot) starts from DRAM at 0x40000000 and boots from the
# microSD card with distro boot: boot.scr, booti, the DTB of U-Boot's
# own. QEMU 7.2 has no model of it: `make image` builds its card.
BOARD_ARCHES     := riscv64
BOARD_SRCS       := board/visionfive2/board.c
QEMU_MACHINE     :=

IMAGE_SIZE_MIB   := 64
IMAGE_BOOT_CMD   := board/visionfive2/boot.cmd
IMAGE_FILES      :=
IMAGE_MEDIUM     := microSD card
IMAGE_SERIAL     := UART0 on the 40-pin header: TX pin 8, RX pin 10, GND pin 6: 115200 8N1, 3.3 V TTL
IMAGE_BOOTS       = boot mode switches RGPIO_0/1 low (QSPI flash, the default): SPI flash: U-Boot SPL -> OpenSBI -> U-Boot -> distro boot (mmc 1) -> boot.scr -> booti origami.bin
