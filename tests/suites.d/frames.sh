#!/bin/bash
# Host test of the physical frame allocator (core/frames.c, ASan/UBSan):
# alignment, zeroing, exhaustion and merging, excluded ranges, bad frees,
# a random run against a page model (tests/host/frames_test.c).
set -u
. tests/boot/suite.sh

verdict_test frames host-frames-test build/host-tests/frames_test
suite_end
