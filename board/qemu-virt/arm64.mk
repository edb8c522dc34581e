# No firmware: QEMU loads the Image and enters it at EL1 with x0 = DTB.
# -cpu max offers every paging feature QEMU emulates (LPA2, 52-bit VA).
BIOS             :=
QEMU_CPU_DEFAULT := max
BOARD_QEMU_ARGS  :=
