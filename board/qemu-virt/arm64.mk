# No firmware: QEMU loads the Image and enters it at EL1 with x0 = DTB.
# -cpu max offers every paging feature QEMU emulates (LPA2, 52-bit VA).
BIOS             :=
QEMU_CPU_DEFAULT := max
BOARD_QEMU_ARGS  :=
# hw/arm/virt.c: RAM starts at 1 GiB (arch/arm64/arch.mk links there).
ARM64_DRAM_BASE  := 0x40000000
