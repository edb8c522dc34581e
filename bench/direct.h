/* The direct baseline of the bench (bench/direct.c). */
#ifndef BENCH_DIRECT_H
#define BENCH_DIRECT_H

#include <stdint.h>

enum { DIRECT_MAP, DIRECT_QUERY, DIRECT_UNMAP, DIRECT_PP_MAP, DIRECT_PP_UNMAP, DIRECT_W };
#define DIRECT_X86 0          /* x86-64 4-level */
#define DIRECT_SV39 1
#define DIRECT_MAX_RUNS 101

/* ns per page, median of the runs: map n pages, query them, unmap them and
 * free the emptied tables, then map and unmap them one call per page. */
struct direct_result { double ns[DIRECT_W]; };

/* Returns 0, or -1 when a query found a wrong translation. */
int direct_bench(int which, uint64_t va0, uint64_t pa0, uint64_t npages, int runs,
                 struct direct_result *out);

#endif
