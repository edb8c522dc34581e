# arm64: the variable contract is at the top of the Makefile.

CROSS_COMPILE ?= aarch64-linux-gnu-
PICOLIBC_SPECS := /usr/lib/picolibc/aarch64-linux-gnu/picolibc.specs

# -mstrict-align: the early failure path (entry.S) runs C before the MMU
# is on, when every data access is to Device-nGnRnE memory, where an
# unaligned access faults (sysreg.h, SCTLR_EL1_MMU_OFF, which makes QEMU
# check it too).
# -fno-pie: Debian's compiler defaults to PIE; the C code runs at its link
# address, after entry.S turned the boot map on.
# -mno-outline-atomics: no calls into libgcc's LSE dispatch, whose CPU
# probe needs a hosted startup.
# Where every loader (QEMU -kernel, U-Boot booti, the Pi firmware's
# kernel8.img) puts the Image: text_offset past a 2 MiB aligned base
# (Linux Documentation/arch/arm64/booting.rst), 2 MiB clear of the DTB QEMU
# puts at the DRAM base for firmware (U-Boot). The boot map needs only
# load PA = link VA modulo 2 MiB (kernel.ld), so no board's DRAM base
# enters the link.
ARM64_TEXT_OFFSET := 0x200000
ARCH_CFLAGS := --specs=$(PICOLIBC_SPECS) -mstrict-align -fno-pie -mno-outline-atomics
# One RWX segment: the ELF's segments matter to nobody (the Image is a flat
# binary); the kernel's own set gives the sections their permissions.
ARCH_LDFLAGS := -no-pie -Wl,--no-warn-rwx-segments -Wl,--defsym=ARM64_TEXT_OFFSET=$(ARM64_TEXT_OFFSET)
ARCH_SRCS := $(addprefix arch/arm64/,entry.S vectors.S probe.S firmware.S \
	setup.c trap.c poweroff.c smp.c)
# picolibc was not built with -mstrict-align. Its tinystdio vsnprintf copies
# va_lists and clears its FILE with 16-byte SIMD pairs (stp q0, q1) at
# 8-byte aligned stack addresses: an Alignment fault on Device memory, so
# while the MMU stayed off formatting came from core/libc's vsnprintf,
# compiled here with -mstrict-align. With the MMU on from entry.S that
# reason is gone; it stays until a change of the printed text is checked
# against every suite.
ARCH_SRCS += core/libc/stdio.c
ARCH_SRCS += arch/arm64/cache.c arch/arm64/user_guard.c arch/arm64/boot_console.c arch/arm64/user.c
LDSCRIPT := arch/arm64/kernel.ld
ARCH_USES_PICOLIBC := y
ARCH_HAS_PIO := n


KERNEL_IMAGE := $(BUILD)/origami.bin
MKIMAGE_ARCH := arm64
QEMU_SYSTEM := qemu-system-aarch64
ARCH_QEMU_ARGS := -semihosting-config enable=on,target=native
GDB_ARCH := aarch64
QEMU_EXIT_OF_STATUS := s
# In neither translation half of any mode (bit 55 set, bits 63:56 clear):
# a translation fault at the first level (trap.c, NO_HALF_VA).
BAD_PA := 0x0080000000000000
# User programs (mk/user.mk): picolibc; FP/SIMD is saved in every trap
# frame (vectors.S), so user code may use it.
USER_ARCH_CFLAGS := --specs=$(PICOLIBC_SPECS) -fno-pie -mno-outline-atomics
