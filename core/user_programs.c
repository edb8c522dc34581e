/*
 * The user programs built by the Makefile (user/, mk/user.mk), embedded
 * in the kernel image as they are: ELF files the loader reads
 * (core/elf_load.c). USER_ELF_DIR is where the build put them.
 */
#include <errno.h>
#include <string.h>
#include "task.h"

#define EMBED(name)                                                            \
	__asm__(".section .rodata.user_elf, \"a\"\n"                           \
		".balign 16\n"                                                 \
		"user_elf_" #name ":\n"                                        \
		".incbin \"" USER_ELF_DIR "/" #name ".elf\"\n"                 \
		"user_elf_" #name "_end:\n"                                    \
		".previous\n");                                                \
	extern const char user_elf_##name[], user_elf_##name##_end[]

EMBED(hello);
EMBED(utest);

#define PROGRAM(name) { #name, user_elf_##name, user_elf_##name##_end }

static const struct { const char *name, *start, *end; } programs[] = {
	PROGRAM(hello),
	PROGRAM(utest),
};

int user_program(const char *name, struct user_program *out)
{
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		if (strcmp(programs[i].name, name))
			continue;
		out->name = programs[i].name;
		out->elf = programs[i].start;
		out->len = (size_t)(programs[i].end - programs[i].start);
		return 0;
	}
	return -ENOENT;
}
