# Host test programs, one scheme for all: the program of area A is
# build/tests/A/<prog>, built by make (never by a shell line), and
# `make test-A` builds and runs it; tests/suites.d/A.sh runs it under
# tests/run. Included by mk/host.mk. (tests/mmu/host.mk and bench/bench.mk
# hold the MMU conformance/diff/fuzz and benchmark rules.)
#
#   test-fdt      core/fdt.c on sample and damaged DTBs (tests/host/fdt_test.c)
#   test-core     core/cmdline.c, core/memmap.c, core/libc (tests/host/core_test.c)
#   test-frames   core/frames.c on a simulated RAM (tests/host/frames_test.c)
#   test-formats  every paging format's round trips (tests/formats/)
#   test-hashed   the hashed mode's own checks (tests/hashed/)
#   test-ref      the host environment and reference walkers (tests/ref/)
#   test-reinit   mmu_host_init again, every mode (tests/reinit/)
#   test-x86tlb   the x86 TLB code against a model CPU (tests/x86tlb/)
#   test-vm       core/vm.c and core/frames.c on the MMU library, every mode
#                 (tests/vm/); VM_SEEDS, VM_STEPS lengthen its random run

T := build/tests
# The public API only (include/): core code and tests of the contract.
HOST_TEST_CFLAGS := -std=c11 -O1 -g $(HOST_WARN) $(HOST_SANFLAGS) -Iinclude

# ---- core/ code that runs unchanged on the host ----
$(T)/fdt/fdt_test: tests/host/fdt_test.c core/fdt.c include/kernel.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_TEST_CFLAGS) tests/host/fdt_test.c core/fdt.c -o $@

# core/libc next to the host's libc: its names get an origami_ prefix.
CORE_LIBC_SRCS  := $(wildcard core/libc/*.c)
CORE_LIBC_NAMES := memcpy memmove memset memcmp memchr strlen strcmp strncmp strchr \
	strspn strcspn vsnprintf snprintf
HOST_LIBC_OBJS  := $(CORE_LIBC_SRCS:%.c=$(T)/core/obj/%.o)
$(T)/core/obj/core/libc/%.o: core/libc/%.c $(wildcard core/libc/include/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_TEST_CFLAGS) -ffreestanding -fno-builtin -nostdinc \
		-isystem $(shell $(HOST_CC) -print-file-name=include) -isystem core/libc/include \
		$(foreach f,$(CORE_LIBC_NAMES),-D$(f)=origami_$(f)) -c $< -o $@
$(T)/core/core_test: tests/host/core_test.c core/cmdline.c core/memmap.c $(HOST_LIBC_OBJS) include/kernel.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_TEST_CFLAGS) -Wno-format-truncation tests/host/core_test.c \
		core/cmdline.c core/memmap.c $(HOST_LIBC_OBJS) -o $@

$(T)/frames/frames_test: tests/host/frames_test.c core/frames.c core/memmap.c include/kernel.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_TEST_CFLAGS) tests/host/frames_test.c core/frames.c core/memmap.c -o $@

# ---- the paging formats: each mode file compiled again with
# tests/formats/shim first on the include path, so its #include
# "pt_engine.h" brings in the format tests (shim/pt_engine.h) instead of
# the engine; the feature probes and panic_mmu come from the library. ----
FMT_MODE_SRCS := $(wildcard arch/*/pt_mode_*.c host/pt_mode_*.c)
FMT_OBJS := $(FMT_MODE_SRCS:%.c=$(T)/formats/obj/%.o) $(T)/formats/obj/main.o
FMT_HDRS := tests/formats/fmt_test.h tests/formats/shim/pt_engine.h $(LIBMMU_HDRS)
$(T)/formats/obj/%.o: %.c $(FMT_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) -iquote tests/formats/shim -Itests/formats -c $< -o $@
$(T)/formats/obj/main.o: tests/formats/main.c $(FMT_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_TEST_CFLAGS) -Itests/formats -c $< -o $@
$(T)/formats/formats: $(FMT_OBJS) $(LIBMMU_SAN)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) $(FMT_OBJS) $(LIBMMU_SAN) -o $@

# ---- the MMU layer through its public API (include/mmu.h, mmu_host.h) ----
$(T)/hashed/hashed_test: tests/hashed/hashed_test.c include/mmu.h include/mmu_host.h $(LIBMMU_SAN)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_TEST_CFLAGS) $< $(LIBMMU_SAN) -lpthread -o $@
$(T)/reinit/reinit_test: tests/reinit/reinit_test.c include/mmu.h include/mmu_host.h $(LIBMMU_SAN)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_TEST_CFLAGS) $< $(LIBMMU_SAN) -o $@

# ---- white-box: the host environment and the reference walkers, built
# from host/host_env.c and host/ref*.c directly, without the engine ----
REF_TEST_SRCS := tests/ref/ref_test.c host/host_env.c host/tlb.c $(wildcard host/ref*.c)
$(T)/ref/ref_test: $(REF_TEST_SRCS) $(LIBMMU_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) -Ihost $(REF_TEST_SRCS) -o $@

# The x86 TLB code: tlb_test.c includes arch/x86_64/mmu_arch.c and
# cpu_features.c with a model CPU behind the instruction wrappers.
$(T)/x86tlb/tlb_test: tests/x86tlb/tlb_test.c arch/x86_64/mmu_arch.c arch/x86_64/cpu_features.c \
		$(wildcard arch/x86_64/*.h) include/arch.h include/kernel.h mmu/hooks/arch_mmu.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=gnu11 -O1 -g $(HOST_WARN) $(HOST_SANFLAGS) \
		-Iinclude -Immu/hooks -Iarch/x86_64 $< -o $@

# The core's memory code (core/vm.c, core/ptdump.c, core/frames.c) on the
# MMU library, every mode (tests/vm/vm_test.c).
VM_CORE_SRCS := core/vm.c core/ptdump.c core/frames.c core/memmap.c core/printf.c
VM_HOST_SRCS := tests/vm/host_ram.c $(VM_CORE_SRCS)
$(T)/vm/vm_test: tests/vm/vm_test.c $(VM_HOST_SRCS) tests/vm/ad.h tests/vm/host_ram.h include/vm.h \
		include/kernel.h include/mmu.h include/mmu_host.h $(LIBMMU_SAN)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_TEST_CFLAGS) tests/vm/vm_test.c $(VM_HOST_SRCS) $(LIBMMU_SAN) -o $@

HOST_TESTS := fdt/fdt_test core/core_test frames/frames_test formats/formats hashed/hashed_test \
	reinit/reinit_test ref/ref_test x86tlb/tlb_test vm/vm_test
.PHONY: $(foreach t,$(HOST_TESTS),test-$(patsubst %/,%,$(dir $(t))))
$(foreach t,$(HOST_TESTS),$(eval test-$(patsubst %/,%,$(dir $(t))): $(T)/$(t) ; $(T)/$(t)))

# The cache lines two transaction threads share, from a lackey trace of
# bench/scale.c's trace mode (tests/suites.d/lines.sh runs both).
$(T)/lines/shared_lines: tests/lines/shared_lines.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=c11 -O2 -g $(HOST_WARN) $< -o $@
