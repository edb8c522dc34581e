# Debian's OpenSBI as the M-mode firmware; -kernel loads the Image at
# 0x80200000, where fw_dynamic jumps in S-mode.
BIOS             := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
QEMU_CPU_DEFAULT := rv64
BOARD_QEMU_ARGS  :=
# U-Boot in S-mode as OpenSBI's payload, then distro boot from virtio-blk.
UBOOT            := /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
IMAGE_BOOTS       = $(QEMU_SYSTEM) -M virt -m $(QEMU_MEM) -bios $(BIOS) -kernel $(UBOOT) -drive file=$(IMAGE_DISK),format=raw,if=none,id=hd0 -device virtio-blk-device,drive=hd0 -nographic
