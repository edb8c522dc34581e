#!/bin/bash
# Concurrent transactions on one translation set (tests/mmu/conc.c) under
# ThreadSanitizer: threads on disjoint windows checked against the union of
# their models (tables in use exact, nothing leaked), threads on shared
# counter pages checked for lost updates, a lockless reader checked for torn
# commits. A data race is a failure too (TSan's exit status, and its report
# after the summary line). docs/transactions.md, "Locking".
set -u
cd "$(dirname "$0")/../.."
. tests/boot/suite.sh

counted_test conc build/tests/mmu/conc
