# U-Boot script for QEMU virt (riscv64 and arm64), run by U-Boot's distro
# boot from the disk's boot partition, which sets devtype, devnum and
# distro_bootpart (U-Boot doc/develop/distro.rst). The FIT image when the
# disk has one (kernel and DTB, their hashes checked by bootm), else the
# Image with booti and U-Boot's own DTB (QEMU's, from fw_cfg).
setenv bootargs origami.loader=u-boot
if load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} origami.itb; then
	setenv bootargs origami.loader=u-boot-fit
	bootm ${kernel_addr_r}
fi
load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} origami.bin
booti ${kernel_addr_r} - ${fdtcontroladdr}
