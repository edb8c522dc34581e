# Origami: one kernel, three architectures. `make help` lists the targets
# and variables.
#
#   make [ARCH=riscv64|arm64|x86_64] [BOARD=...] [all|run|test|debug|clean] [V=1]
#   make run BOOTARGS="test.fault=load" QEMU_CPU=rv64,sv57=on MMU_MODE=sv48
#
# Output folders: build/<arch>-<board>/ (a kernel; -notests with
# KERNEL_TESTS=n), build/host/ and build/host-san/ (the MMU library),
# build/tests/<area>/ (a host test program and its logs), build/bench/,
# build/explain/. `make test` builds and boots every ported arch and runs
# the host suites (tests/run).
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
# ---- What board/<board>/board.mk sets (docs/boards.md) ----
#   BOARD_ARCHES  the arches it has, on one line (read before the rest)
#   QEMU_MACHINE  -M value (empty: QEMU has no model)
#   QEMU_MEM  -m value     BIOS  -bios value
#   QEMU_CPU_DEFAULT  -cpu value unless QEMU_CPU= is given
#   BOARD_SRCS    board files (board_early_uart: the console before the DTB)
#   BOARD_QEMU_ARGS extra QEMU options
#   QEMU_SMP_FIXED  the CPU count the board's QEMU machine runs with
#                 where it accepts no other or no fewer (raspi3b: 4,
#                 sifive_u: 2); SMP= and --smp are then ignored
#   IMAGE_*       the image recipe of `make image` (mk/image.mk)
#
# The MMU layer joins the kernel through KERNEL_MMU_SRCS.

ARCHES := riscv64 arm64 x86_64
# Which arches a board has: its board.mk's BOARD_ARCHES line, read before
# the board.mk itself (which may include per-arch files that exist only for
# those arches). `make BOARD=raspi3b` alone picks the board's first arch.
board_arches = $(shell sed -n 's/^BOARD_ARCHES[[:space:]]*:=[[:space:]]*//p' board/$(1)/board.mk 2>/dev/null)
ifeq ($(origin ARCH)$(origin BOARD),undefinedcommand line)
ARCH := $(firstword $(call board_arches,$(BOARD)))
endif
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
# CPUs QEMU gives the machine (-smp; empty: the machine's default); the
# kernel starts all of them.
SMP      ?=
KERNEL_BOOTARGS := $(strip $(BOOTARGS) $(if $(MMU_MODE),mmu.mode=$(MMU_MODE)))

.DEFAULT_GOAL := all
.PHONY: all run test debug clean setup qemu-env ports help

help:
	@echo 'Origami: make [TARGET] [VARIABLE=value...]'
	@echo
	@echo 'Kernel (ARCH, BOARD):'
	@echo '  all            build the kernel into build/<arch>-<board>/ (default)'
	@echo '  run            set-up, build, boot in QEMU; exit status = the kernel'"'"'s'
	@echo '  debug          build, boot halted with a gdb stub on :1234 (no timeout)'
	@echo '  room-cc ROOM=  print the compiler line of a room (core arch archmmu format mode engine)'
	@echo 'Tests:'
	@echo '  test           set-up, then every suite (tests/run; tests/run SUITE... for some)'
	@echo '  test-AREA      build and run one host test program: fdt core frames formats'
	@echo '                 hashed ref reinit x86tlb (build/tests/AREA/)'
	@echo '  mmu-conformance, mmu-diff, fuzz   the MMU layer'"'"'s host suite, diff tester, libFuzzer'
	@echo 'MMU layer on the host:'
	@echo '  host-lib       build/host/libmmu.a (-O2); host-lib-san: ASan+UBSan build'
	@echo '  explain        every mode maps the same small space: docs/explain.md'
	@echo '  bench          benchmarks of every mode (build/bench/); bench-compare: two runs'
	@echo 'Other:'
	@echo '  setup          install missing Debian packages (tools/setup.sh)'
	@echo '  ports          the arches whose port exists; boards: every arch and board pair'
	@echo '  image          the board'"'"'s flashable image, the dd line, serial settings (docs/boards.md)'
	@echo '  clean          remove build/'
	@echo
	@echo 'Variables:'
	@echo '  ARCH=riscv64|arm64|x86_64   target architecture (default riscv64)'
	@echo '  BOARD=         board (riscv64, arm64: qemu-virt; x86_64: qemu-pc)'
	@echo '  MMU_MODE=NAME  boot in this paging mode (make refuses a name ARCH lacks):'
	@echo '                 riscv64: sv39 sv48 sv57; arm64: arm64-{4k,16k,64k}-{48,52};'
	@echo '                 x86_64: x86-64-4level x86-64-5level'
	@echo '  BOOTARGS=      kernel command line (test.fault=, test.probe=, test.mmu=off...)'
	@echo '  QEMU_CPU=      QEMU -cpu (rv64,svnapot=on; max; cortex-a57; qemu64...)'
	@echo '  QEMU_MEM=      QEMU -m (board default)'
	@echo '  TIMEOUT=       seconds before run calls a boot a hang (default 30)'
	@echo '  DEBUG_TIMEOUT= the same for debug (default 0: none)'
	@echo '  KERNEL_TESTS=n an image without the kernel-side tests (build/<arch>-<board>-notests/)'
	@echo '  TEST_ARCH=     make test for these arches'"'"' boots only (host: the host suites)'
	@echo '  V=1            full command lines'
	@echo '  BENCH_RUNS= BENCH_MODES= OLD= NEW=   see bench/bench.mk'
	@echo '  DIFF_SEEDS= DIFF_STEPS= FUZZ_OPS= FUZZ_SECONDS= see tests/mmu/host.mk'

# The host build (MMU library and its tests) is independent of ARCH.
-include mk/host.mk

ARCH_MK  := arch/$(ARCH_DIR)/arch.mk
BOARD_MK := board/$(BOARD)/board.mk

# Goals that need no kernel build (host tools and tests, housekeeping):
# they work whatever ARCH/BOARD say.
HOST_GOALS := test clean setup ports boards default-board help host-lib host-lib-san explain bench bench-compare \
	fuzz mmu-conformance mmu-diff $(filter test-% build/tests/%,$(MAKECMDGOALS))
needs_port := $(filter-out $(HOST_GOALS),$(or $(MAKECMDGOALS),all))
ifneq ($(wildcard $(ARCH_MK)),)
include $(ARCH_MK)
else ifneq ($(needs_port),)
$(error ARCH=$(ARCH): no port yet ($(ARCH_MK) is missing))
endif
boards_of = $(strip $(foreach b,$(patsubst board/%/board.mk,%,$(wildcard board/*/board.mk)),$(if $(filter $(1),$(call board_arches,$(b))),$(b))))
ifneq ($(needs_port),)
ifeq ($(wildcard $(BOARD_MK)),)
$(error BOARD=$(BOARD): no such board; boards for ARCH=$(ARCH): $(call boards_of,$(ARCH)))
endif
ifeq ($(filter $(ARCH),$(call board_arches,$(BOARD))),)
$(error BOARD=$(BOARD) is a board for ARCH=$(call board_arches,$(BOARD)), not $(ARCH); boards for ARCH=$(ARCH): $(call boards_of,$(ARCH)))
endif
endif
ifneq ($(wildcard $(BOARD_MK)),)
include $(BOARD_MK)
endif

QEMU_CPU ?= $(QEMU_CPU_DEFAULT)

# make image: the board's flashable image (variables in mk/image.mk).
include mk/image.mk

KCC      ?= $(CROSS_COMPILE)gcc
KOBJCOPY ?= $(CROSS_COMPILE)objcopy
KADDR2LINE ?= $(CROSS_COMPILE)addr2line

# The MMU layer in the kernel: the engine (mmu/; the host-only hashed
# backend and mode list are in host/), this arch's modes (a format header
# and the engine, pt_mode_*.c), its mode list, the formats' CPU probes
# (pt_<format>.c) and its MMU hooks; mmu/env_kernel.c is the environment
# (MMU_HOST undefined).
ARCH_MODE_SRCS   := $(wildcard arch/$(ARCH_DIR)/pt_mode_*.c) arch/$(ARCH_DIR)/mmu_modes.c
ARCH_FORMAT_SRCS := $(filter-out $(ARCH_MODE_SRCS),$(wildcard arch/$(ARCH_DIR)/pt_*.c))
KERNEL_MMU_SRCS  := $(wildcard mmu/*.c) $(ARCH_MODE_SRCS) $(ARCH_FORMAT_SRCS) \
	arch/$(ARCH_DIR)/mmu_arch.c
# One section per function there, so that --gc-sections drops what the kernel
# never calls.
$(patsubst %,$(BUILD)/obj/%.o,$(basename $(KERNEL_MMU_SRCS))): KERNEL_CFLAGS += -ffunction-sections

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

# The suites the kernel runs on the live MMU (core/main.c): the MMU suite
# (the hardware checks and the host conformance cases), the vm suite, the
# user-mode suite (test.tasks) and, with more than one CPU, the SMP suite.
# Linked in unless KERNEL_TESTS=n.
KERNEL_TEST_SRCS := $(if $(filter y,$(KERNEL_TESTS)),tests/kernel/mmu_hwtest.c \
	tests/mmu/conformance.c tests/mmu/kernel_harness.c tests/vm/kernel.c \
	tests/tasks/kernel_tasks.c tests/kernel/smp_test.c)
# User programs, embedded in the image (mk/user.mk).
include mk/user.mk
KERNEL_SRCS := $(ARCH_SRCS) $(BOARD_SRCS) $(CORE_SRCS) $(KERNEL_MMU_SRCS) $(KERNEL_TEST_SRCS)
KERNEL_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(KERNEL_SRCS)))

# ---- Rooms: each source is compiled with only the include paths it may use,
# so that a crossing is a build error (docs/layout.md; tests/suites.d/purity.sh
# proves it with probes). mmu.h is opaque outside the MMU layer: its real
# types (mmu/mmu_types.h) come with -DMMU_LAYER and mmu/ on the path.
#   core     core/, kernel-side tests: include/ only
#   arch     arch/<dir>/ setup, traps, CPU, and the boards: no MMU header
#   archmmu  arch/<dir>/mmu_arch.c, and smp.c (its TLB shootdowns run the
#            hooks on other CPUs): + the arch-MMU hooks (mmu/hooks/)
#   format   a format's CPU probe (pt_<format>.c), and every format header
#            alone (below): + the format interface (mmu/format/), no engine
#   mode     pt_mode_*.c, mmu_modes.c: a format and the engine
#   engine   mmu/: its own headers, the format interface, the hooks; no arch/
ROOM_core    := -Iinclude
ROOM_arch    := -Iinclude -Iarch/$(ARCH_DIR) -Iboard/$(BOARD)
ROOM_archmmu := $(ROOM_arch) -Immu/hooks
ROOM_format  := -Iinclude -Iarch/$(ARCH_DIR) -Immu/format
ROOM_mode    := $(ROOM_format) -Immu -DMMU_LAYER
ROOM_engine  := -Iinclude -Immu -Immu/format -Immu/hooks -DMMU_LAYER
ROOMS        := core arch archmmu format mode engine
room_srcs_engine  := $(filter mmu/%,$(KERNEL_SRCS))
room_srcs_mode    := $(filter $(ARCH_MODE_SRCS),$(KERNEL_SRCS))
room_srcs_format  := $(filter $(ARCH_FORMAT_SRCS),$(KERNEL_SRCS))
room_srcs_archmmu := $(filter arch/%/mmu_arch.c arch/%/smp.c,$(KERNEL_SRCS))
room_srcs_core    := $(filter core/% tests/%,$(KERNEL_SRCS))
room_srcs_arch    := $(filter arch/% board/%,$(filter-out $(room_srcs_mode) $(room_srcs_format) \
	$(room_srcs_archmmu),$(KERNEL_SRCS)))
$(foreach r,$(ROOMS),$(eval $(patsubst %,$(BUILD)/obj/%.o,$(basename $(room_srcs_$(r)))): ROOM_CFLAGS := $(ROOM_$(r))))
roomless := $(filter-out $(foreach r,$(ROOMS),$(room_srcs_$(r))),$(KERNEL_SRCS))
ifneq ($(roomless),)
$(error no room (include paths) for $(roomless): add it to a room in the Makefile)
endif

# Every format header, alone in the format room: each mode file without its
# engine include, compiled for syntax only. A format that includes the
# engine (pt_engine.h, mmu_internal.h, txn.h) fails here.
FORMAT_CHECKS := $(patsubst arch/$(ARCH_DIR)/%.c,$(BUILD)/walls/%.ok,$(wildcard arch/$(ARCH_DIR)/pt_mode_*.c))
$(BUILD)/walls/%.ok: arch/$(ARCH_DIR)/%.c
	@mkdir -p $(dir $@)
	@$(ECHO) "  WALL    $< (format room)"
	$(Q)sed '/#include "pt_engine.h"/d' $< >$(BUILD)/walls/$*.c
	$(Q)$(KCC) $(KERNEL_CFLAGS) $(ROOM_format) -MF $(BUILD)/walls/$*.d -MT $@ -fsyntax-only $(BUILD)/walls/$*.c
	$(Q)touch $@
-include $(FORMAT_CHECKS:.ok=.d)

# The compiler line of a room, for the purity suite's probes:
#   make -s ARCH=riscv64 room-cc ROOM=core
.PHONY: room-cc
room-cc:
	@echo $(KCC) $(filter-out -MMD -MP,$(KERNEL_CFLAGS)) $(ROOM_$(ROOM))

KERNEL_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-common -fno-stack-protector \
	-fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
	-DKERNEL_TESTS=$(if $(filter y,$(KERNEL_TESTS)),1,0) -DORIGAMI_BOARD='"$(BOARD)"' -DARCH_HAS_PIO=$(if $(filter y,$(ARCH_HAS_PIO)),1,0) \
	$(LIBC_CFLAGS) $(ARCH_CFLAGS) -MMD -MP
KERNEL_LDFLAGS := -nostartfiles -static -Wl,--gc-sections -T $(LDSCRIPT) \
	-Wl,-Map,$(BUILD)/origami.map $(ARCH_LDFLAGS)
ifneq ($(ARCH_USES_PICOLIBC),y)
KERNEL_LDFLAGS += -nostdlib -lgcc
endif

all: $(KERNEL_IMAGE) $(FORMAT_CHECKS) qemu-env

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(ECHO) "  CC      $<"
	$(Q)$(KCC) $(KERNEL_CFLAGS) $(ROOM_CFLAGS) -c $< -o $@
$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@$(ECHO) "  AS      $<"
	$(Q)$(KCC) $(KERNEL_CFLAGS) $(ROOM_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

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
		"QEMU_SMP_FIXED='$(QEMU_SMP_FIXED)'" \
		"GDB_ARCH='$(GDB_ARCH)'" \
		"ADDR2LINE='$(KADDR2LINE)'" \
		"BAD_PA='$(BAD_PA)'" >$(QEMU_ENV).tmp
	@if cmp -s $(QEMU_ENV).tmp $(QEMU_ENV); then rm $(QEMU_ENV).tmp; else mv $(QEMU_ENV).tmp $(QEMU_ENV); fi

RUNNER := tests/qemu/run-qemu.sh --arch $(ARCH) --board $(BOARD) --build $(BUILD) \
	--timeout $(TIMEOUT) $(if $(SMP),--smp $(SMP)) $(if $(QEMU_CPU),--cpu '$(QEMU_CPU)') \
	--bootargs '$(KERNEL_BOOTARGS)'

setup:
	$(Q)tools/setup.sh

# A board QEMU does not model (QEMU_MACHINE empty) has only `make image`.
no_qemu = $(if $(QEMU_MACHINE),,$(error BOARD=$(BOARD): QEMU has no model of this board; `make image BOARD=$(BOARD)` builds its boot medium))

# MMU_MODE must be a mode of ARCH (the names of its mode files), so that a
# typo is refused here rather than booting another mode; the kernel refuses
# an unknown mmu.mode= too (exit status 1).
ARCH_MODES := $(shell sed -n 's/^\#define PT_MODE_NAME *"\(.*\)"/\1/p' \
	$(sort $(wildcard arch/$(ARCH_DIR)/pt_mode_*.c)))
.PHONY: check-mmu-mode
check-mmu-mode:
	@if [ -n "$(MMU_MODE)" ] && ! echo " $(ARCH_MODES) " | grep -qF " $(MMU_MODE) "; then \
		echo "make: MMU_MODE=$(MMU_MODE) is not a paging mode of $(ARCH); its modes: $(ARCH_MODES)" >&2; \
		exit 2; fi

run: check-mmu-mode setup
	$(no_qemu)
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(RUNNER)

# A gdb session lasts as long as its user wants: no timeout unless
# DEBUG_TIMEOUT=secs.
DEBUG_TIMEOUT ?= 0
debug: check-mmu-mode all
	$(no_qemu)
	$(Q)$(RUNNER) --gdb --timeout $(DEBUG_TIMEOUT)

# TEST_ARCH="arm64 host": only those arches' boots, and "host" the host
# suites (tests/run; one CI job each).
test: setup
	$(Q)TEST_ARCH='$(TEST_ARCH)' tests/run


# The arches whose port exists, for the test suites.
ports:
	@echo $(foreach a,$(ARCHES),$(if $(wildcard arch/$(arch_dir_$(a))/arch.mk),$(a)))

# The board ARCH builds for when BOARD is not given (tests/qemu/run-qemu.sh).
.PHONY: default-board
default-board:
	@echo $(board_default_$(ARCH))

# Every board of every ported arch, one "arch board" pair a line.
.PHONY: boards
boards:
	@$(foreach a,$(ARCHES),$(if $(wildcard arch/$(arch_dir_$(a))/arch.mk),$(foreach b,$(call boards_of,$(a)),echo "$(a) $(b)";)))

clean:
	rm -rf build
