/*
 * mmu_host_init called again (mmu-api.md, "Host build"): it starts over in
 * every respect once no set exists, and refuses with -EBUSY, changing
 * nothing, while one does. Every mode in turn, each one after the previous
 * mode was left selected, through the sequence that used to abort
 * ("mmu_env_free: free of never-allocated page"):
 *   init; select; new set; add a page; commit; remove the set;
 *   init; select; new set; add a page; commit; remove the set.
 * Prints PASS/FAIL lines and "N passed, N failed".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mmu.h"
#include "mmu_host.h"

#define PHYS_BYTES ((size_t)64 << 20)
#define OUT_PA     0x40000000ull   /* an output address: any page-aligned one */

static unsigned passed, failed;

static bool __attribute__((format(printf, 2, 3))) check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	ok ? passed++ : failed++;
	return ok;
}

/* One page mapped at a base-page-aligned user VA through a transaction;
 * 0 and the hardware's view agrees, or the failing step's error. */
static int map_one(mmu_translation_set_t *t, vaddr_t va)
{
	mmu_transaction_t ta;
	paddr_t pa = 0;
	int rc;

	mmu_transaction(&ta, t);
	if ((rc = mmu_add(&ta, mmu_mkentry(OUT_PA, MMU_READ | MMU_WRITE), va)) ||
	    (rc = mmu_commit(&ta))) {
		mmu_forget(&ta);
		return rc;
	}
	if ((rc = mmu_host_hw_translate(t, va, MMU_READ, &pa)))
		return rc;
	return pa == OUT_PA ? 0 : -EFAULT;
}

/* select; new set; one page; check; remove; back to the baseline. */
static bool one_round(const char *mode, const char *round)
{
	mmu_translation_set_t t;
	size_t baseline;
	int rc;

	rc = mmu_select_mode(mode);
	if (!check(rc == 0, "%s, %s: select: %d", mode, round, rc))
		return false;
	baseline = mmu_host_tables_in_use();
	rc = mmu_new_translation_set(&t);
	if (!check(rc == 0, "%s, %s: new set: %d", mode, round, rc))
		return false;
	vaddr_t va = 16ull << mmu_geometry()->page_shift;
	rc = map_one(&t, va);
	check(rc == 0, "%s, %s: a page mapped and walked: %d", mode, round, rc);

	/* A set exists: init refuses and changes nothing. */
	rc = mmu_host_init(PHYS_BYTES);
	check(rc == -EBUSY, "%s, %s: init with a set: -EBUSY, got %d",
	      mode, round, rc);
	paddr_t pa = 0;
	rc = mmu_host_hw_translate(&t, va, MMU_READ, &pa);
	check(rc == 0 && pa == OUT_PA && !strcmp(mmu_current_mode(), mode),
	      "%s, %s: after the refused init the set still translates (%d, %#llx) in %s",
	      mode, round, rc, (unsigned long long)pa, mmu_current_mode());

	mmu_remove_translation_set(&t);
	return check(mmu_host_tables_in_use() == baseline, "%s, %s: removed, tables back to %zu: %zu",
	             mode, round, baseline, mmu_host_tables_in_use());
}

int main(void)
{
	size_t n = mmu_mode_count();

	for (size_t i = 0; i < n; i++) {
		const char *mode = mmu_mode_name(i);
		int rc;

		/* Mode i - 1 (or none) is still selected here. */
		rc = mmu_host_init(PHYS_BYTES);
		if (!check(rc == 0, "%s: first init: %d", mode, rc) ||
		    !one_round(mode, "first memory"))
			continue;
		rc = mmu_host_init(PHYS_BYTES);
		check(rc == 0, "%s: init again: %d", mode, rc);
		check(mmu_host_tables_in_use() == 0 && !mmu_current_mode() && !mmu_geometry(),
		      "%s: init again starts over: %zu tables, mode %s", mode,
		      mmu_host_tables_in_use(), mmu_current_mode() ? mmu_current_mode() : "none");
		one_round(mode, "second memory");
	}
	check(n >= 12, "every mode ran: %zu", n);
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
