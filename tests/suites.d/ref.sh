#!/bin/bash
# The oracle's own tests: the host environment (simulated physical memory,
# page allocator, TLB policy) and the reference hardware walkers of every
# architecture, checked against tables built by hand from the manuals
# (tests/ref/ref_test.c, built under ASan/UBSan without the engine).
set -u
cd "$(dirname "$0")/../.."
. tests/boot/suite.sh

counted_test ref build/tests/ref/ref_test
