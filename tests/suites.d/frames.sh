#!/bin/bash
# Host test of the physical frame allocator (core/frames.c, ASan/UBSan):
# alignment, zeroing, exhaustion and merging, excluded ranges, bad frees,
# a random run against a page model (tests/host/frames_test.c).
set -u
. tests/boot/suite.sh

verdict_test frames build/tests/frames/frames_test build/tests/frames/frames_test
suite_end
