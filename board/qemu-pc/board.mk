# QEMU's i440FX PC: SeaBIOS loads the image given to -kernel through its
# Multiboot loader; COM1 is the console.

QEMU_MACHINE := pc
QEMU_MEM := 128M
QEMU_CPU_DEFAULT := max
BOARD_SRCS := board/qemu-pc/board.c

# isa-debug-exit: writing s to the port ends QEMU with exit code (s << 1) | 1
# (QEMU hw/misc/debugexit.c), which no other way out of QEMU gives: a triple
# fault under the runner's -no-reboot exits 0. No NIC: its option ROM (iPXE)
# only slows the boot down.
DEBUG_EXIT_PORT := 0xf4
BOARD_QEMU_ARGS := -device isa-debug-exit,iobase=$(DEBUG_EXIT_PORT),iosize=0x04 -nic none
QEMU_EXIT_OF_STATUS := (s<<1)|1
# The same port for arch_poweroff() and boot.S, from this one place.
ARCH_CFLAGS += -DDEBUG_EXIT_PORT=$(DEBUG_EXIT_PORT)
