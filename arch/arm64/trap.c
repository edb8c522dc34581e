/*
 * Exceptions taken to EL1: decode ESR_EL1 and FAR_EL1 (Arm ARM D19.2
 * "ESR_EL1", D1.3 "Exceptions") into a struct trap_info for trap_handle().
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "arm64.h"
#include "vm.h"
#include "probe.h"
#include "sysreg.h"
#include "trap_frame.h"

/* ESR_EL1: EC 31:26, ISS 24:0. */
#define ESR_EC(esr)		(((esr) >> 26) & 0x3f)
#define ESR_ISS(esr)		((esr) & 0x1ffffff)
/* ISS of Data and Instruction Aborts. */
#define ISS_ABORT_FSC(iss)	((iss) & 0x3f)
#define ISS_ABORT_WNR		(1u << 6)	/* data aborts: write */
#define ISS_ABORT_FNV		(1u << 10)	/* FAR not valid */

/* Exception classes (ESR_EL1.EC). */
enum {
	EC_UNKNOWN	= 0x00,
	EC_IABT_LOWER	= 0x20,
	EC_IABT		= 0x21,
	EC_PC_ALIGN	= 0x22,
	EC_DABT_LOWER	= 0x24,
	EC_DABT		= 0x25,
	EC_WATCH_LOWER	= 0x34,
	EC_WATCH	= 0x35,
};

static const char *const ec_names[64] = {
	[EC_UNKNOWN]	= "undefined instruction",	/* "Unknown reason" */
	[0x01]		= "trapped WFI/WFE",
	[0x07]		= "trapped SIMD/FP access",
	[0x0d]		= "branch target exception",
	[0x0e]		= "illegal execution state",
	[0x11]		= "SVC (AArch32)",
	[0x15]		= "SVC",
	[0x16]		= "HVC",
	[0x17]		= "SMC",
	[0x18]		= "trapped MSR/MRS/system instruction",
	[0x19]		= "trapped SVE access",
	[0x1c]		= "pointer authentication failure",
	[EC_IABT_LOWER]	= "instruction abort from EL0",
	[EC_IABT]	= "instruction abort",
	[EC_PC_ALIGN]	= "PC alignment fault",
	[EC_DABT_LOWER]	= "data abort from EL0",
	[EC_DABT]	= "data abort",
	[0x26]		= "SP alignment fault",
	[0x2c]		= "floating-point exception",
	[0x2f]		= "SError",
	[0x30]		= "breakpoint from EL0",
	[0x31]		= "breakpoint",
	[0x32]		= "software step from EL0",
	[0x33]		= "software step",
	[EC_WATCH_LOWER] = "watchpoint from EL0",
	[EC_WATCH]	= "watchpoint",
	[0x38]		= "BKPT (AArch32)",
	[0x3c]		= "BRK",
};

/* The 16 vectors (vectors.S): group (index / 4), then kind (index % 4). */
static const char *const vector_groups[4] = {
	"current EL with SP_EL0", "current EL with SP_ELx",
	"lower EL, AArch64", "lower EL, AArch32",
};
static const char *const vector_kinds[4] = { "synchronous", "IRQ", "FIQ", "SError" };
enum { VECTOR_SYNC = 0, VECTOR_SERROR = 3 };

/*
 * Data/Instruction Fault Status Code (ISS.DFSC/IFSC). Levels -1..3 are the
 * manual's lookup levels (-1 only with FEAT_LPA2).
 */
static void describe_fsc(char *buf, size_t len, unsigned fsc)
{
	static const char *const walk_faults[4] = {
		"address size fault", "translation fault",
		"access flag fault", "permission fault",
	};

	if (fsc < 0x10)
		ksnprintf(buf, len, "%s, level %u", walk_faults[fsc >> 2], fsc & 3);
	else if (fsc == 0x29)
		ksnprintf(buf, len, "address size fault, level -1");
	else if (fsc == 0x2b)
		ksnprintf(buf, len, "translation fault, level -1");
	else if (fsc == 0x10)
		ksnprintf(buf, len, "synchronous external abort");
	else if (fsc == 0x13 || (fsc >= 0x14 && fsc <= 0x17))
		ksnprintf(buf, len, "synchronous external abort on table walk, level %d",
			  fsc == 0x13 ? -1 : (int)(fsc & 3));
	else if (fsc == 0x11)
		ksnprintf(buf, len, "tag check fault");
	else if (fsc == 0x21)
		ksnprintf(buf, len, "alignment fault");
	else if (fsc == 0x30)
		ksnprintf(buf, len, "TLB conflict abort");
	else
		ksnprintf(buf, len, "fault status %#04x", fsc);
}

static const struct probe_fixup *probe_fixup_find(const struct trap_frame *f)
{
	if (f->vector % 4 != VECTOR_SYNC)
		return NULL;
	for (const struct probe_fixup *p = __probe_fixups_start; p < __probe_fixups_end; p++) {
		uint64_t at = (p->match & PROBE_MATCH_LR) ? f->x[30] : f->elr;

		if (p->insn == at)
			return p;
	}
	return NULL;
}

static void probe_fixup_apply(struct trap_frame *f, const struct probe_fixup *p)
{
	f->x[0] = (uint64_t)-EFAULT;
	f->elr = p->resume;
}

bool arch_fixup_probe(struct trap_info *ti)
{
	const struct probe_fixup *p = probe_fixup_find(ti->frame);

	if (!p)
		return false;
	probe_fixup_apply(ti->frame, p);
	return true;
}

#define EC_SVC64	0x15		/* SVC in AArch64 state */
#define VECTOR_LOWER_A64_SYNC 8	/* lower EL in AArch64, synchronous */

/* Called by vectors.S for every exception taken to EL1; returns the frame
 * to resume (include/arch.h, "user mode"). */
struct trap_frame *arm64_trap(struct trap_frame *f);
struct trap_frame *arm64_trap(struct trap_frame *f)
{
	static char cause[96];
	const struct probe_fixup *p = probe_fixup_find(f);
	unsigned kind = f->vector % 4;
	unsigned ec = ESR_EC(f->esr), iss = ESR_ISS(f->esr);
	struct trap_info ti = {
		.cause = cause,
		.cause_code = f->esr,
		.pc = f->elr,
		.fp = f->x[29],
		.user = f->vector >= VECTOR_LOWER_A64_SYNC,
		.frame = f,
	};

	if (f->vector == VECTOR_LOWER_A64_SYNC && ec == EC_SVC64) {
		syscall_handle(f);      /* ELR is past the SVC already (Arm ARM D1.10.1) */
		return task_resume_frame(f);
	}
	if (p && (p->match & PROBE_ALWAYS)) {
		probe_fixup_apply(f, p);
		return f;
	}

	/* ESR_EL1 and FAR_EL1 describe only synchronous exceptions and SErrors. */
	if (kind != VECTOR_SYNC && kind != VECTOR_SERROR) {
		ti.cause = vector_kinds[kind];
		ti.cause_code = f->vector;
	} else if (ec == EC_DABT || ec == EC_DABT_LOWER || ec == EC_IABT || ec == EC_IABT_LOWER) {
		bool data = ec == EC_DABT || ec == EC_DABT_LOWER;
		int n = ksnprintf(cause, sizeof(cause), "%s: ", ec_names[ec]);

		describe_fsc(cause + n, sizeof(cause) - n, ISS_ABORT_FSC(iss));
		ti.access = !data ? MMU_EXEC : (iss & ISS_ABORT_WNR) ? MMU_WRITE : MMU_READ;
		ti.has_fault_addr = !(iss & ISS_ABORT_FNV);
		/*
		 * Translation, access flag and permission faults (DFSC/IFSC
		 * 0b0001xx-0b0011xx, and 0b101011 for a translation fault at
		 * level -1 with FEAT_LPA2; Arm ARM D17.2.40): the core's fault
		 * path may resolve them (demand paging, copy-on-write).
		 */
		unsigned fsc = ISS_ABORT_FSC(iss);
		if (ti.has_fault_addr && ((fsc >= 0x04 && fsc <= 0x0f) || fsc == 0x2b) &&
		    fault_handle(f->far, ti.access, ec == EC_DABT_LOWER || ec == EC_IABT_LOWER) == 0)
			return f;       /* resolved: the access runs again */
	} else {
		if (ec_names[ec])
			ti.cause = ec_names[ec];
		else
			ksnprintf(cause, sizeof(cause), "exception class %#04x", ec);
		ti.has_fault_addr = ec == EC_PC_ALIGN || ec == EC_WATCH || ec == EC_WATCH_LOWER;
	}
	if (ti.has_fault_addr)
		ti.fault_addr = f->far;
	trap_handle(&ti);
	return task_resume_frame(f);
}

void arch_dump_frame(const struct trap_frame *f)
{
	for (unsigned i = 0; i < 31; i++)
		kprintf(" x%-2u %016llx%s", i, (unsigned long long)f->x[i],
			i % 3 == 2 || i == 30 ? "\n" : " ");
	kprintf("  sp %016llx  elr %016llx spsr %016llx\n",
		(unsigned long long)f->sp, (unsigned long long)f->elr,
		(unsigned long long)f->spsr);
	kprintf(" esr %016llx  far %016llx (%s, %s)\n",
		(unsigned long long)f->esr, (unsigned long long)f->far,
		vector_groups[f->vector / 4 % 4], vector_kinds[f->vector % 4]);
}

/*
 * An address in neither half of any mode (bit 55 set, bits 63:56 clear,
 * no top-byte ignore): a translation fault at the first level whatever
 * is mapped (Arm ARM D8.2, "Translation table base address selection"
 * and the VA ranges of TTBR0/TTBR1). arch.mk's BAD_PA is the same.
 */
#define NO_HALF_VA 0x0080000000000000ull

void arch_trigger_fault(const char *kind)
{
	uint64_t bad = NO_HALF_VA;

	if (strcmp(kind, "load") == 0)
		(void)*(volatile uint64_t *)bad;
	else if (strcmp(kind, "store") == 0)
		*(volatile uint64_t *)bad = 0;
	else if (strcmp(kind, "exec") == 0)
		((void (*)(void))bad)();
	else if (strcmp(kind, "undef") == 0)
		__asm__ volatile("udf #0");
	/*
	 * arm64 only: a push on a wild kernel SP: a trap on a broken kernel
	 * stack still reports, from the exception stack (entry.S).
	 */
	else if (strcmp(kind, "stack") == 0)
		__asm__ volatile("mov sp, %0\n\tstr xzr, [sp, #-16]!" : : "r"(bad) : "memory");
}
