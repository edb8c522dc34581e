# Round-trip tests of the paging formats (tests/formats/main.c). Each
# arch/<arch>/pt_mode_*.c (and host/pt_mode_*.c) is compiled again with tests/formats/shim first on
# the include path, so its #include "pt_engine.h" brings in the format tests
# (shim/pt_engine.h) instead of the engine; the feature probes and
# panic_mmu come from the library.
#
#   make -f mk/host.mk test-formats

FMT_DIR   := build/host-san/tests/formats
FMT_TEST  := $(FMT_DIR)/formats
FMT_MODE_SRCS := $(wildcard arch/*/pt_mode_*.c host/pt_mode_*.c)
FMT_OBJS  := $(FMT_MODE_SRCS:%.c=$(FMT_DIR)/%.o) $(FMT_DIR)/main.o
FMT_HDRS  := tests/formats/fmt_test.h tests/formats/shim/pt_engine.h $(LIBMMU_HDRS)

$(FMT_DIR)/%.o: %.c $(FMT_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) -iquote tests/formats/shim -Itests/formats -c $< -o $@
$(FMT_DIR)/main.o: tests/formats/main.c $(FMT_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) -Itests/formats -c $< -o $@
$(FMT_TEST): $(FMT_OBJS) $(LIBMMU_SAN)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) $(FMT_OBJS) $(LIBMMU_SAN) -o $@

.PHONY: test-formats
test-formats: $(FMT_TEST)
	$(FMT_TEST)
