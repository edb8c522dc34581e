/* The AArch64 translation features the paging modes need (pt_vmsa.h). */
#include "pt_vmsa.h"
#include "cpu_features.h"

_Static_assert(MMU_MEM_NORMAL == VMSA_ATTR_NORMAL && MMU_MEM_DEVICE == VMSA_ATTR_DEVICE &&
               MMU_MEM_UNCACHED == VMSA_ATTR_UNCACHED,
               "AttrIndx is the memtype: VMSA_MAIR_EL1 relies on the enum's values");

#ifdef MMU_HOST
/* The simulated CPU: every granule, FEAT_LPA2, FEAT_LVA and FEAT_LPA. */
void vmsa_read_cpu(struct vmsa_cpu *c)
{
	*c = (struct vmsa_cpu){ .tgran4 = true, .tgran16 = true, .tgran64 = true,
	                        .lpa2 = true, .lpa2_16k = true, .lva_lpa = true };
}
#endif

/* 52-bit VAs and OAs need FEAT_LPA2 with 4K or 16K pages (TCR_EL1.DS), and
 * FEAT_LVA with FEAT_LPA with 64K pages (Arm ARM D8.1, "Supported
 * translation granule sizes" and D8.2 on the VA/OA size). */
int vmsa_probe(unsigned page_shift, unsigned va_bits, unsigned pa_bits)
{
	struct vmsa_cpu c;
	vmsa_read_cpu(&c);
	bool granule = page_shift == 12 ? c.tgran4 : page_shift == 14 ? c.tgran16 :
	               page_shift == 16 && c.tgran64;
	bool wide = va_bits > 48 || pa_bits > 48;
	bool wide_ok = page_shift == 16 ? c.lva_lpa : page_shift == 14 ? c.lpa2_16k : c.lpa2;
	if (!granule || (wide && !wide_ok))
		return -ENOTSUP;
	return 0;
}
