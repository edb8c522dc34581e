#!/bin/bash
# Host tests of the arch-neutral core code that runs unchanged on the host
# (ASan/UBSan): core/libc (x86_64's C library) against glibc, cmdline_get,
# and the usable-RAM computation against a page model.
set -u
. tests/boot/suite.sh

verdict_test core build/tests/core/core_test build/tests/core/core_test
suite_end
