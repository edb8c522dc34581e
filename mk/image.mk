# `make image BOARD=...`: the board's flashable image, build/<arch>-<board>/
# image/disk.img, from what board/<board>/board.mk says (the variables
# below), then the dd line and the serial settings. Included by the
# top-level Makefile after board.mk.
#
# ---- What a board.mk sets for its image ----
#   IMAGE_SIZE_MIB  the whole image (MBR, one FAT32 partition from 1 MiB)
#   IMAGE_BOOT_CMD  the U-Boot script source (board/<board>/boot.cmd):
#                   compiled to boot.scr with mkimage -T script; empty
#                   for a board without U-Boot (qemu-pc)
#   IMAGE_FILES     SRC[:DEST] pairs copied into the FAT besides boot.scr
#                   and the kernel (origami.bin, or origami.elf on x86)
#   IMAGE_FIT_ITS   optional: a FIT source (kernel + DTB, hashed); the
#                   image then holds origami.itb, which boot.cmd prefers
#   IMAGE_FIT_DTB   the DTB the FIT carries
#   IMAGE_MEDIUM    what to write it to ("microSD card"); empty: QEMU only
#   IMAGE_SERIAL    where and how the console appears
#   IMAGE_BOOTS     how the board starts it, one line
#   IMAGE_NOTE      optional: what the image leaves to the user
#   MKIMAGE_ARCH    mkimage -A value (arch.mk)

IMAGE_DIR  := $(BUILD)/image
IMAGE_DISK := $(IMAGE_DIR)/disk.img
IMAGE_KERNEL_NAME := $(if $(filter %.elf,$(KERNEL_IMAGE)),origami.elf,origami.bin)

.PHONY: image
$(IMAGE_DIR)/boot.scr: $(IMAGE_BOOT_CMD) $(BOARD_MK)
	@mkdir -p $(dir $@)
	@$(ECHO) "  MKIMAGE $@"
	$(Q)mkimage -A $(MKIMAGE_ARCH) -O linux -T script -C none -n "origami $(BOARD)" \
		-d $< $@ >/dev/null

# The FIT source names its parts by the placeholders @KERNEL@ and @DTB@,
# filled in here with the build's paths.
$(IMAGE_DIR)/origami.itb: $(IMAGE_FIT_ITS) $(KERNEL_IMAGE) $(IMAGE_FIT_DTB)
	@mkdir -p $(dir $@)
	@$(ECHO) "  MKIMAGE $@"
	$(Q)sed -e 's|@KERNEL@|$(abspath $(KERNEL_IMAGE))|' -e 's|@DTB@|$(abspath $(IMAGE_FIT_DTB))|' \
		$(IMAGE_FIT_ITS) >$(IMAGE_DIR)/origami.its
	$(Q)mkimage -f $(IMAGE_DIR)/origami.its $@ >/dev/null

IMAGE_PARTS := $(KERNEL_IMAGE):$(IMAGE_KERNEL_NAME) $(if $(IMAGE_BOOT_CMD),$(IMAGE_DIR)/boot.scr) $(IMAGE_FILES) \
	$(if $(IMAGE_FIT_ITS),$(IMAGE_DIR)/origami.itb)

image: setup
	$(Q)$(MAKE) --no-print-directory all $(if $(IMAGE_BOOT_CMD),$(IMAGE_DIR)/boot.scr) $(if $(IMAGE_FIT_ITS),$(IMAGE_DIR)/origami.itb)
	$(Q)tools/mkdisk.sh $(IMAGE_DISK) $(IMAGE_SIZE_MIB) ORIGAMI $(IMAGE_PARTS)
	@echo "image: $(IMAGE_DISK) ($(IMAGE_SIZE_MIB) MiB: MBR, FAT32 boot partition)"
	@mdir -b -i $(IMAGE_DISK)@@1M | sed 's|^::/|  |'
	@echo "boots: $(IMAGE_BOOTS)"
ifneq ($(IMAGE_MEDIUM),)
	@echo "flash: write it to the $(IMAGE_MEDIUM); replace /dev/sdX with its device"
	@echo "       (lsblk before and after inserting it; every byte on that device is lost):"
	@echo "  dd if=$(IMAGE_DISK) of=/dev/sdX bs=4M conv=fsync status=progress"
endif
	@echo "serial: $(IMAGE_SERIAL)"
	$(if $(IMAGE_NOTE),@echo "note: $(IMAGE_NOTE)")
