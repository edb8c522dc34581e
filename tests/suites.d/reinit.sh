#!/bin/bash
# mmu_host_init called again starts over in every mode, and refuses while a
# set exists (tests/reinit/reinit_test.c).
set -u
. tests/boot/suite.sh
verdict_test reinit build/tests/reinit/reinit_test build/tests/reinit/reinit_test
suite_end
