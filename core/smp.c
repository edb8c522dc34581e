/*
 * Every CPU the firmware reports: the list (arch_cpu_enumerate), the
 * start of the others once the kernel's set is built (smp_boot), their
 * idle loop, and the cross-call that runs a function on some of them
 * (smp_call). docs/smp.md has the model; include/smp.h the interface.
 *
 * The mailbox of each CPU takes one call at a time: a caller holds the
 * target's call_lock from posting until the target has finished. While a
 * CPU waits for a call of its own to finish it keeps answering calls to
 * itself, so that two CPUs calling each other cannot deadlock.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "smp.h"

_Static_assert(offsetof(struct cpu, stack_top) == SMP_CPU_STACK_OFFSET &&
               offsetof(struct cpu, trap_stack_top) == SMP_CPU_TRAP_STACK_OFFSET &&
               offsetof(struct cpu, tls) == SMP_CPU_TLS_OFFSET &&
               offsetof(struct cpu, arch_boot) == SMP_CPU_ARCH_BOOT_OFFSET &&
               offsetof(struct cpu, tls_block) == SMP_CPU_TLS_BLOCK_OFFSET,
               "the entry code's offsets of struct cpu (smp.h)");
_Static_assert(offsetof(struct smp_start, hwid) == SMP_START_HWID_OFFSET &&
               offsetof(struct smp_start, cpu) == SMP_START_CPU_OFFSET &&
               sizeof(struct smp_start) == SMP_START_SIZE,
               "the entry code's layout of struct smp_start (smp.h)");

struct cpu cpus[SMP_MAX_CPUS];
unsigned smp_cpu_count = 1;
struct smp_start smp_starts[SMP_MAX_CPUS];
/* smp.give_up=N (tests): start cpus[N] as if its wait had timed out
 * before it arrived: no start word of its own, the next CPU's already
 * there, and not waited for. It must park, not take cpus[N + 1]'s. */
static unsigned give_up_on;

/* One lock per target mailbox (not in struct cpu: the asm offsets of
 * struct cpu stay put). */
static volatile uint32_t call_lock[SMP_MAX_CPUS];

/* How long smp_boot waits for a started CPU to say it is online, in
 * polls of its flag: generous, since QEMU's vCPUs share 2 host cores with
 * other work; a CPU that never comes is reported, not waited for forever. */
#define SMP_START_POLLS 400000000ull

/* How long a CPU waits for another to answer (a call to finish, its
 * mailbox to free up; x86: a shootdown to be acknowledged), in polls,
 * before it panics naming that CPU and what it was asked: a CPU that
 * never answers is a broken invariant, and a named panic beats a silent
 * hang until the run's timeout. Under QEMU 10^8 polls took at most 19 s on
 * riscv64 and 42 s on x86_64 (docs/smp.md), so 250 million polls are at most about 50 s
 * and 110 s there, inside the suites' boot timeouts, and well above the
 * longest wait they make (a CPU running a whole test: a few seconds).
 * smp.answer_polls=N (tests) sets another bound. */
#define SMP_ANSWER_POLLS 250000000ull
static uint64_t answer_polls = SMP_ANSWER_POLLS;
/* smp.deaf=N (tests): cpus[N] comes online and then never answers again
 * (spins without polling): a call to it must end in that panic. */
static unsigned deaf_cpu;

void smp_tls_prepare(struct cpu *c, const char *tdata, const char *tdata_end, const char *tls_end)
{
	size_t data = (size_t)(tdata_end - tdata), all = (size_t)(tls_end - tdata);

	if (all > sizeof(c->tls_block))
		panic("smp: a TLS block of %zu bytes exceeds CPU_TLS_BYTES (%zu)", all,
		      sizeof(c->tls_block));
	memcpy(c->tls_block, tdata, data);
	memset(c->tls_block + data, 0, sizeof(c->tls_block) - data);
	c->tls = (uint64_t)(uintptr_t)c->tls_block;
}

struct cpu *this_cpu(void)
{
	return arch_cpu_self();
}

unsigned smp_cpu_index(void)
{
	/* Before smp_init the register holds whatever the firmware left:
	 * compared with cpus[], never followed. */
	struct cpu *c = arch_cpu_self();
	uintptr_t i = (uintptr_t)(c - cpus);

	if ((uintptr_t)c < (uintptr_t)cpus || i >= SMP_MAX_CPUS || c != &cpus[i])
		return 0;
	return (unsigned)i;
}

uint64_t smp_online_mask(void)
{
	uint64_t mask = 0;

	for (unsigned i = 0; i < smp_cpu_count; i++)
		if (__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE))
			mask |= 1ull << i;
	return mask;
}

uint64_t smp_cpus_using(const struct mmu_translation_set *t, bool kernel_half)
{
	uint64_t mask = 0;

	/* Pairs with the fence in smp_note_active: either the caller sees a
	 * CPU that switched to t, or that CPU's walks see the caller's new
	 * descriptors (its switch flushed its TLB after the fence). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < smp_cpu_count; i++) {
		struct cpu *c = &cpus[i];

		struct mmu_translation_set *a = __atomic_load_n(&c->active_set, __ATOMIC_ACQUIRE);

		/* Not online is no reason to skip: a CPU between its switch
		 * and its online flag already walks t's tables. */
		if (a && (kernel_half || a == t))
			mask |= 1ull << i;
	}
	return mask;
}

/* A test argument naming a secondary CPU, 1-9 ("smp.give_up=2"); 0 when
 * absent or anything else. */
static unsigned test_cpu_arg(const struct boot_info *bi, const char *key)
{
	char arg[8];

	if (bi->cmdline && cmdline_get(bi->cmdline, key, arg, sizeof(arg)) &&
	    arg[0] > '0' && arg[0] <= '9' && !arg[1])
		return (unsigned)(arg[0] - '0');
	return 0;
}

void smp_init(const struct boot_info *bi)
{
	uint64_t ids[SMP_MAX_CPUS];
	uint64_t self = arch_cpu_hwid();
	unsigned n = arch_cpu_enumerate(bi, ids, SMP_MAX_CPUS), next = 1;

	cpus[0].index = 0;
	cpus[0].hwid = self;
	for (unsigned i = 0; i < n && next < SMP_MAX_CPUS; i++) {
		if (ids[i] == self)
			continue;
		cpus[next].index = next;
		cpus[next].hwid = ids[i];
		next++;
	}
	smp_cpu_count = next;
	give_up_on = test_cpu_arg(bi, "smp.give_up");
	deaf_cpu = test_cpu_arg(bi, "smp.deaf");
	char polls[24];
	uint64_t v;
	if (bi->cmdline && cmdline_get(bi->cmdline, "smp.answer_polls", polls, sizeof(polls)) &&
	    parse_u64(polls, &v) && v)
		answer_polls = v;
	arch_cpu_set_self(&cpus[0]);
	__atomic_store_n(&cpus[0].online, true, __ATOMIC_RELEASE);
}

/* Run what the mailbox holds, if anything. */
static void smp_poll(struct cpu *c)
{
	uint64_t req;

	arch_smp_poll();
	req = __atomic_load_n(&c->call_req, __ATOMIC_ACQUIRE);

	if (req == c->call_taken)
		return;
	c->call_taken = req;
	c->call_fn(c->call_arg);
	__atomic_store_n(&c->call_done, req, __ATOMIC_RELEASE);
}

uint64_t smp_answer_polls(void)
{
	return answer_polls;
}

void smp_secondary_main(struct cpu *c)
{
	arch_ipi_init();
	mmu_activate(mmu_kernel_set());
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	if (c->index == deaf_cpu)
		for (;;)
			__asm__ volatile("" ::: "memory");   /* smp.deaf: answers nothing */
	for (;;) {
		smp_poll(c);
		arch_cpu_idle();
	}
}

void smp_call_async(unsigned target, smp_fn fn, void *arg)
{
	struct cpu *c = &cpus[target], *self = this_cpu();
	uint64_t polls = 0;

	while (__atomic_exchange_n(&call_lock[target], 1, __ATOMIC_ACQUIRE)) {
		if (++polls == answer_polls)
			panic("smp: cpu %u (id %#llx) still busy with an earlier call %p(%p) after "
			      "%llu polls: it does not answer (cpu %u wanted to call %p(%p))", target,
			      (unsigned long long)c->hwid, (void *)c->call_fn, c->call_arg,
			      (unsigned long long)polls, self->index, (void *)fn, arg);
		smp_poll(self);
	}
	c->call_fn = fn;
	c->call_arg = arg;
	__atomic_store_n(&c->call_req, c->call_req + 1, __ATOMIC_RELEASE);
	self->ipis_sent++;
	arch_ipi_send(c);
}

void smp_call_wait(unsigned target)
{
	struct cpu *c = &cpus[target], *self = this_cpu();
	uint64_t polls = 0;

	while (__atomic_load_n(&c->call_done, __ATOMIC_ACQUIRE) != c->call_req) {
		if (++polls == answer_polls)
			panic("smp: cpu %u (id %#llx) did not finish the call %p(%p) of cpu %u within "
			      "%llu polls (its mailbox: request %llu, taken %llu, done %llu)", target,
			      (unsigned long long)c->hwid, (void *)c->call_fn, c->call_arg, self->index,
			      (unsigned long long)polls, (unsigned long long)c->call_req,
			      (unsigned long long)c->call_taken, (unsigned long long)c->call_done);
		smp_poll(self);
	}
	__atomic_store_n(&call_lock[target], 0, __ATOMIC_RELEASE);
}

void smp_call(uint64_t mask, smp_fn fn, void *arg)
{
	struct cpu *self = this_cpu();
	uint64_t others = mask & smp_online_mask() & ~(1ull << self->index);

	for (unsigned i = 0; i < smp_cpu_count; i++)
		if (others & (1ull << i))
			smp_call_async(i, fn, arg);
	if (mask & (1ull << self->index))
		fn(arg);
	for (unsigned i = 0; i < smp_cpu_count; i++)
		if (others & (1ull << i))
			smp_call_wait(i);
}

/* A stack of 2^CPU_STACK_SHIFT bytes: its top, in the direct map. */
static uint64_t alloc_stack(void)
{
	uint64_t pa = frames_alloc(CPU_STACK_SHIFT);

	if (!pa)
		return 0;
	return (uint64_t)(uintptr_t)phys_to_virt(pa) + (1ull << CPU_STACK_SHIFT);
}

void smp_boot(void)
{
	unsigned online = 1;

	arch_ipi_init();
	for (unsigned i = 1; i < smp_cpu_count; i++) {
		struct cpu *c = &cpus[i];
		int err;

		c->stack_top = alloc_stack();
		c->trap_stack_top = alloc_stack();
		if (!c->stack_top || !c->trap_stack_top) {
			kprintf("smp: cpu %u (id %#llx): no memory for its stacks\n", i,
				(unsigned long long)c->hwid);
			continue;
		}
		if (i == give_up_on && i + 1 < smp_cpu_count) {
			smp_starts[i + 1].hwid = cpus[i + 1].hwid;
			__atomic_store_n(&smp_starts[i + 1].cpu, &cpus[i + 1], __ATOMIC_RELEASE);
		} else {
			smp_starts[i].hwid = c->hwid;
			__atomic_store_n(&smp_starts[i].cpu, c, __ATOMIC_RELEASE);
		}
		if ((err = arch_cpu_start(c))) {
			__atomic_store_n(&smp_starts[i].cpu, NULL, __ATOMIC_RELEASE);
			kprintf("smp: cpu %u (id %#llx): the firmware refused to start it (%d)\n", i,
				(unsigned long long)c->hwid, err);
			continue;
		}
		uint64_t polls = 0, limit = i == give_up_on ? 0 : SMP_START_POLLS;
		while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && polls < limit)
			polls++;
		/* Given up: take its start word back. If it had claimed it
		 * already it is on its way (its own stacks): wait again. */
		if (!c->online && i != give_up_on &&
		    !__atomic_exchange_n(&smp_starts[i].cpu, NULL, __ATOMIC_ACQ_REL))
			for (polls = 0; !__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) &&
			     polls < SMP_START_POLLS; polls++)
				;
		if (!c->online) {
			kprintf("smp: cpu %u (id %#llx): started but never came online%s\n", i,
				(unsigned long long)c->hwid,
				i == give_up_on ? " (smp.give_up: not waited for)" : "");
			continue;
		}
		online++;
	}
	kprintf("smp: %u of %u CPUs online on the kernel's set\n", online, smp_cpu_count);
}

void smp_note_active(struct mmu_translation_set *t)
{
	__atomic_store_n(&this_cpu()->active_set, t, __ATOMIC_RELEASE);
	/* Pairs with smp_cpus_using's fence (Dekker): the arch's switch
	 * flushes this CPU's TLB after it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int smp_map_device(uint64_t pa, uint64_t len)
{
	const struct mmu_geometry *g = mmu_geometry();
	uint64_t page = 1ull << g->page_shift;
	uint64_t first = pa & ~(page - 1), end = (pa + len + page - 1) & ~(page - 1);
	mmu_transaction_t ta;
	int err = 0;

	mmu_transaction(&ta, mmu_kernel_set());
	for (uint64_t p = first; p < end && !err; p += page) {
		mmu_entry_t e = mmu_mkglobal(mmu_mkmemtype(mmu_mkentry(p, MMU_READ | MMU_WRITE),
		                                           MMU_MEM_DEVICE));
		err = mmu_add(&ta, e, (vaddr_t)(uintptr_t)phys_to_virt(p));
		if (err == -EEXIST)
			err = 0;   /* already mapped (the console's page, a second call) */
	}
	if (err) {
		mmu_forget(&ta);
		return err;
	}
	return mmu_commit(&ta);
}
