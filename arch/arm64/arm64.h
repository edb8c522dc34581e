/*
 * What the files of the arm64 port share with each other (not with core/).
 */
#ifndef ORIGAMI_ARM64_H
#define ORIGAMI_ARM64_H

#include <stdint.h>

/* setup.c: the EL the boot loader entered us at (1 or 2). */
extern unsigned arm64_entry_el;

/* setup.c: the physical address the loader put the image at (entry.S). */
extern uint64_t arm64_image_pa;

/* mmu_arch.c: PSTATE.PAN on, and set again on every exception to EL1,
 * where the CPU has FEAT_PAN (EPAN too with FEAT_PAN3). */
void arm64_pan_enable(void);

/* poweroff.c: read the PSCI conduit from the DTB, before anything can
 * overwrite it. */
void arm64_psci_init(const void *dtb);

/* poweroff.c: leave through semihosting with status if a host listens,
 * else return. Uses no static data: entry.S calls it before .bss is clear. */
void arm64_semihost_exit(int status);

/* firmware.S: each returns -EFAULT where nothing above EL1 answers. */
long arm64_semihost(unsigned long op, const void *params);
long arm64_psci_smc(unsigned long fn);
long arm64_psci_hvc(unsigned long fn);
/* The same calls with three arguments (CPU_ON), and the conduit the DTB
 * named (PSCI_NOT_SUPPORTED, -1, when there is none). */
long arm64_psci_smc4(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3);
long arm64_psci_hvc4(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3);
long arm64_psci_call4(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3);

/* setup.c: bits of physical address the CPU implements
 * (ID_AA64MMFR0_EL1.PARange). */
unsigned arm64_pa_bits(void);

/* boot_console.c: the console's GiB of the boot map's direct map split so
 * that the console is Device memory (before kmain), and the line saying
 * what the MMU makes of it (with the banner). */
void arm64_boot_console_device(const void *dtb);
void arm64_boot_console_report(void);

#endif
