#!/bin/bash
# The hashed paging mode's own unit tests (tests/hashed/), under
# ASan+UBSan. The conformance suite runs it with every other mode
# (tests/suites.d/mmu.sh).
set -u
cd "$(dirname "$0")/../.."
. tests/boot/suite.sh

counted_test hashed build/tests/hashed/hashed_test
