#!/bin/bash
# The core's memory code (core/vm.c, core/frames.c) on the host under
# ASan/UBSan, in every paging mode: demand-paging counts and page sizes,
# the fallback when large frames run out, refused faults, copy-on-write,
# mremap, and a seeded random run against a page model with allocation
# failures injected (tests/vm/vm_test.c). VM_SEEDS (3) VM_STEPS (400).
set -u
. tests/boot/suite.sh

verdict_test vm build/tests/vm/vm_test build/tests/vm/vm_test
suite_end
