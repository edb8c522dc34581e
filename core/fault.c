/*
 * The one page-fault entry of every arch (include/vm.h): each arch/<arch>/trap.c
 * decodes (address, access, user mode?) from its fault registers and calls
 * fault_handle() before its "unexpected trap" report. Which address space
 * a CPU runs is per CPU (vm_current(); "tasks" sets it on every switch):
 * several CPUs may fault on one space at once, and vm_fault's lock makes
 * the page theirs once (docs/memory.md, "More CPUs").
 */
#include <errno.h>
#include "kernel.h"
#include "smp.h"
#include "vm.h"

/* Per CPU (smp_cpu_index: also before the per-CPU register is set). */
static struct {
	struct vm_space *space;         /* the space this CPU runs */
	/* The last kernel fault vm_fault found resolved already (-EEXIST),
	 * cleared by any other outcome: the same one again means the retry
	 * did not help (below). */
	bool refused_once;
	vaddr_t refused_addr;
	unsigned refused_access;
} here[SMP_MAX_CPUS];

struct vm_space *vm_current(void)
{
	return here[smp_cpu_index()].space;
}

void vm_set_current(struct vm_space *vs)
{
	here[smp_cpu_index()].space = vs;
}

static const char *access_word(unsigned access)
{
	return access & MMU_EXEC ? "exec" : access & MMU_WRITE ? "write" : "read";
}

int fault_handle(vaddr_t addr, unsigned access, bool user)
{
	typeof(here[0]) *cpu = &here[smp_cpu_index()];
	struct vm_space *vs = cpu->space;
	mmu_translation_set_t *set = vs ? &vs->set : mmu_kernel_set();
	access &= MMU_READ | MMU_WRITE | MMU_EXEC;

	/* First the MMU layer: an access only the Accessed or Dirty state
	 * refused (hardware that does not manage them) is fixed there, in a
	 * transaction on the space's set: under its lock, as vm_fault's. */
	if (vs)
		spin_lock(&vs->lock);
	bool ad = set && mmu_fault_accessed(set, addr, access | (user ? MMU_USER : 0));
	if (vs) {
		vs->counts.ad_faults += ad;
		spin_unlock(&vs->lock);
	}
	if (ad)
		return 0;

	/* No task, or an address no area can hold (the kernel half): not a
	 * fault the core resolves; the arch's trap report says the rest. */
	if (!vs || addr < vs->lo || addr >= vs->hi)
		return -EFAULT;
	int err = vm_fault(vs, addr, access, user);
	bool again = cpu->refused_once && cpu->refused_addr == addr && cpu->refused_access == access;

	cpu->refused_once = !user && err == -EEXIST;
	cpu->refused_addr = addr;
	cpu->refused_access = access;
	/*
	 * Mapped as the access needs already: another CPU mapped it while
	 * this one faulted (it waited for vm_fault's lock), or a stale TLB
	 * entry; the access is retried. A kernel access refused that way
	 * twice in a row on this CPU can only have been refused by the
	 * user-memory guard (SUM, PAN, SMAP/SMEP): the kernel touched user
	 * memory outside the copy helpers. Retrying would loop.
	 */
	if (err == -EEXIST && !user && again) {
		cpu->refused_once = false;
		kprintf("vm: kernel %s of user address %#llx outside the copy helpers\n",
			access_word(access), (unsigned long long)addr);
		return -EFAULT;
	}
	if (!err || err == -EEXIST)
		return 0;
	spin_lock(&vs->lock);   /* the tree, for the report */
	struct vm_area *a = vm_find_area(vs, addr);
	kprintf("vm: %s %s fault at %#llx: %s", user ? "user" : "kernel", access_word(access),
		(unsigned long long)addr,
		err == -EFAULT ? "no area" : err == -EACCES ? "against the area's protection" :
		"out of memory");
	if (a)
		kprintf(" (area [%#llx, %#llx) prot %#x %s)", (unsigned long long)a->start,
			(unsigned long long)a->end, a->prot, a->ops->name);
	kprintf("\n");
	spin_unlock(&vs->lock);
	if (user)
		vm_dump(vs);
	return err;
}
