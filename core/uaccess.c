/*
 * The kernel's only way into a task's memory (include/task.h): the range
 * must lie in the running task's user half, and every access goes through
 * the arch's probes (trap_probe), so that a page the task has not touched
 * yet is demand-faulted like any other (core/fault.c resolves the fault
 * and the probe's instruction runs again) and an address with no area, or
 * against its protection, ends the copy with -EFAULT instead of a kernel
 * trap report. The CPU's guard against supervisor access to user pages
 * (RISC-V sstatus.SUM, Arm PAN, x86 SMAP) is lifted for each access only.
 *
 * The probes move aligned 8-byte words: a word never crosses a page, so
 * the word holding a byte of the range is on a page of the range. Partial
 * words at either end are read, merged and written back (one CPU: nothing
 * else writes the task's memory meanwhile).
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "task.h"
#include "vm.h"

#define WORD sizeof(uint64_t)

static bool user_range_ok(uint64_t start, size_t n)
{
	struct vm_space *vs = vm_current();

	return vs && start >= vs->lo && start <= vs->hi && n <= vs->hi - start;
}

static int probe(unsigned access, uint64_t va, uint64_t *val)
{
	int rc;

	arch_user_access(true);
	rc = trap_probe(access, va, val, NULL);
	arch_user_access(false);
	return rc;
}

int copy_from_user(void *dst, uint64_t usrc, size_t n)
{
	uint8_t *d = dst;

	if (!user_range_ok(usrc, n))
		return -EFAULT;
	while (n) {
		uint64_t word_va = usrc & ~(uint64_t)(WORD - 1), word;
		size_t off = usrc - word_va, take = WORD - off < n ? WORD - off : n;

		if (probe(MMU_READ, word_va, &word))
			return -EFAULT;
		memcpy(d, (uint8_t *)&word + off, take);
		d += take;
		usrc += take;
		n -= take;
	}
	return 0;
}

int copy_to_user(uint64_t udst, const void *src, size_t n)
{
	const uint8_t *s = src;

	if (!user_range_ok(udst, n))
		return -EFAULT;
	while (n) {
		uint64_t word_va = udst & ~(uint64_t)(WORD - 1), word = 0;
		size_t off = udst - word_va, put = WORD - off < n ? WORD - off : n;

		if (put < WORD && probe(MMU_READ, word_va, &word))
			return -EFAULT;
		memcpy((uint8_t *)&word + off, s, put);
		if (probe(MMU_WRITE, word_va, &word))
			return -EFAULT;
		s += put;
		udst += put;
		n -= put;
	}
	return 0;
}
