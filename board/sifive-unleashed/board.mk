# SiFive HiFive Unleashed (FU540-C000: one E51 monitor hart, four U54
# application harts, Sv39 only), as QEMU's sifive_u models it. Debian's
# generic OpenSBI runs on it as on virt and enters the kernel in S-mode on
# the first U54 (hart 1) at 0x80200000 with the DTB QEMU made.
BOARD_ARCHES     := riscv64
QEMU_MACHINE     := sifive_u
QEMU_MEM         := 256M
QEMU_CPU_DEFAULT :=
BIOS             := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
BOARD_SRCS       := board/sifive-unleashed/board.c
# QEMU's sifive_u needs the E51 and at least one U54 (-smp 2 at least):
# the monitor hart and the hart the kernel runs on.
QEMU_SMP_FIXED   := 2
BOARD_QEMU_ARGS  :=
# Power-off: QEMU's sifive_u has no shutdown device (OpenSBI: "Platform
# Shutdown Device: ---"), so SBI System Reset fails and arch_poweroff()
# falls back to semihosting, which carries the status as QEMU's exit code.
BOARD_QEMU_ARGS  += -semihosting-config enable=on,target=native
QEMU_EXIT_OF_STATUS := s

# make image: the FAT boot partition U-Boot's distro boot reads. The
# Unleashed's ZSBL loads U-Boot SPL and U-Boot (with OpenSBI) from GPT
# partitions of the same card (U-Boot doc/board/sifive/unleashed.rst), which
# Debian builds only for riscv64 (u-boot-sifive): this image carries the
# boot partition, and docs/boards.md says how to add the firmware.
IMAGE_SIZE_MIB   := 64
IMAGE_BOOT_CMD   := board/visionfive2/boot.cmd
# (the same script as the VisionFive 2: U-Boot's own DTB, booti)
IMAGE_FILES      :=
IMAGE_MEDIUM     := microSD card
IMAGE_SERIAL     := the micro-USB port's second FTDI channel (/dev/ttyUSB1): 115200 8N1
IMAGE_BOOTS       = ZSBL -> U-Boot SPL -> OpenSBI + U-Boot -> distro boot (mmc 0) -> boot.scr -> booti origami.bin
IMAGE_NOTE        = the card also needs U-Boot SPL and U-Boot (u-boot-sifive) in their GPT partitions; docs/boards.md has the steps
