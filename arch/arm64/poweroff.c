/*
 * Leaving: semihosting first, as it carries the exit status to QEMU (run
 * with -semihosting-config enable=on,target=native); PSCI SYSTEM_OFF where
 * there is no semihosting host (real boards), which carries no status.
 */
#include <stdint.h>
#include <string.h>
#include "arch.h"
#include "arm64.h"

/* Semihosting for AArch32 and AArch64 (Arm), SYS_EXIT_EXTENDED: the
 * parameter block is {reason, status}. */
#define SEMIHOST_SYS_EXIT_EXTENDED	0x20
#define ADP_STOPPED_APPLICATION_EXIT	0x20026

/* PSCI (Arm DEN0022) 5.1.9 SYSTEM_OFF, SMC32 function ID. */
#define PSCI_SYSTEM_OFF			0x84000008

static long (*psci_call)(unsigned long fn);
static long (*psci_call4)(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3);

/* The DTB's /psci node names the conduit (Linux
 * Documentation/devicetree/bindings/arm/psci.yaml, "method"). Without a
 * valid DTB there is no PSCI to call; kmain() reports the DTB itself. */
void arm64_psci_init(const void *dtb)
{
	size_t len;
	const char *method;
	int node;

	if (!dtb || fdt_check(dtb, ~(size_t)0) != 0)
		return;
	node = fdt_find_node(dtb, "/psci");
	if (node < 0)
		return;
	method = fdt_prop(dtb, node, "method", &len);
	if (!method || len == 0 || method[len - 1] != '\0')
		return;
	if (strcmp(method, "smc") == 0)
		psci_call = arm64_psci_smc, psci_call4 = arm64_psci_smc4;
	else if (strcmp(method, "hvc") == 0)
		psci_call = arm64_psci_hvc, psci_call4 = arm64_psci_hvc4;
}

/* PSCI 5.2.1: NOT_SUPPORTED. */
#define PSCI_NOT_SUPPORTED (-1)

long arm64_psci_call4(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3)
{
	return psci_call4 ? psci_call4(fn, a1, a2, a3) : PSCI_NOT_SUPPORTED;
}

void arm64_semihost_exit(int status)
{
	const uint64_t exit_block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint64_t)status };

	arm64_semihost(SEMIHOST_SYS_EXIT_EXTENDED, exit_block);
}

void arch_poweroff(int status)
{
	arm64_semihost_exit(status);
	if (psci_call)
		psci_call(PSCI_SYSTEM_OFF);
	for (;;)
		__asm__ volatile("wfi");
}
