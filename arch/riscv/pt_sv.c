/* The RISC-V extensions the paging format may use (pt_sv.h). */
#include "pt_sv.h"

bool sv_has_svnapot, sv_has_svpbmt;

#ifdef MMU_HOST
/* The simulated CPU: both extensions unless a test says otherwise. */
static bool host_svnapot = true, host_svpbmt = true;

void mmu_host_set_riscv_ext(bool svnapot, bool svpbmt)
{
	host_svnapot = svnapot;
	host_svpbmt = svpbmt;
}

int sv_probe(void)
{
	sv_has_svnapot = host_svnapot;
	sv_has_svpbmt = host_svpbmt;
	return 0;
}
#endif
