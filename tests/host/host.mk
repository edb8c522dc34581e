# Host tests of core/ code in tests/host/ that have no rule in the Makefile
# (included by mk/host.mk). The frame allocator: core/frames.c and the
# usable-RAM computation it relies on (core/memmap.c), on a simulated RAM.
HOST_FRAMES_TEST := build/host-tests/frames_test
$(HOST_FRAMES_TEST): tests/host/frames_test.c core/frames.c core/memmap.c include/kernel.h
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) tests/host/frames_test.c core/frames.c core/memmap.c -o $@
.PHONY: host-frames-test
host-frames-test: $(HOST_FRAMES_TEST)
