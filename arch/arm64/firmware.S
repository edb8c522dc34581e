/*
 * Calls into whatever sits above EL1: the semihosting host (QEMU, a
 * debugger) and the PSCI firmware. Each traps as an undefined instruction
 * where nobody answers; its fixup then returns -EFAULT, so the caller can
 * try the next way out.
 */
#include "probe.h"

	.text

/*
 * long arm64_semihost(unsigned long op, const void *params)
 * The AArch64 semihosting trap is HLT #0xF000 with the operation in w0 and
 * a pointer to its parameter block in x1 (Semihosting for AArch32 and
 * AArch64, "The semihosting interface").
 */
	.globl	arm64_semihost
	.type	arm64_semihost, %function
arm64_semihost:
1:	hlt	#0xf000
2:	ret
	probe_fixup 1b, 2b, PROBE_MATCH_PC | PROBE_ALWAYS
	.size	arm64_semihost, . - arm64_semihost

/*
 * long arm64_psci_smc(unsigned long fn), arm64_psci_hvc(unsigned long fn):
 * a PSCI call with no arguments through the conduit the DTB names (SMC
 * Calling Convention: function ID in w0, result in x0).
 */
	.globl	arm64_psci_smc
	.globl	arm64_psci_smc4
	.type	arm64_psci_smc, %function
arm64_psci_smc:
arm64_psci_smc4:			/* the same, with x1-x3 as the C caller set them */
1:	smc	#0
2:	ret
	probe_fixup 1b, 2b, PROBE_MATCH_PC | PROBE_ALWAYS
	.size	arm64_psci_smc, . - arm64_psci_smc

	.globl	arm64_psci_hvc
	.globl	arm64_psci_hvc4
	.type	arm64_psci_hvc, %function
arm64_psci_hvc:
arm64_psci_hvc4:
1:	hvc	#0
2:	ret
	probe_fixup 1b, 2b, PROBE_MATCH_PC | PROBE_ALWAYS
	.size	arm64_psci_hvc, . - arm64_psci_hvc
