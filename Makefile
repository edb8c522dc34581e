# Origami: one kernel, three architectures.
#
#   make [ARCH=riscv64|arm64|x86_64] [BOARD=...] [all|run|test|debug|clean] [V=1]
#   make run BOOTARGS="test.fault=load" QEMU_CPU=rv64,sv57=on MMU_MODE=sv48
#
# Objects go to build/<arch>-<board>/. `make test` builds and boots every
# ported arch and runs the host suites (tests/run).
#
# ---- What arch/<dir>/arch.mk sets (dir: riscv for riscv64, else = ARCH) ----
#   CROSS_COMPILE       toolchain prefix; KCC defaults to $(CROSS_COMPILE)gcc,
#                       an arch may set KCC (and KOBJCOPY, KADDR2LINE) itself
#   ARCH_CFLAGS         -march/-mcmodel..., include paths of the arch
#   ARCH_LDFLAGS        extra link flags
#   ARCH_SRCS           .c and .S files under arch/<dir>/ that go into the kernel
#                       (not the pt_mode_*.c formats: those come with the MMU)
#   LDSCRIPT            linker script
#   ARCH_USES_PICOLIBC  y: link Debian's picolibc (flags in ARCH_CFLAGS via
#                       --specs=...picolibc.specs); n: link core/libc instead
#   ARCH_HAS_PIO        y: the arch gives arch_pio_read8/arch_pio_write8 and
#                       the ns16550 driver may use port I/O (x86 COM1)
#   KERNEL_IMAGE        what QEMU boots: $(BUILD)/origami.bin (raw, made here
#                       from the ELF) or $(BUILD)/origami.elf, or a file the
#                       arch.mk makes with its own rule
#   QEMU_SYSTEM         qemu-system-<x>
#   ARCH_QEMU_ARGS      arch-specific QEMU options (e.g. semihosting)
#   GDB_ARCH            gdb's `set architecture` name
#   QEMU_EXIT_OF_STATUS how QEMU's exit code carries the kernel's status s, as
#                       shell arithmetic: s (semihosting exit), (s<<1)|1
#                       (isa-debug-exit), empty if it cannot carry it. The
#                       runner checks it against the ORIGAMI-EXIT line.
#   BAD_PA              a physical address whose access faults with the MMU
#                       off (test.probe=, the boot test of the fault hook)
#
# ---- What board/<board>/board.mk sets ----
#   QEMU_MACHINE  -M value      QEMU_MEM  -m value     BIOS  -bios value
#   QEMU_CPU_DEFAULT  -cpu value unless QEMU_CPU= is given
#   BOARD_SRCS    board files (board_early_uart: the console before the DTB)
#   BOARD_QEMU_ARGS extra QEMU options
#
# The MMU layer joins the kernel through KERNEL_MMU_SRCS.

ARCHES := riscv64 arm64 x86_64
ARCH   ?= riscv64

arch_dir_riscv64 := riscv
arch_dir_arm64   := arm64
arch_dir_x86_64  := x86_64
board_default_riscv64 := qemu-virt
board_default_arm64   := qemu-virt
board_default_x86_64  := qemu-pc

ARCH_DIR := $(arch_dir_$(ARCH))
ifeq ($(ARCH_DIR),)
$(error ARCH=$(ARCH) is not one of: $(ARCHES))
endif
BOARD ?= $(board_default_$(ARCH))
# KERNEL_TESTS=n: an image without the kernel-side tests (tests/kernel/,
# the MMU conformance cases), in a folder of its own.
KERNEL_TESTS ?= y
ifeq ($(filter y n,$(KERNEL_TESTS)),)
$(error KERNEL_TESTS=$(KERNEL_TESTS): say y or n)
endif
BUILD := build/$(ARCH)-$(BOARD)$(if $(filter n,$(KERNEL_TESTS)),-notests)

# Short "CC file" lines, or the full commands with V=1, or nothing with -s
# (single-letter flags are MAKEFLAGS' first word).
ifeq ($(V),1)
Q :=
ECHO := :
else
Q := @
ECHO := $(if $(findstring s,$(filter-out -%,$(firstword $(MAKEFLAGS)))),:,echo)
endif

# Options for run/test/debug, passed through to the QEMU runner.
BOOTARGS ?=
MMU_MODE ?=
TIMEOUT  ?= 30
# CPUs QEMU gives the machine (-smp); the kernel starts all of them.
SMP      ?= 1
KERNEL_BOOTARGS := $(strip $(BOOTARGS) $(if $(MMU_MODE),mmu.mode=$(MMU_MODE)))

.DEFAULT_GOAL := all
.PHONY: all run test debug clean setup qemu-env ports

# The host build (MMU library and its tests) is independent of ARCH.
-include mk/host.mk

ARCH_MK  := arch/$(ARCH_DIR)/arch.mk
BOARD_MK := board/$(BOARD)/board.mk

# Goals that work before every port has landed.
PORTLESS_GOALS := test clean setup ports host-lib host-lib-san host-fdt-test host-core-test
needs_port := $(filter-out $(PORTLESS_GOALS),$(or $(MAKECMDGOALS),all))
ifneq ($(wildcard $(ARCH_MK)),)
include $(ARCH_MK)
else ifneq ($(needs_port),)
$(error ARCH=$(ARCH): no port yet ($(ARCH_MK) is missing))
endif
ifneq ($(wildcard $(BOARD_MK)),)
include $(BOARD_MK)
else ifneq ($(needs_port),)
$(error BOARD=$(BOARD): no such board ($(BOARD_MK) is missing))
endif

QEMU_CPU ?= $(QEMU_CPU_DEFAULT)

KCC      ?= $(CROSS_COMPILE)gcc
KOBJCOPY ?= $(CROSS_COMPILE)objcopy
KADDR2LINE ?= $(CROSS_COMPILE)addr2line

# The MMU layer in the kernel: the engine (mmu/; the host-only hashed
# backend and mode list are in host/), this arch's formats, its mode list and its
# MMU hooks; mmu/env_kernel.c is the environment (MMU_HOST undefined).
KERNEL_MMU_SRCS ?= $(wildcard mmu/*.c) \
	$(wildcard arch/$(ARCH_DIR)/pt_*.c) arch/$(ARCH_DIR)/mmu_modes.c arch/$(ARCH_DIR)/mmu_arch.c
# One section per function there, so that --gc-sections drops what the kernel
# never calls.
$(patsubst %,$(BUILD)/obj/%.o,$(basename $(KERNEL_MMU_SRCS))): KERNEL_CFLAGS += -ffunction-sections -DMMU_LAYER

CORE_SRCS := $(filter-out core/stdio_picolibc.c,$(wildcard core/*.c))
ifeq ($(ARCH_USES_PICOLIBC),y)
CORE_SRCS += core/stdio_picolibc.c
LIBC_CFLAGS :=
else
# Freestanding: the compiler's own headers (stdint.h, stdarg.h...) plus
# core/libc/include for string.h and stdio.h, never the host's libc.
CORE_SRCS += $(wildcard core/libc/*.c)
LIBC_CFLAGS := -nostdinc -isystem $(shell $(KCC) -print-file-name=include) -isystem core/libc/include
endif

# The MMU suite the kernel runs on the live MMU (core/main.c): the hardware
# checks and the host conformance cases; the SMP suite with more than one
# CPU. Linked in unless KERNEL_TESTS=n.
KERNEL_TEST_SRCS := $(if $(filter y,$(KERNEL_TESTS)),tests/kernel/mmu_hwtest.c \
	tests/mmu/conformance.c tests/mmu/kernel_harness.c tests/kernel/smp_test.c)
KERNEL_SRCS := $(ARCH_SRCS) $(BOARD_SRCS) $(CORE_SRCS) $(KERNEL_MMU_SRCS) $(KERNEL_TEST_SRCS)
KERNEL_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(KERNEL_SRCS)))

KERNEL_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-common -fno-stack-protector \
	-fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
	-Iinclude -Immu -Immu/hooks -Iarch/$(ARCH_DIR) \
	-DKERNEL_TESTS=$(if $(filter y,$(KERNEL_TESTS)),1,0) -DORIGAMI_BOARD='"$(BOARD)"' -DARCH_HAS_PIO=$(if $(filter y,$(ARCH_HAS_PIO)),1,0) \
	$(LIBC_CFLAGS) $(ARCH_CFLAGS) -MMD -MP
KERNEL_LDFLAGS := -nostartfiles -static -Wl,--gc-sections -T $(LDSCRIPT) \
	-Wl,-Map,$(BUILD)/origami.map $(ARCH_LDFLAGS)
ifneq ($(ARCH_USES_PICOLIBC),y)
KERNEL_LDFLAGS += -nostdlib -lgcc
endif

all: $(KERNEL_IMAGE) qemu-env

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(ECHO) "  CC      $<"
	$(Q)$(KCC) $(KERNEL_CFLAGS) -c $< -o $@
$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@$(ECHO) "  AS      $<"
	$(Q)$(KCC) $(KERNEL_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/origami.elf: $(KERNEL_OBJS) $(LDSCRIPT)
	@$(ECHO) "  LD      $@"
	$(Q)$(KCC) $(KERNEL_CFLAGS) -o $@ $(KERNEL_OBJS) $(KERNEL_LDFLAGS)

$(BUILD)/origami.bin: $(BUILD)/origami.elf
	@$(ECHO) "  OBJCOPY $@"
	$(Q)$(KOBJCOPY) -O binary $< $@

-include $(KERNEL_OBJS:.o=.d)
# Flags live in the makefiles (arch.mk, board.mk and what they include):
# a change rebuilds the kernel.
$(KERNEL_OBJS) $(BUILD)/origami.elf: $(filter-out %.d,$(MAKEFILE_LIST))

# What the QEMU runner needs to boot this build, written from arch.mk and
# board.mk so that tests/qemu/run-qemu.sh holds no per-arch knowledge.
QEMU_ENV := $(BUILD)/qemu.env
qemu-env:
	@mkdir -p $(BUILD)
	@printf '%s\n' \
		"QEMU_SYSTEM='$(QEMU_SYSTEM)'" \
		"QEMU_ARGS='-M $(QEMU_MACHINE) -m $(QEMU_MEM) $(if $(BIOS),-bios $(BIOS)) $(strip $(ARCH_QEMU_ARGS) $(BOARD_QEMU_ARGS))'" \
		"QEMU_CPU_DEFAULT='$(QEMU_CPU_DEFAULT)'" \
		"KERNEL_IMAGE='$(KERNEL_IMAGE)'" \
		"KERNEL_ELF='$(BUILD)/origami.elf'" \
		"QEMU_EXIT_OF_STATUS='$(QEMU_EXIT_OF_STATUS)'" \
		"GDB_ARCH='$(GDB_ARCH)'" \
		"ADDR2LINE='$(KADDR2LINE)'" \
		"BAD_PA='$(BAD_PA)'" >$(QEMU_ENV).tmp
	@if cmp -s $(QEMU_ENV).tmp $(QEMU_ENV); then rm $(QEMU_ENV).tmp; else mv $(QEMU_ENV).tmp $(QEMU_ENV); fi

RUNNER := tests/qemu/run-qemu.sh --arch $(ARCH) --board $(BOARD) --build $(BUILD) \
	--timeout $(TIMEOUT) --smp $(SMP) $(if $(QEMU_CPU),--cpu '$(QEMU_CPU)') \
	--bootargs '$(KERNEL_BOOTARGS)'

setup:
	$(Q)tools/setup.sh

run: setup
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(RUNNER)

debug: all
	$(Q)$(RUNNER) --gdb

test: setup
	$(Q)tests/run

# Host tests of core/ code that runs unchanged on the host, with the host
# build's sanitizer flags (mk/host.mk).
HOST_FDT_TEST := build/host-tests/fdt_test
$(HOST_FDT_TEST): tests/host/fdt_test.c core/fdt.c include/kernel.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) tests/host/fdt_test.c core/fdt.c -o $@
.PHONY: host-fdt-test
host-fdt-test: $(HOST_FDT_TEST)

# core/libc next to the host's libc: its names get an origami_ prefix.
CORE_LIBC_SRCS  := $(wildcard core/libc/*.c)
CORE_LIBC_NAMES := memcpy memmove memset memcmp memchr strlen strcmp strncmp strchr \
	strspn strcspn vsnprintf snprintf
HOST_CORE_TEST  := build/host-tests/core_test
HOST_LIBC_OBJS  := $(CORE_LIBC_SRCS:%.c=build/host-tests/%.o)
build/host-tests/core/libc/%.o: core/libc/%.c $(wildcard core/libc/include/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) -ffreestanding -fno-builtin -nostdinc \
		-isystem $(shell $(HOST_CC) -print-file-name=include) -isystem core/libc/include \
		$(foreach f,$(CORE_LIBC_NAMES),-D$(f)=origami_$(f)) -c $< -o $@
$(HOST_CORE_TEST): tests/host/core_test.c core/cmdline.c core/memmap.c $(HOST_LIBC_OBJS) include/kernel.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) -Wno-format-truncation tests/host/core_test.c \
		core/cmdline.c core/memmap.c $(HOST_LIBC_OBJS) -o $@
.PHONY: host-core-test
host-core-test: $(HOST_CORE_TEST)

# The arches whose port exists, for the test suites.
ports:
	@echo $(foreach a,$(ARCHES),$(if $(wildcard arch/$(arch_dir_$(a))/arch.mk),$(a)))

clean:
	rm -rf build
