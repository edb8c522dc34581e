# x86_64: the host's gcc and binutils, freestanding; linked at
# 0xffffffff80100000, loaded at 1 MiB and booted by QEMU's Multiboot loader
# (boot.S, kernel.ld).

CROSS_COMPILE :=
# -mcmodel=kernel: the image is linked and runs in the top 2 GiB (kernel.ld),
# every link address a sign-extended 32-bit value.
# No FPU/SSE state is ever saved, so the compiler may use none; no red zone,
# since a trap pushes its frame right below the interrupted rsp.
ARCH_CFLAGS := -m64 -march=x86-64 -mcmodel=kernel -mno-red-zone \
	-mno-sse -mno-mmx -mno-80387 -mgeneral-regs-only \
	-fno-pie -fno-asynchronous-unwind-tables -fcf-protection=none
ARCH_LDFLAGS := -no-pie -Wl,-m,elf_x86_64 -Wl,-z,max-page-size=4096 \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments
ARCH_SRCS := $(addprefix arch/x86_64/,boot.S trap_entry.S probe.S setup.c trap.c cpu.c \
	smp.c smp_entry.S)
ARCH_SRCS += arch/x86_64/cache.c arch/x86_64/user_guard.c arch/x86_64/cpu_features.c \
	arch/x86_64/user.c
LDSCRIPT := arch/x86_64/kernel.ld
ARCH_USES_PICOLIBC := n
ARCH_HAS_PIO := y

# QEMU boots the ELF itself: its Multiboot header has the a.out-kludge fields.
KERNEL_IMAGE := $(BUILD)/origami.elf
MKIMAGE_ARCH := x86_64
QEMU_SYSTEM := qemu-system-x86_64
ARCH_QEMU_ARGS :=
GDB_ARCH := i386:x86-64
# VA 0: the kernel's set maps nothing in the lower half (and the boot map,
# whose identity map has it, is gone by the time the tests run).
BAD_PA := 0
# User programs (mk/user.mk): the kernel's small libc; no SSE/x87 (traps
# save no FP state, as in the kernel), static, not position-independent.
USER_ARCH_CFLAGS := -m64 -march=x86-64 -mgeneral-regs-only -fno-pie \
	-fno-asynchronous-unwind-tables -fcf-protection=none
