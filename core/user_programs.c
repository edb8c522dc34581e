/*
 * The user programs built by the Makefile (user/, mk/user.mk), embedded
 * in the kernel image as they are: ELF files the loader reads
 * (core/elf_load.c). USER_ELF_DIR is where the build put them.
 */
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

#define PROGRAM(name) { #name, user_elf_##name, 0 }

const struct user_program *user_program(const char *name)
{
	static struct user_program programs[] = { PROGRAM(hello), PROGRAM(utest) };

	programs[0].len = (size_t)(user_elf_hello_end - user_elf_hello);
	programs[1].len = (size_t)(user_elf_utest_end - user_elf_utest);
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (!strcmp(programs[i].name, name))
			return &programs[i];
	return NULL;
}
