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
BOARD_QEMU_ARGS  :=
# Power-off: QEMU's sifive_u has no shutdown device (OpenSBI: "Platform
# Shutdown Device: ---"), so SBI System Reset fails and arch_poweroff()
# falls back to semihosting, which carries the status as QEMU's exit code.
BOARD_QEMU_ARGS  += -semihosting-config enable=on,target=native
QEMU_EXIT_OF_STATUS := s
