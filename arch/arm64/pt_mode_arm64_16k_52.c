/* arm64-16k-52: 16 KiB granule, FEAT_LPA2 with TCR_EL1.DS = 1, 52-bit VA
 * and OA, 4 levels from Arm level 0, whose table has 32 entries (Arm ARM
 * D8.2, TnSZ = 12: VA[51:47]). Blocks of 32M at Arm level 2 and, with DS,
 * 64G at Arm level 1; contiguous 2M and 1G. No engine change: the format
 * (pt_vmsa.h) already knows DS with 16K. */
#define PT_MODE        arm64_16k_52
#define PT_MODE_NAME   "arm64-16k-52"
#define PT_LEVELS      4
#define PT_PAGE_SHIFT  14
#define PT_VA_BITS     52
#define PT_PA_BITS     52
#define PT_SPLIT_ROOTS 1
#define PT_HOST_ARCH   MMU_HOST_ARM64
#include "pt_vmsa.h"
#include "pt_engine.h"
