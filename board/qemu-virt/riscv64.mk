# Debian's OpenSBI as the M-mode firmware; -kernel loads the Image at
# 0x80200000, where fw_dynamic jumps in S-mode.
BIOS             := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
QEMU_CPU_DEFAULT := rv64
BOARD_QEMU_ARGS  :=
