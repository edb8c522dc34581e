#!/bin/bash
# The paging formats alone (tests/formats): every mode's descriptors
# encoded and decoded at every level, with every attribute combination,
# plus descriptors worked out by hand from the manuals; built under
# ASan/UBSan, each arch/<arch>/pt_mode_*.c compiled with the format tests
# in place of the engine.
set -u
cd "$(dirname "$0")/../.."
. tests/boot/suite.sh

counted_test formats build/tests/formats/formats
