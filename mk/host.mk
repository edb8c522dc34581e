# The host build of the MMU layer: every mode of every architecture in one
# library, on a simulated physical memory (host/). Included by the top-level
# Makefile; usable alone: `make -f mk/host.mk host-lib`.
#
#   build/host/libmmu.a      -O2, no sanitizers: external tests, benchmarks
#   build/host-san/libmmu.a  -O1, AddressSanitizer + UndefinedBehaviorSanitizer:
#                            what `make test` links the MMU tests against
#
# Test areas add their own rules in tests/<area>/host.mk (included below);
# they link $(LIBMMU_SAN) or $(LIBMMU) with $(HOST_CFLAGS_SAN)/$(HOST_CFLAGS).

Q ?= @
HOST_CC      ?= cc
HOST_CLANG   ?= clang
HOST_WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
HOST_CFLAGS  := -std=c11 -O2 -g $(HOST_WARN) -Iinclude -Immu -DMMU_HOST=1 -DMMU_LAYER
HOST_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_CFLAGS_SAN := -std=c11 -O1 -g $(HOST_WARN) -Iinclude -Immu -DMMU_HOST=1 -DMMU_LAYER $(HOST_SANFLAGS)

# The library: the front end and engine (mmu/), the formats (one small .c
# per mode in arch/<arch>/pt_*.c), the host environment and the reference
# walkers (host/).
LIBMMU_SRCS := $(wildcard mmu/*.c) $(wildcard arch/*/pt_*.c) $(wildcard host/*.c)
LIBMMU      := build/host/libmmu.a
LIBMMU_SAN  := build/host-san/libmmu.a

LIBMMU_OBJS     := $(LIBMMU_SRCS:%.c=build/host/obj/%.o)
LIBMMU_SAN_OBJS := $(LIBMMU_SRCS:%.c=build/host-san/obj/%.o)
LIBMMU_HDRS     := $(wildcard include/*.h mmu/*.h arch/*/pt_*.h host/*.h)

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

-include $(wildcard tests/*/host.mk)
-include bench/bench.mk
