/*
 * The store floor every bench ratio divides by (bench/bench.c, "the
 * physical limit"; bench/txn_floor.c): one PTE-sized store per 4K page,
 * scalar (no vectoriser), the least a 4K mapping must write. In a header
 * so that both programs time the same loop.
 */
#ifndef BENCH_STORE_FLOOR_H
#define BENCH_STORE_FLOOR_H

#include <stddef.h>
#include <stdint.h>

#if defined(__clang__)
__attribute__((noinline))
#else
__attribute__((noinline, optimize("no-tree-vectorize")))
#endif
static void store_ptes(volatile uint64_t *buf, size_t n, uint64_t pa)
{
#if defined(__clang__)
#pragma clang loop vectorize(disable) interleave(disable)
#endif
	for (size_t i = 0; i < n; i++)
		buf[i] = (pa + ((uint64_t)i << 12)) | 0x67;
	__asm__ volatile("" : : "r"(buf) : "memory");
}

#endif
