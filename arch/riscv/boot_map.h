/*
 * riscv64 kernel address-space constants, shared by the boot map
 * (entry.S) and the MMU hooks (mmu_arch.c): include/arch.h, "The boot map".
 * KERNEL_LINK_VA comes from arch.mk, which gives it to the linker too.
 */
#ifndef ORIGAMI_RISCV_BOOT_MAP_H
#define ORIGAMI_RISCV_BOOT_MAP_H

/* The direct map starts at the start of Sv39's kernel half (privileged
 * spec 4.4.1: the top 2^38 bytes), which lies in the kernel half of Sv48
 * and Sv57 too: one base for every mode. */
#define DIRECT_MAP_VA  0xffffffc000000000
/* The boot map reaches physical [0, 64 GiB): root entries 256-319, far
 * below the image (entry 510, Linux's top 2 GiB). */
#define BOOT_DMAP_GIB  64

/* SBI spec v2.0: ch. 10 "System Reset Extension"; ch. 5 "Legacy
 * Extensions" (console_putchar, shutdown for firmware before SBI 0.3). */
#define SBI_EXT_SRST 0x53525354
#define SBI_SRST_RESET            0
#define SBI_SRST_SHUTDOWN         0
#define SBI_SRST_NO_REASON        0
#define SBI_SRST_SYSTEM_FAILURE   1
#define SBI_LEGACY_CONSOLE_PUTCHAR 0x01
#define SBI_EXT_LEGACY_SHUTDOWN   0x08

#endif
