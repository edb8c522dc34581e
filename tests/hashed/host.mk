# Unit tests of the hashed paging mode (tests/hashed/hashed_test.c): the
# format's layout against its spec, overflow chains, the reference
# walker's faults, sparse ranges, a walker racing commits. Included by
# mk/host.mk; the conformance suite (tests/mmu/) covers the rest.
#
#   make -f mk/host.mk test-hashed

HASHED_TEST := build/tests/hashed/hashed_test
HASHED_TEST_CFLAGS := -std=c11 -O1 -g $(HOST_WARN) -Iinclude $(HOST_SANFLAGS)

$(HASHED_TEST): tests/hashed/hashed_test.c include/mmu.h include/mmu_host.h $(LIBMMU_SAN)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HASHED_TEST_CFLAGS) tests/hashed/hashed_test.c $(LIBMMU_SAN) -lpthread -o $@

.PHONY: test-hashed
test-hashed: $(HASHED_TEST)
	$(HASHED_TEST)
