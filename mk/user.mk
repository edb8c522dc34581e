# User programs (user/): small static ELF executables, one per program,
# built for ARCH with their own include paths (user/include and the
# system-call table include/uapi, nothing else of the kernel) and linked
# at USER_BASE by user/user.ld, then embedded in the kernel image by
# core/user_programs.c (.incbin of $(USER_DIR)/NAME.elf).
#
# What arch/<dir>/arch.mk sets for them:
#   USER_ARCH_CFLAGS  the user-mode compiler flags (ABI, picolibc specs)
# picolibc where ARCH_USES_PICOLIBC=y (printf on write, malloc on sbrk on
# mmap); the kernel's small libc (core/libc) plus user/lib/minilibc.c
# otherwise (x86-64).

USER_BASE     := 0x400000
USER_DIR      := $(BUILD)/user
USER_PROGRAMS := hello utest
USER_ELFS     := $(USER_PROGRAMS:%=$(USER_DIR)/%.elf)

USER_LIB_SRCS := user/lib/origami.c user/arch/$(ARCH_DIR)/start.S
ifeq ($(ARCH_USES_PICOLIBC),y)
USER_LIB_SRCS += user/lib/picolibc_stdio.c
USER_LIBC_CFLAGS :=
USER_LDLIBS :=
else
USER_LIB_SRCS += user/lib/minilibc.c core/libc/string.c core/libc/stdio.c
USER_LIBC_CFLAGS := -ffreestanding -nostdinc -isystem $(shell $(KCC) -print-file-name=include) \
	-isystem core/libc/include
USER_LDLIBS := -nostdlib -lgcc
endif

USER_CFLAGS := -std=gnu11 -O2 -g -fno-stack-protector -fno-common \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	-Iuser/include -Iinclude/uapi $(USER_LIBC_CFLAGS) $(USER_ARCH_CFLAGS) -MMD -MP
USER_LDFLAGS := -nostartfiles -static -T user/user.ld -Wl,--defsym=USER_BASE=$(USER_BASE) \
	-Wl,-z,max-page-size=0x1000 -Wl,--build-id=none -Wl,--gc-sections -Wl,--strip-debug

USER_LIB_OBJS := $(patsubst %,$(USER_DIR)/obj/%.o,$(basename $(USER_LIB_SRCS)))
USER_PROG_OBJS := $(USER_PROGRAMS:%=$(USER_DIR)/obj/user/%.o)

$(USER_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(ECHO) "  CC [U]  $<"
	$(Q)$(KCC) $(USER_CFLAGS) -c $< -o $@
$(USER_DIR)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@$(ECHO) "  AS [U]  $<"
	$(Q)$(KCC) $(USER_CFLAGS) -D__ASSEMBLY__ -c $< -o $@
$(USER_DIR)/%.elf: $(USER_DIR)/obj/user/%.o $(USER_LIB_OBJS) user/user.ld
	@$(ECHO) "  LD [U]  $@"
	$(Q)$(KCC) $(USER_CFLAGS) -o $@ $< $(USER_LIB_OBJS) $(USER_LDFLAGS) $(USER_LDLIBS)

-include $(USER_LIB_OBJS:.o=.d) $(USER_PROG_OBJS:.o=.d)
$(USER_LIB_OBJS) $(USER_PROG_OBJS): $(filter-out %.d,$(MAKEFILE_LIST))

# The kernel embeds them.
$(BUILD)/obj/core/user_programs.o: $(USER_ELFS)
$(BUILD)/obj/core/user_programs.o: KERNEL_CFLAGS += -DUSER_ELF_DIR='"$(USER_DIR)"'
