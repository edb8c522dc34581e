# No firmware: QEMU loads the Image and enters it at EL1 with x0 = DTB.
# -cpu max offers every paging feature QEMU emulates (LPA2, 52-bit VA).
BIOS             :=
QEMU_CPU_DEFAULT := max
BOARD_QEMU_ARGS  :=
# U-Boot as the firmware (-bios, at EL1 here), then distro boot from
# virtio-blk: no -kernel, so U-Boot's fw_cfg boot finds nothing first.
UBOOT            := /usr/lib/u-boot/qemu_arm64/u-boot.bin
IMAGE_BOOTS       = $(QEMU_SYSTEM) -M virt -cpu max -m $(QEMU_MEM) -bios $(UBOOT) -drive file=$(IMAGE_DISK),format=raw,if=none,id=hd0 -device virtio-blk-device,drive=hd0 -nographic
# The FIT image: the Image and QEMU's own DTB for this machine (dumped by
# QEMU itself), each with a SHA-256 that bootm checks.
IMAGE_FIT_ITS    := board/qemu-virt/arm64.its
IMAGE_FIT_DTB    := $(BUILD)/image/qemu-virt.dtb
$(IMAGE_FIT_DTB): $(BOARD_MK) board/qemu-virt/arm64.mk
	@mkdir -p $(dir $@)
	$(Q)$(QEMU_SYSTEM) -M $(QEMU_MACHINE),dumpdtb=$@.raw -cpu max -m $(QEMU_MEM) -nographic >/dev/null 2>&1
	$(Q)dtc -q -I dtb -O dtb -o $@ $@.raw   # QEMU pads its blob to 1 MiB
	$(Q)rm -f $@.raw
