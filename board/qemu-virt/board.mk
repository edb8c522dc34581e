# QEMU's "virt" machine, for riscv64 and arm64: the per-arch settings are
# in $(ARCH).mk, the console before the DTB in early_uart_$(ARCH).c.
BOARD_ARCHES := riscv64 arm64
QEMU_MACHINE := virt
QEMU_MEM     := 256M
BOARD_SRCS   := board/qemu-virt/early_uart_$(ARCH).c
include board/qemu-virt/$(ARCH).mk

# make image: a disk for U-Boot (Debian's u-boot-qemu) on this machine,
# attached as virtio-blk; the QEMU line is what tests/suites.d/boards.sh runs.
IMAGE_SIZE_MIB := 64
IMAGE_BOOT_CMD := board/qemu-virt/boot.cmd
IMAGE_MEDIUM   :=
IMAGE_SERIAL   := QEMU -nographic: the first serial port on the terminal
