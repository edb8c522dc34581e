/*
 * RISC-V paging constants, the one home of each: page-table entry bits
 * (privileged spec 4.3.1, 4.4.1 figure 4.21; Svpbmt, Svnapot chapters) and
 * satp fields (4.1.11). Plain #defines so that entry.S (the boot map), the
 * format (pt_sv.h) and the satp code share them.
 */
#ifndef ORIGAMI_SV_BITS_H
#define ORIGAMI_SV_BITS_H

#define SV_PAGE_SHIFT   12
#define SV_LEVEL_BITS   9                   /* 512 entries a table */
#define SV_MEGA_SHIFT   21                  /* level-1 leaf: 2 MiB */
#define SV_GIGA_SHIFT   30                  /* level-2 leaf: 1 GiB */

#define SV_V      (1 << 0)
#define SV_R      (1 << 1)
#define SV_W      (1 << 2)
#define SV_X      (1 << 3)
#define SV_U      (1 << 4)
#define SV_G      (1 << 5)
#define SV_A      (1 << 6)
#define SV_D      (1 << 7)
#define SV_SW_ANNOTATED (1 << 8)            /* RSW, bits 9:8, are the OS's */
#define SV_PPN_SHIFT 10                     /* PPN in bits 53:10 */
#define SV_PBMT_SHIFT 61                    /* Svpbmt, bits 62:61 */
#define SV_N_SHIFT   63                     /* Svnapot */

#define SATP_MODE_SHIFT 60
#define SATP_MODE_SV39  8                   /* table 4.4: Sv39 8, Sv48 9, Sv57 10 */
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK  0xffff              /* ASIDLEN is at most 16 on RV64 */

#define SSTATUS_SIE (1 << 1)
#define SSTATUS_SPIE (1 << 5)
#define SSTATUS_SPP (1 << 8)                /* 4.1.1.2: the trap came from S-mode (1) or U-mode (0) */
#define SSTATUS_SUM (1 << 18)               /* 4.1.1.2: supervisor access to U pages */
#define SSTATUS_FS  (3 << 13)               /* 4.1.1.5: FP state; Off (0) makes FP instructions trap */

#endif
