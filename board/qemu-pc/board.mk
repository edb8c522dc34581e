# QEMU's i440FX PC: SeaBIOS loads the image given to -kernel through its
# Multiboot loader (at 1 MiB, arch/x86_64/kernel.ld); COM1 is the console.
BOARD_ARCHES := x86_64
QEMU_MACHINE := pc
QEMU_MEM := 128M
QEMU_CPU_DEFAULT := max
BOARD_SRCS := board/qemu-pc/board.c

# isa-debug-exit: writing s to the port ends QEMU with exit code (s << 1) | 1
# (QEMU hw/misc/debugexit.c), which no other way out of QEMU gives: a triple
# fault under the runner's -no-reboot exits 0. The port is board.h's, the
# one place it is written. No NIC: its option ROM (iPXE) only slows the
# boot down.
BOARD_EXIT_PORT := $(shell sed -n 's/^\#define BOARD_EXIT_PORT[[:space:]]*//p' board/qemu-pc/board.h)
BOARD_QEMU_ARGS := -device isa-debug-exit,iobase=$(BOARD_EXIT_PORT),iosize=0x04 -nic none
QEMU_EXIT_OF_STATUS := (s<<1)|1

# make image: a FAT disk with the Multiboot ELF and a GRUB menu entry for
# it. A PC boots it through a GRUB already installed (configfile or the
# entry copied into its grub.cfg), or QEMU boots the ELF with -kernel.
IMAGE_SIZE_MIB   := 64
IMAGE_BOOT_CMD   :=
IMAGE_FILES      := board/qemu-pc/grub.cfg
IMAGE_MEDIUM     := USB stick or disk partition read by an installed GRUB
IMAGE_SERIAL     := COM1 (0x3f8): 115200 8N1 as the firmware left it
IMAGE_BOOTS       = GRUB: multiboot /origami.elf (grub.cfg on the disk); QEMU: make run
