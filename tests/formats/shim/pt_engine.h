/*
 * Not the engine: the format round-trip tests. tests/formats/host.mk
 * compiles each arch/<arch>/pt_mode_*.c with this directory first on the
 * include path, so the mode file's #include "pt_engine.h" lands here: the
 * tests below are compiled once per mode, with the mode's own geometry and
 * format header (the generic_pt way of testing formats).
 *
 * For every level that may hold a leaf, with and without the contiguous
 * flag where the level has groups: encode (pt_mk_leaf) then decode
 * (pt_kind, pt_leaf_contig, pt_leaf_pa, pt_leaf_attr) every prot the format
 * accepts x every memory type x global/accessed/dirty/annotated, at output
 * addresses from 0 to the top of PT_PA_BITS; tables likewise at every
 * level above 0 in both halves; then the break-before-make rule and a few
 * descriptors worked out by hand from the manuals.
 */
#include <string.h>
#include "fmt_test.h"
#include "pt_geometry.h"

#define PT_CAT_(a, b) a##b
#define PT_CAT(a, b) PT_CAT_(a, b)

#define CHECK(ok, ...) fmt_check((ok), PT_MODE_NAME, __VA_ARGS__)

static unsigned t_shift(unsigned l) { return PT_PAGE_SHIFT + l * PT_INDEX_BITS; }

/* Output addresses aligned to 2^align_lg2 below 2^PT_PA_BITS: the ends of
 * the range and two alternating patterns (every address bit both ways). */
#define T_NPA 5
static paddr_t t_pa(unsigned k, unsigned align_lg2)
{
	static const uint64_t pat[T_NPA] = { 0, ~0ull, 0xa5a5a5a5a5a5a5a5ull,
	                                     0x5a5a5a5a5a5a5a5aull, 1ull << (PT_PA_BITS - 1) };
	return pat[k] & ((1ull << PT_PA_BITS) - 1) & ~((1ull << align_lg2) - 1);
}

static bool t_attr_eq(const struct pt_attr *a, const struct pt_attr *b)
{
	return a->prot == b->prot && a->memtype == b->memtype && a->global == b->global &&
	       a->accessed == b->accessed && a->dirty == b->dirty && a->annotated == b->annotated;
}

/* Every prot the front end may pass (mmu.c: no W without R, R or X). */
static bool t_prot_valid(unsigned prot)
{
	return (prot & (MMU_READ | MMU_EXEC)) && (!(prot & MMU_WRITE) || (prot & MMU_READ));
}

static void t_leaf(unsigned l, bool contig)
{
	unsigned group_lg2 = contig ? pt_contig_lg2(l) : 0;
	uint64_t slot = 1ull << t_shift(l), n = 1ull << group_lg2;
	uint64_t slots[3] = { 0, n / 2, n - 1 };
	for (unsigned k = 0; k < T_NPA; k++)
		for (unsigned s = 0; s < (contig ? 3 : 1); s++) {
			paddr_t pa = t_pa(k, t_shift(l) + group_lg2) + slots[s] * slot;
			/* The va this slot translates, anywhere in the slot. */
			vaddr_t va = (0x123456789abcdefull & ~((slot << group_lg2) - 1)) +
			             slots[s] * slot + (slot - 1) / 3;
			for (unsigned prot = 0; prot < 16; prot++)
				for (unsigned mt = MMU_MEM_NORMAL; mt <= MMU_MEM_UNCACHED; mt++)
					for (unsigned f = 0; f < 16; f++) {
						if (!t_prot_valid(prot) || !pt_attr_ok(prot, mt))
							continue;
						struct pt_attr a = { .prot = (uint8_t)prot, .memtype = (uint8_t)mt,
						                     .global = f & 1, .accessed = f & 2,
						                     .dirty = f & 4, .annotated = f & 8 }, b;
						pt_entry_t e = pt_mk_leaf(&a, pa, l, contig);
						memset(&b, 0xff, sizeof(b));
						pt_leaf_attr(e, l, &b);
						bool ok = pt_kind(e, l) == PT_LEAF && pt_leaf_contig(e, l) == contig &&
						          pt_leaf_pa(e, l, va) == pa && t_attr_eq(&a, &b) &&
						          !pt_needs_bbm(e, e, l);
						CHECK(ok, "leaf level %u contig %d pa %#llx prot %#x mt %u flags %#x: "
						      "%#llx reads back kind %d contig %d pa %#llx prot %#x mt %u "
						      "g%d a%d d%d s%d", l, contig, (unsigned long long)pa, prot, mt,
						      f, (unsigned long long)e, pt_kind(e, l), pt_leaf_contig(e, l),
						      (unsigned long long)pt_leaf_pa(e, l, va), b.prot, b.memtype,
						      b.global, b.accessed, b.dirty, b.annotated);
					}
		}
}

static void t_table(unsigned l)
{
	for (unsigned k = 0; k < T_NPA; k++)
		for (int user = 0; user <= 1; user++) {
			paddr_t pa = t_pa(k, PT_PAGE_SHIFT);
			pt_entry_t e = pt_mk_table(pa, l, user);
			CHECK(pt_kind(e, l) == PT_TABLE && pt_table_pa(e, l) == pa,
			      "table level %u user %d pa %#llx: %#llx reads back kind %d pa %#llx", l,
			      user, (unsigned long long)pa, (unsigned long long)e, pt_kind(e, l),
			      (unsigned long long)pt_table_pa(e, l));
		}
}

/*
 * Break-before-make (pt_format.h): never for rewriting the same entry,
 * for unmapping or for a change of permissions, AF or software bits; on
 * ARM64 (Arm ARM D8.16.1) for a change of output address, size (table <->
 * block, the Contiguous bit) or memory type, and nowhere else.
 */
static void t_bbm(unsigned l)
{
#ifdef VMSA_VALID
	const bool arm = true;
#else
	const bool arm = false;
#endif
	struct pt_attr a = { .prot = MMU_READ | MMU_WRITE, .memtype = MMU_MEM_NORMAL,
	                     .accessed = true, .dirty = true };
	paddr_t pa = t_pa(2, t_shift(l) + pt_contig_lg2(l));
	pt_entry_t e = pt_mk_leaf(&a, pa, l, false);
	struct pt_attr p = a, acc = a, sw = a, dev = a;
	p.prot = MMU_READ | MMU_EXEC;
	acc.accessed = false;
	sw.annotated = true;
	dev.memtype = MMU_MEM_DEVICE;
	CHECK(!pt_needs_bbm(e, 0, l), "bbm level %u: unmapping", l);
	CHECK(!pt_needs_bbm(e, pt_mk_leaf(&p, pa, l, false), l), "bbm level %u: prot", l);
	CHECK(!pt_needs_bbm(e, pt_mk_leaf(&acc, pa, l, false), l), "bbm level %u: accessed", l);
	CHECK(!pt_needs_bbm(e, pt_mk_leaf(&sw, pa, l, false), l), "bbm level %u: annotated", l);
	CHECK(pt_needs_bbm(e, pt_mk_leaf(&a, pa + (1ull << t_shift(l) << pt_contig_lg2(l)), l,
	                                 false), l) == arm, "bbm level %u: output address", l);
	CHECK(pt_needs_bbm(e, pt_mk_leaf(&dev, pa, l, false), l) == arm, "bbm level %u: memtype", l);
	if (pt_contig_lg2(l))
		CHECK(pt_needs_bbm(e, pt_mk_leaf(&a, pa, l, true), l) == arm,
		      "bbm level %u: contiguous", l);
	if (l > 0)
		CHECK(pt_needs_bbm(e, pt_mk_table(t_pa(3, PT_PAGE_SHIFT), l, true), l) == arm,
		      "bbm level %u: block -> table", l);
}

/* Descriptors worked out by hand from the manuals (a reviewer checks these
 * bit by bit against the cited tables, not against the format header). */
static void t_known(void)
{
	struct pt_attr krw = { .prot = MMU_READ | MMU_WRITE, .memtype = MMU_MEM_NORMAL,
	                       .global = true, .accessed = true, .dirty = true };
	struct pt_attr krw_x = krw;
	krw_x.prot |= MMU_EXEC;
	struct pt_attr urx_dev = { .prot = MMU_READ | MMU_EXEC | MMU_USER,
	                           .memtype = MMU_MEM_DEVICE, .accessed = true };
	struct pt_attr kro = { .prot = MMU_READ, .memtype = MMU_MEM_NORMAL,
	                       .global = true, .accessed = true };
	(void)krw; (void)krw_x; (void)urx_dev; (void)kro;
#define KNOWN(got, want) CHECK((got) == (want), "%s = %#llx, manual says %#llx", #got, \
                               (unsigned long long)(got), (unsigned long long)(want))
#if defined(VMSA_VALID)
	/* Arm ARM D8.3: page 0b11 | AttrIndx 0 | AP 00 | SH 11 (DS = 0) | AF |
	 * DBM (bit 51: writable, dirty state managed) | PXN | UXN, software
	 * bit 56 (our dirty). */
	if (PT_PAGE_SHIFT == 12 && PT_PA_BITS == 48) {
		KNOWN(pt_mk_leaf(&krw, 0x123456789000ull, 0, false), 0x0168123456789703ull);
		/* the same page clean: read-only (AP[2]) with DBM, no bit 56, so
		 * the first write sets the dirty state (HD) or faults */
		struct pt_attr krw_clean = krw;
		krw_clean.dirty = false;
		KNOWN(pt_mk_leaf(&krw_clean, 0x123456789000ull, 0, false), 0x0068123456789783ull);
		/* block 0b01 at Arm level 2 | AttrIndx 1 | AP 11 | SH | AF | nG |
		 * PXN (user page), UXN clear (executable) */
		KNOWN(pt_mk_leaf(&urx_dev, 0xabcde00000ull, 1, false), 0x002000abcde00fc5ull);
		KNOWN(pt_mk_leaf(&krw_x, 0x40000000ull, 2, true), 0x0158000040000701ull);
		KNOWN(pt_mk_table(0x80001000ull, 3, false), 0x80001003ull);
	}
	/* DS = 1: OA[51:50] in bits 9:8, no SH; DBM on the writable page. */
	if (PT_PAGE_SHIFT == 12 && PT_PA_BITS == 52) {
		KNOWN(pt_mk_leaf(&krw, 0xf012345678000ull, 0, false), 0x016b012345678703ull);
		KNOWN(pt_mk_table(0xc000000001000ull, 4, true), 0x1303ull);
		KNOWN(pt_mk_leaf(&kro, 0x8000000000ull, 3, false), 0x0060008000000481ull);
	}
	/* 64K, 52-bit OA: OA[51:48] in bits 15:12; AP[2] (RO). */
	if (PT_PAGE_SHIFT == 16 && PT_PA_BITS == 52) {
		KNOWN(pt_mk_leaf(&kro, 0xabcdef0120000ull, 0, false), 0x0060bcdef012a783ull);
		KNOWN(pt_mk_table(0xa000000010000ull, 2, true), 0x1a003ull);
		KNOWN(pt_mk_leaf(&kro, 0x40000000000ull, 2, false), 0x0060040000000781ull);
	}
	KNOWN(VMSA_MAIR_EL1, 0x4404ffull);
	CHECK(!pt_attr_ok(MMU_EXEC, MMU_MEM_NORMAL) && !pt_attr_ok(MMU_EXEC | MMU_USER, 0),
	      "execute-only must be refused");
#elif defined(X86_P)
	/* SDM 4.5, table 4-20 (PTE): P | R/W | A | D | G | XD. */
	KNOWN(pt_mk_leaf(&krw, 0xfedcba9876000ull, 0, false), 0x800fedcba9876163ull);
	/* Table 4-18 (2-MByte PDE): P | U/S | PWT | PCD (PAT 3: UC) | A | PS. */
	KNOWN(pt_mk_leaf(&urx_dev, 0x123400000ull, 1, false), 0x1234000bdull);
	/* Table 4-16 (1-GByte PDPTE): P | A | PS | G | XD, R/W clear. */
	KNOWN(pt_mk_leaf(&kro, 0x40000000ull, 2, false), 0x80000000400001a1ull);
	KNOWN(pt_mk_table(0x1000, PT_LEVELS - 1, true), 0x1027ull);
	KNOWN(pt_mk_table(0x1000, PT_LEVELS - 1, false), 0x1023ull);
	/* SDM 13.12.4: PAT entries 0, 2, 3 of the power-on value. */
	KNOWN(X86_PAT_MSR & 0xff, X86_PAT_WB);
	KNOWN(X86_PAT_MSR >> (8 * X86_PAT_IDX_UNCACHED) & 0xff, X86_PAT_UCM);
	KNOWN(X86_PAT_MSR >> (8 * X86_PAT_IDX_DEVICE) & 0xff, X86_PAT_UC);
	CHECK(!pt_attr_ok(MMU_EXEC, MMU_MEM_NORMAL) && !pt_attr_ok(MMU_EXEC | MMU_USER, 0),
	      "execute-only must be refused");
#elif defined(SV_V)
	/* RISC-V privileged spec 4.4.1 (Sv39 PTE; Sv48/Sv57 the same at these
	 * levels): V 0, R 1, W 2, X 3, U 4, G 5, A 6, D 7, PPN from bit 10;
	 * Svpbmt (chapter "Svpbmt") PBMT bits 62:61, 1 NC, 2 IO; Svnapot N
	 * bit 63 with PPN[3:0] = 0b1000 for 64 KiB. */
	struct pt_attr kro_nc = kro;
	kro_nc.memtype = MMU_MEM_UNCACHED;
	/* page: V R W G A D, PPN 0x123456789 */
	KNOWN(pt_mk_leaf(&krw, 0x123456789000ull, 0, false), 0x48d159e24e7ull);
	/* megapage: V R X U A, PBMT IO, PPN 0xabcde00 */
	KNOWN(pt_mk_leaf(&urx_dev, 0xabcde00000ull, 1, false), 0x4000002af378005bull);
	/* gigapage: V R G A, W/X/U/D clear */
	KNOWN(pt_mk_leaf(&kro, 0x40000000ull, 2, false), 0x10000063ull);
	/* non-leaf: V alone, PPN 0x80001 (D, A, U reserved, 4.3.1) */
	KNOWN(pt_mk_table(0x80001000ull, 2, true), 0x20000401ull);
	/* NAPOT 64 KiB at 0x87650000: N, PPN 0x87658 */
	KNOWN(pt_mk_leaf(&krw, 0x87650000ull, 0, true), 0x8000000021d960e7ull);
	/* PBMT NC, PPN 1 */
	KNOWN(pt_mk_leaf(&kro_nc, 0x1000ull, 0, false), 0x2000000000000463ull);
#endif
#undef KNOWN
}

int PT_CAT(fmt_test_, PT_MODE)(struct fmt_result *r);
int PT_CAT(fmt_test_, PT_MODE)(struct fmt_result *r)
{
	int err = pt_mode_init();
	CHECK(err == 0, "pt_mode_init: %d", err);
	if (err)
		return err;
	r->native_orders = 0;
	for (unsigned l = 0; l < PT_LEVELS; l++) {
		CHECK(pt_kind(0, l) == PT_ABSENT, "level %u: 0 is not absent", l);
		if (pt_leaf_ok(l)) {
			r->native_orders |= 1ull << (l * PT_INDEX_BITS);
			t_leaf(l, false);
			t_bbm(l);
		}
		if (pt_contig_lg2(l)) {
			r->native_orders |= 1ull << (l * PT_INDEX_BITS + pt_contig_lg2(l));
			CHECK(pt_leaf_ok(l), "level %u has contiguous groups but no leaves", l);
			t_leaf(l, true);
		}
		if (l > 0)
			t_table(l);
	}
	t_known();
	return 0;
}
