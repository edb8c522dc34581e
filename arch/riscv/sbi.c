/*
 * Calls into the SBI firmware (OpenSBI), and leaving through it.
 */
#include "arch.h"
#include "riscv.h"
#include "boot_map.h"   /* the SBI IDs, shared with entry.S */


/* An SBI call with up to five arguments (HSM hart_start, RFENCE: SBI spec
 * v2.0, 3.1): a7 extension, a6 function, a0-a4; a0 error, a1 value. */
struct sbiret sbi_call5(uint32_t ext, uint32_t fid, unsigned long a0, unsigned long a1,
                        unsigned long a2, unsigned long a3, unsigned long a4)
{
	register unsigned long r_a0 __asm__("a0") = a0;
	register unsigned long r_a1 __asm__("a1") = a1;
	register unsigned long r_a2 __asm__("a2") = a2;
	register unsigned long r_a3 __asm__("a3") = a3;
	register unsigned long r_a4 __asm__("a4") = a4;
	register unsigned long r_a6 __asm__("a6") = fid;
	register unsigned long r_a7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
			 : "+r"(r_a0), "+r"(r_a1)
			 : "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a6), "r"(r_a7)
			 : "memory");
	return (struct sbiret){ (long)r_a0, (long)r_a1 };
}

struct sbiret sbi_call(uint32_t ext, uint32_t fid, unsigned long a0, unsigned long a1)
{
	return sbi_call5(ext, fid, a0, a1, 0, 0, 0);
}

void arch_poweroff(int status)
{
	unsigned long reason = status == EXIT_OK ? SBI_SRST_NO_REASON : SBI_SRST_SYSTEM_FAILURE;

	sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_SHUTDOWN, reason);
	sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}
