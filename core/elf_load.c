/*
 * The loader of user programs: an ELF64 executable (System V gABI, ch. 4
 * "ELF header", ch. 5 "Program header") of this machine, its PT_LOAD
 * segments made areas of the task's address space. Each segment becomes a
 * private anonymous area, writable while the file bytes are copied in
 * through the task's own mappings (copy_to_user: the set is active, the
 * pages are demand-faulted), then given the segment's protection. The
 * rest of a segment past its file bytes (.bss) stays zero: anonymous
 * memory comes zeroed.
 */
#include <errno.h>
#include <string.h>
#include "arch.h"
#include "mmu.h"
#include "task.h"
#include "vm.h"

struct elf64_ehdr {
	uint8_t  ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define EI_CLASS      4
#define EI_DATA       5
#define ELFCLASS64    2
#define ELFDATA2LSB   1         /* every arch here is little-endian */
#define ET_EXEC       2
#define PT_LOAD       1
#define PF_X          (1u << 0)
#define PF_W          (1u << 1)
#define PF_R          (1u << 2)
static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

static unsigned segment_prot(uint32_t pflags)
{
	return (pflags & PF_R ? MMU_READ : 0) | (pflags & PF_W ? MMU_WRITE : 0) |
	       (pflags & PF_X ? MMU_EXEC : 0);
}

/* Returns 0 with *entry set, -ENOEXEC (not an executable of this machine,
 * or segments outside the file or the user half), -ENOMEM, or what
 * vm_mmap returned. vs must be the active space (vm_current()). */
int elf_load(struct vm_space *vs, const void *elf, size_t len, uint64_t *entry)
{
	const uint8_t *file = elf;
	const struct elf64_ehdr *eh = elf;
	uint64_t page = 1ull << mmu_geometry()->page_shift;
	int err;

	if (len < sizeof(*eh) || memcmp(eh->ident, elf_magic, sizeof(elf_magic)) ||
	    eh->ident[EI_CLASS] != ELFCLASS64 || eh->ident[EI_DATA] != ELFDATA2LSB ||
	    eh->type != ET_EXEC || eh->machine != arch_elf_machine ||
	    eh->phentsize != sizeof(struct elf64_phdr) ||
	    eh->phoff > len || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > len - eh->phoff)
		return -ENOEXEC;
	for (unsigned i = 0; i < eh->phnum; i++) {
		struct elf64_phdr ph;
		vaddr_t start, end, out;

		memcpy(&ph, file + eh->phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		if (ph.filesz > ph.memsz || ph.offset > len || ph.filesz > len - ph.offset ||
		    ph.vaddr + ph.memsz < ph.vaddr)
			return -ENOEXEC;
		/* Segments start on their own pages of the largest base page
		 * size (user/user.ld), so that no page holds two of them. */
		start = ph.vaddr & ~(page - 1);
		end = (ph.vaddr + ph.memsz + page - 1) & ~(page - 1);
		if ((err = vm_mmap(vs, start, end - start, MMU_READ | MMU_WRITE,
				   VM_FIXED | VM_PRIVATE | VM_ANON, &out)))
			return err == -EINVAL ? -ENOEXEC : err;
		if ((err = copy_to_user(ph.vaddr, file + ph.offset, ph.filesz)))
			return err;
		if ((err = vm_mprotect(vs, start, end - start, segment_prot(ph.flags))))
			return err;
		if (ph.flags & PF_X) {
			arch_user_access(true);
			arch_sync_icache((const void *)(uintptr_t)ph.vaddr, ph.filesz);
			arch_user_access(false);
		}
	}
	*entry = eh->entry;
	return 0;
}
