/*
 * The one page-fault entry of every arch (include/vm.h): each arch/<arch>/trap.c
 * decodes (address, access, user mode?) from its fault registers and calls
 * fault_handle() before its "unexpected trap" report. Which address space
 * is running is a core global behind vm_current() ("tasks" sets it on every
 * switch; "smp" will make it per CPU).
 */
#include <errno.h>
#include "kernel.h"
#include "vm.h"

static struct vm_space *current_space;

struct vm_space *vm_current(void)
{
	return current_space;
}

void vm_set_current(struct vm_space *vs)
{
	current_space = vs;
}

static const char *access_word(unsigned access)
{
	return access & MMU_EXEC ? "exec" : access & MMU_WRITE ? "write" : "read";
}

int fault_handle(vaddr_t addr, unsigned access, bool user)
{
	struct vm_space *vs = current_space;
	mmu_translation_set_t *set = vs ? &vs->set : mmu_kernel_set();
	access &= MMU_READ | MMU_WRITE | MMU_EXEC;

	/* First the MMU layer: an access only the Accessed or Dirty state
	 * refused (hardware that does not manage them) is fixed there. */
	if (set && mmu_fault_accessed(set, addr, access | (user ? MMU_USER : 0))) {
		if (vs)
			vs->counts.ad_faults++;
		return 0;
	}

	/* No task, or an address no area can hold (the kernel half): not a
	 * fault the core resolves; the arch's trap report says the rest. */
	if (!vs || addr < vs->lo || addr >= vs->hi)
		return -EFAULT;
	uint64_t spurious = vs->counts.spurious;
	int err = vm_fault(vs, addr, access, user);
	/*
	 * A kernel access to a page mapped as it needs can only have been
	 * refused by the user-memory guard (SUM, PAN, SMAP/SMEP): the kernel
	 * touched user memory outside the copy helpers. Retrying would loop.
	 */
	if (!err && !user && vs->counts.spurious != spurious) {
		kprintf("vm: kernel %s of user address %#llx outside the copy helpers\n",
			access_word(access), (unsigned long long)addr);
		return -EFAULT;
	}
	if (!err)
		return 0;
	struct vm_area *a = vm_find_area(vs, addr);
	kprintf("vm: %s %s fault at %#llx: %s", user ? "user" : "kernel", access_word(access),
		(unsigned long long)addr,
		err == -EFAULT ? "no area" : err == -EACCES ? "against the area's protection" :
		"out of memory");
	if (a)
		kprintf(" (area [%#llx, %#llx) prot %#x %s)", (unsigned long long)a->start,
			(unsigned long long)a->end, a->prot, a->ops->name);
	kprintf("\n");
	if (user)
		vm_dump(vs);
	return err;
}
