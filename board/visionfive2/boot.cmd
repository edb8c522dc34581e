# U-Boot script for the VisionFive 2, run by U-Boot's distro boot from the
# card's FAT partition (U-Boot doc/develop/distro.rst: devtype, devnum,
# distro_bootpart). fdtcontroladdr: the DTB U-Boot runs on, the board's
# own (with its memory size filled in); booti moves the Image to DRAM
# base + text_offset (0x40200000).
setenv bootargs origami.loader=u-boot
load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} origami.bin
booti ${kernel_addr_r} - ${fdtcontroladdr}
