/*
 * Calls into the SBI firmware (OpenSBI), and leaving through it.
 */
#include "arch.h"
#include "riscv.h"

/* RISC-V SBI spec v2.0, ch. 10 "System Reset Extension". */
#define SBI_EXT_SRST 0x53525354
#define SBI_SRST_RESET          0
#define SBI_SRST_TYPE_SHUTDOWN  0
#define SBI_SRST_REASON_NONE    0
#define SBI_SRST_REASON_FAILURE 1
/* Ch. 5 "Legacy Extensions": shutdown, for firmware older than SBI 0.3. */
#define SBI_EXT_LEGACY_SHUTDOWN 0x08

struct sbiret sbi_call(uint32_t ext, uint32_t fid, unsigned long a0, unsigned long a1)
{
	register unsigned long r_a0 __asm__("a0") = a0;
	register unsigned long r_a1 __asm__("a1") = a1;
	register unsigned long r_a6 __asm__("a6") = fid;
	register unsigned long r_a7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
			 : "+r"(r_a0), "+r"(r_a1)
			 : "r"(r_a6), "r"(r_a7)
			 : "memory");
	return (struct sbiret){ (long)r_a0, (long)r_a1 };
}

void arch_poweroff(int status)
{
	unsigned long reason = status == EXIT_OK ? SBI_SRST_REASON_NONE : SBI_SRST_REASON_FAILURE;

	sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN, reason);
	sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}
