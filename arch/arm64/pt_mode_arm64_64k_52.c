/* arm64-64k-52: 64 KiB granule, FEAT_LVA + FEAT_LPA, 52-bit VA and OA, 3
 * levels from Arm level 1, whose table has 1024 entries (Arm ARM D8.2,
 * TnSZ = 12). */
#define PT_MODE        arm64_64k_52
#define PT_MODE_NAME   "arm64-64k-52"
#define PT_LEVELS      3
#define PT_PAGE_SHIFT  16
#define PT_VA_BITS     52
#define PT_PA_BITS     52
#define PT_SPLIT_ROOTS 1
#define PT_HOST_ARCH   MMU_HOST_ARM64
#include "pt_vmsa.h"
#include "pt_engine.h"
