# QEMU's "virt" machine, for riscv64 and arm64: the per-arch settings are
# in $(ARCH).mk, the console before the DTB in early_uart_$(ARCH).c.
BOARD_ARCHES := riscv64 arm64
QEMU_MACHINE := virt
QEMU_MEM     := 256M
BOARD_SRCS   := board/qemu-virt/early_uart_$(ARCH).c
include board/qemu-virt/$(ARCH).mk
