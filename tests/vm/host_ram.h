/*
 * What core/vm.c and core/frames.c need from a kernel, for host programs
 * (tests/vm/vm_test.c, bench/vm_bench.c): a simulated RAM for data frames
 * at SIM_BASE, away from the MMU library's table memory, reached through
 * phys_to_virt(); the console on stdout; panic() that says so and aborts.
 */
#ifndef ORIGAMI_TESTS_VM_HOST_RAM_H
#define ORIGAMI_TESTS_VM_HOST_RAM_H

#include <stdint.h>
#include "kernel.h"

#define SIM_BASE 0x400000000ull

/* size bytes of simulated RAM at SIM_BASE (1 GiB aligned, so every block
 * size can come from it; touched once so the host's own first-touch faults
 * stay out of timings),
 * and a boot_info naming it. Returns 0 or -1. */
int host_ram_init(uint64_t size, struct boot_info *bi);

#endif
