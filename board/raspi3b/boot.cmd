# U-Boot script for the Raspberry Pi 3 Model B and 4 Model B (board/raspi4
# uses it too), run by U-Boot's distro boot
# (U-Boot doc/develop/distro.rst: devtype, devnum and distro_bootpart name
# the partition it came from). fdt_addr: the DTB the Pi's firmware (or
# QEMU) handed U-Boot, with the firmware's memory and reserved regions.
setenv bootargs origami.loader=u-boot
load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} origami.bin
booti ${kernel_addr_r} - ${fdt_addr}
