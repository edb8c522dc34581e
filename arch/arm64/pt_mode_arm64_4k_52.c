/* arm64-4k-52: 4 KiB granule, FEAT_LPA2 with TCR_EL1.DS = 1, 52-bit VA and
 * OA, 5 levels from Arm level -1, whose table has 16 entries (Arm ARM
 * D8.2, TnSZ = 12). */
#define PT_MODE        arm64_4k_52
#define PT_MODE_NAME   "arm64-4k-52"
#define PT_LEVELS      5
#define PT_PAGE_SHIFT  12
#define PT_VA_BITS     52
#define PT_PA_BITS     52
#define PT_SPLIT_ROOTS 1
#define PT_HOST_ARCH   MMU_HOST_ARM64
#include "pt_vmsa.h"
#include "pt_engine.h"
