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

int sv_probe(unsigned levels)
{
	sv_has_svnapot = host_svnapot;
	sv_has_svpbmt = host_svpbmt;
	return 0;
}
#else
#include "riscv.h"

/* The boot hart: its DTB's ISA extensions, and what satp accepts (the
 * probes the banner's paging: line uses too, arch/riscv/cpu.c). */
int sv_probe(unsigned levels)
{
	sv_has_svnapot = riscv_has_ext("svnapot");
	sv_has_svpbmt = riscv_has_ext("svpbmt");
	return riscv_satp_mode_ok(levels) ? 0 : -ENOTSUP;
}
#endif
