/* Simulated RAM, console and panic for host builds of core code
 * (tests/vm/host_ram.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host_ram.h"

static uint8_t *sim;
static uint64_t sim_bytes;

int host_ram_init(uint64_t size, struct boot_info *bi)
{
	size = (size + (1ull << FRAME_MIN_SHIFT) - 1) & ~((1ull << FRAME_MIN_SHIFT) - 1);
	sim = aligned_alloc(1ull << FRAME_MIN_SHIFT, size);   /* the simulated pa is what is aligned */
	if (!sim)
		return -1;
	memset(sim, 0, size);
	sim_bytes = size;
	memset(bi, 0, sizeof(*bi));
	bi->nram = 1;
	bi->ram[0] = (struct mem_range){ SIM_BASE, size };
	return 0;
}

void *phys_to_virt(uint64_t pa)
{
	if (pa >= SIM_BASE && pa - SIM_BASE < sim_bytes)
		return sim + (pa - SIM_BASE);
	fprintf(stderr, "phys_to_virt(%#llx): outside the simulated RAM\n", (unsigned long long)pa);
	abort();
}

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

/* A broken invariant: one FAIL line (the suites count it), then abort. */
void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL panic: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	abort();
}
