# Unit tests of the host environment and the reference walkers (host/).
# Built from tests/ref/ref_test.c, host/host_env.c and host/ref*.c directly, not from the
# library, so that they neither use nor wait for the engine.

REF_TEST      := build/host-san/tests/ref/ref_test
REF_TEST_SRCS := tests/ref/ref_test.c host/host_env.c $(wildcard host/ref*.c)

$(REF_TEST): $(REF_TEST_SRCS) $(wildcard include/*.h mmu/*.h host/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) -Ihost $(REF_TEST_SRCS) -o $@

.PHONY: test-ref
test-ref: $(REF_TEST)
	$(REF_TEST)
