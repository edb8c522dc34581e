# riscv64: an S-mode kernel entered from OpenSBI (or U-Boot's booti), built
# without floating point so that traps need not save FP state. picolibc's
# rv64imac/lp64 multilib; -misa-spec=2.2 keeps Zicsr/Zifencei inside "i".

CROSS_COMPILE   ?= riscv64-unknown-elf-
# The image's VA: Linux's top 2 GiB, + text_offset (2 MiB: entry.S maps it
# with megapages, so only the load address's offset in 2 MiB must match).
KERNEL_LINK_VA  := 0xffffffff80200000
PICOLIBC_SPECS  := /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs
ARCH_CFLAGS     := --specs=$(PICOLIBC_SPECS) -misa-spec=2.2 -march=rv64imac -mabi=lp64 \
		   -mcmodel=medany -DKERNEL_LINK_VA=$(KERNEL_LINK_VA)
# One RWX segment: the boot map is one RWX mapping; the kernel's own set
# maps the sections W^X (core/mmu_boot.c).
ARCH_LDFLAGS    := -Wl,--no-warn-rwx-segments -Wl,--defsym=KERNEL_LINK_VA=$(KERNEL_LINK_VA)
ARCH_SRCS       := arch/riscv/entry.S arch/riscv/probe.S arch/riscv/setup.c \
		   arch/riscv/trap.c arch/riscv/sbi.c arch/riscv/cpu.c arch/riscv/smp.c
ARCH_SRCS       += arch/riscv/cache.c arch/riscv/user_guard.c arch/riscv/user.c
LDSCRIPT        := arch/riscv/kernel.ld
ARCH_USES_PICOLIBC := y
ARCH_HAS_PIO    := n
# A raw image with the Linux RISC-V Image header: what QEMU -kernel and
# U-Boot booti load at RAM + text_offset.
KERNEL_IMAGE    := $(BUILD)/origami.bin

MKIMAGE_ARCH    := riscv
QEMU_SYSTEM     := qemu-system-riscv64
ARCH_QEMU_ARGS  :=
GDB_ARCH        := riscv:rv64
# SBI SRST shutdown reaches QEMU's sifive_test finisher through OpenSBI's
# syscon-poweroff, which writes "pass" whatever the reason: QEMU exits 0
# for every status, so only the ORIGAMI-EXIT line carries it.
QEMU_EXIT_OF_STATUS :=
# VA 0: the kernel's set maps nothing in the user half, so any access
# there is a page fault (the name is older than translation).
BAD_PA          := 0x0
ARCH_CFLAGS     += -DBAD_PA=$(BAD_PA)ull
# User programs (mk/user.mk): picolibc's rv64imac/lp64 multilib, no FP
# (traps save no FP state), anywhere in the address space (medany).
USER_ARCH_CFLAGS := --specs=$(PICOLIBC_SPECS) -misa-spec=2.2 -march=rv64imac -mabi=lp64 \
		    -mcmodel=medany
