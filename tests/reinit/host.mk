# mmu_host_init called again, every mode in turn (tests/reinit/reinit_test.c,
# ASan+UBSan), against the public API only. Included by mk/host.mk.
#
#   make test-reinit

REINIT_TEST := build/tests/reinit/reinit_test

$(REINIT_TEST): tests/reinit/reinit_test.c include/mmu.h include/mmu_host.h $(LIBMMU_SAN)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -std=c11 -O1 -g $(HOST_WARN) -Iinclude $(HOST_SANFLAGS) $< $(LIBMMU_SAN) -o $@

.PHONY: test-reinit
test-reinit: $(REINIT_TEST)
	$(REINIT_TEST)
