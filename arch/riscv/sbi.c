/*
 * Calls into the SBI firmware (OpenSBI), and leaving through it: SBI System
 * Reset, the legacy shutdown, and where the platform has no shutdown device
 * (QEMU's sifive_u: OpenSBI lists none) semihosting, which carries the
 * status to QEMU (run with -semihosting-config enable=on,target=native).
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

/* RISC-V Semihosting spec 1.0, 2.2: the call is this uncompressed
 * three-instruction sequence (a0 operation, a1 parameter block), which a
 * debugger or QEMU recognises around the ebreak; all three in one page,
 * hence the alignment. SYS_EXIT_EXTENDED as Arm's semihosting: the block
 * is {reason, status}. */
#define SEMIHOST_SYS_EXIT_EXTENDED	0x20
#define ADP_STOPPED_APPLICATION_EXIT	0x20026

static void semihost_exit(int status)
{
	const uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint64_t)status };
	register unsigned long a0 __asm__("a0") = SEMIHOST_SYS_EXIT_EXTENDED;
	register unsigned long a1 __asm__("a1") = (unsigned long)block;

	__asm__ volatile(".option push\n.option norvc\n.balign 16\n"
			 "slli x0, x0, 0x1f\nebreak\nsrai x0, x0, 7\n.option pop"
			 : "+r"(a0) : "r"(a1), "m"(block) : "memory");
}

void arch_poweroff(int status)
{
	static bool semihosting_tried;
	unsigned long reason = status == EXIT_OK ? SBI_SRST_NO_REASON : SBI_SRST_SYSTEM_FAILURE;

	if (sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_SRST, 0).value) {
		sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_SHUTDOWN, reason);
		/* Back: the platform has no shutdown device. The legacy call
		 * would reach the same nothing (OpenSBI then hangs the hart),
		 * so semihosting. Off QEMU the ebreak is a breakpoint trap,
		 * whose report ends here again: once only, then the hart waits. */
		if (!semihosting_tried) {
			semihosting_tried = true;
			semihost_exit(status);
		}
	} else {
		sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0);
	}
	for (;;)
		__asm__ volatile("wfi");
}
