# arm64: the variable contract is at the top of the Makefile.

CROSS_COMPILE ?= aarch64-linux-gnu-
PICOLIBC_SPECS := /usr/lib/picolibc/aarch64-linux-gnu/picolibc.specs

# -mstrict-align: the MMU stays off, so every data access is to
# Device-nGnRnE memory, where an unaligned access faults (sysreg.h,
# SCTLR_EL1_MMU_OFF, which makes QEMU check it too).
# -fno-pie: Debian's compiler defaults to PIE; the image runs where it is
# linked (entry.S checks).
# -mno-outline-atomics: no calls into libgcc's LSE dispatch, whose CPU
# probe needs a hosted startup.
ARCH_CFLAGS := --specs=$(PICOLIBC_SPECS) -mstrict-align -fno-pie -mno-outline-atomics
# Recursive: ARM64_DRAM_BASE comes from board.mk, included after this file.
# One RWX segment: with the MMU off there are no permissions to split by.
ARCH_LDFLAGS = -no-pie -Wl,--no-warn-rwx-segments -Wl,--defsym=ARM64_DRAM_BASE=$(ARM64_DRAM_BASE) \
	-Wl,--defsym=ARM64_TEXT_OFFSET=$(ARM64_TEXT_OFFSET)
ARCH_SRCS := $(addprefix arch/arm64/,entry.S vectors.S probe.S firmware.S \
	setup.c trap.c poweroff.c)
# picolibc was not built with -mstrict-align. Its default (size-optimised)
# libc.a has byte-wise string functions, safe on Device memory (its
# release/ build is not: unaligned ldp). But its tinystdio vsnprintf copies
# va_lists and clears its FILE with 16-byte SIMD pairs (stp q0, q1) at
# 8-byte aligned stack addresses: an Alignment fault on Device memory. So,
# while the MMU is off, formatting comes from core/libc's vsnprintf,
# compiled here with -mstrict-align; picolibc gives the rest.
ARCH_SRCS += core/libc/stdio.c
ARCH_SRCS += arch/arm64/cache.c arch/arm64/user_guard.c
LDSCRIPT := arch/arm64/kernel.ld
ARCH_USES_PICOLIBC := y
ARCH_HAS_PIO := n

# Where the loader puts the Image (entry.S): the board's DRAM base plus
# 2 MiB, clear of the DTB QEMU puts at the DRAM base for firmware (U-Boot).
ARM64_TEXT_OFFSET ?= 0x200000

KERNEL_IMAGE := $(BUILD)/origami.bin
QEMU_SYSTEM := qemu-system-aarch64
ARCH_QEMU_ARGS := -semihosting-config enable=on,target=native
GDB_ARCH := aarch64
QEMU_EXIT_OF_STATUS := s
# Above the 52-bit PA range of every CPU without FEAT_D128: with the MMU
# off an access there is an Address size fault (trap.c).
BAD_PA := 0x0080000000000000
