# The core's memory code on the host (included by mk/host.mk): core/vm.c
# and core/frames.c on build/host-san/libmmu.a under ASan/UBSan, every mode.
#
#   make vm-test                build/tests/vm/vm_test [seeds [steps]]
VM_TEST := build/tests/vm/vm_test
VM_CORE_SRCS := core/vm.c core/ptdump.c core/frames.c core/memmap.c core/printf.c
VM_TEST_HDRS := include/vm.h include/kernel.h include/mmu.h include/mmu_host.h

.PHONY: vm-test
vm-test: $(VM_TEST)
$(VM_TEST): tests/vm/vm_test.c $(VM_CORE_SRCS) $(VM_TEST_HDRS) $(LIBMMU_SAN)
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS_SAN) tests/vm/vm_test.c $(VM_CORE_SRCS) $(LIBMMU_SAN) -o $@
