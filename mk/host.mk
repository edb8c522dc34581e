# The host build of the MMU layer: every mode of every architecture in one
# library, on a simulated physical memory (host/). Included by the top-level
# Makefile; usable alone: `make -f mk/host.mk host-lib`.
#
#   build/host/libmmu.a      -O2, no sanitizers: external tests, benchmarks
#   build/host-san/libmmu.a  -O1, AddressSanitizer + UndefinedBehaviorSanitizer:
#                            what `make test` links the MMU tests against
#
# The host test programs' rules are in mk/tests.mk (and those of areas that
# keep their own in tests/<area>/host.mk); they link $(LIBMMU_SAN) or $(LIBMMU).

Q ?= @
HOST_CC      ?= cc
HOST_CLANG   ?= clang
HOST_WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
HOST_CFLAGS  := -std=c11 -O2 -g $(HOST_WARN) -Iinclude -Immu -Immu/format -DMMU_HOST=1 -DMMU_LAYER
HOST_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_CFLAGS_SAN := -std=c11 -O1 -g $(HOST_WARN) -Iinclude -Immu -Immu/format -DMMU_HOST=1 -DMMU_LAYER $(HOST_SANFLAGS)

# The library: the front end and engine (mmu/), the formats (one small .c
# per mode in arch/<arch>/pt_*.c), the host environment and the reference
# walkers (host/).
LIBMMU_SRCS := $(wildcard mmu/*.c) $(wildcard arch/*/pt_*.c) $(wildcard host/*.c)
LIBMMU      := build/host/libmmu.a
LIBMMU_SAN  := build/host-san/libmmu.a

LIBMMU_OBJS     := $(LIBMMU_SRCS:%.c=build/host/obj/%.o)
LIBMMU_SAN_OBJS := $(LIBMMU_SRCS:%.c=build/host-san/obj/%.o)
LIBMMU_HDRS     := $(wildcard include/*.h mmu/*.h mmu/format/*.h arch/*/*.h host/*.h)

.PHONY: host-lib host-lib-san
host-lib: $(LIBMMU)
host-lib-san: $(LIBMMU_SAN)

build/host/obj/%.o: %.c $(LIBMMU_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@
build/host-san/obj/%.o: %.c $(LIBMMU_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) -c $< -o $@

$(LIBMMU): $(LIBMMU_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(LIBMMU_SAN): $(LIBMMU_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

include mk/tests.mk
# Areas that keep their own rules (tests/mmu, tests/vm...) and the bench.
include $(wildcard tests/*/host.mk)
include bench/bench.mk
include bench/vm_bench.mk

# ---- make explain: every mode maps the same small address space; what
# each wrote, side by side (tools/explain/), into docs/explain.md. Each mode
# file is compiled again with tools/explain/shim first on the include path
# (as the formats test does), which turns it into a walker of its tables. ----
EXPLAIN_DIR  := build/explain
EXPLAIN_BIN  := $(EXPLAIN_DIR)/explain
EXPLAIN_OBJS := $(patsubst %.c,$(EXPLAIN_DIR)/obj/%.o,$(wildcard arch/*/pt_mode_*.c host/pt_mode_*.c)) \
	$(EXPLAIN_DIR)/obj/explain.o
$(EXPLAIN_DIR)/obj/%.o: %.c tools/explain/shim/pt_engine.h tools/explain/explain.h $(LIBMMU_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -iquote tools/explain/shim -Itools/explain -c $< -o $@
$(EXPLAIN_DIR)/obj/explain.o: tools/explain/explain.c tools/explain/explain.h include/mmu.h include/mmu_host.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=c11 -O2 -g $(HOST_WARN) -Iinclude -Itools/explain -c $< -o $@
$(EXPLAIN_BIN): $(EXPLAIN_OBJS) $(LIBMMU)
	$(Q)$(HOST_CC) $(EXPLAIN_OBJS) $(LIBMMU) -o $@

.PHONY: explain
explain: $(EXPLAIN_BIN)
	$(Q)mkdir -p docs
	$(Q)$(EXPLAIN_BIN) >$(EXPLAIN_DIR)/explain.md
	$(Q)cp $(EXPLAIN_DIR)/explain.md docs/explain.md
	@echo "explain: docs/explain.md ($(EXPLAIN_DIR)/explain.md)"
