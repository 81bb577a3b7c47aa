# Bare-metal test guests, built from guests/ into build/guests/.
# Included by the top-level Makefile; `make guests` builds just these.
# Everything here is prefixed GUEST_/guest so it cannot clash with the VMM's
# own variables, and all paths are relative to the top of the tree.

GUEST_MK := $(lastword $(MAKEFILE_LIST))
# Whatever includes this keeps its own default goal (restored at the end).
GUEST_SAVED_GOAL := $(.DEFAULT_GOAL)
GUEST_SRC := guests
GUEST_OUT := $(or $(O),build)/guests
GUEST_OBJ := $(GUEST_OUT)/obj

GUEST_CC ?= gcc
GUEST_LD ?= ld
GUEST_OBJCOPY ?= objcopy

# -fno-tree-loop-distribute-patterns: gcc would turn memset's own loop into a
# call to memset. -fcf-protection=none: no endbr64 for the engines to decode.
GUEST_CFLAGS := -ffreestanding -nostdlib -fno-pic -fno-stack-protector \
	-mno-red-zone -mgeneral-regs-only -O2 -Wall -Wextra -Werror \
	-fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-tree-loop-distribute-patterns -I$(GUEST_SRC)/lib -MMD -MP
GUEST_LDFLAGS := -nostdlib -static --build-id=none -z noexecstack \
	-z max-page-size=0x1000 -z noseparate-code --no-warn-rwx-segments

# C guests, by how they are entered.
GUEST_C64 := hypercall pio exit16 exit32 mmio triplefault spin hammer echo hostile_virtq hostile_virtio_blk
GUEST_C32 := hello32
GUEST_MB := multiboot
# Multiboot guests linked at 0x8000 (lib/mblow.ld).
GUEST_MBLOW := mblow
# Multiboot guests on the 32-bit test kernel (lib/kernel32.h).
GUEST_MBK32 := qemuplat amdmsrs
GUEST_MBAOUT := mbaout
# ELF64 guests on the 64-bit test kernel (lib/kernel64.h): GDT, IDT, TSS,
# paging and CPL 3 calls.
# pvmgaps and pvmgaps32 hold the checks this project's nested kvm host
# cannot run; run-guests.sh runs them on kvm only where kvm runs guest kernels
# in hardware (needs_hw_kvm).
GUEST_K64 := exceptions64 paging syscall strings aluflags sse mmx timer pvmgaps smc lockstep smc_kvmclock smc_pagewalk snapcount ticker
# The same 64-bit test kernel entered through Multiboot (lib/multiboot64.S),
# so that QEMU's -kernel boots them too (tests written against QEMU).
GUEST_MB64 := singlestep debugregs migidle migdirty
# ELF32 guests on the 32-bit test kernel (lib/kernel32.h).
GUEST_K32 := exceptions32 sysenter32 pvmgaps32
# Hostile guests (issue 11): each attacks one class of bug and asserts what
# real hardware does. The 64-bit ones are entered through Multiboot like
# GUEST_MB64 (so QEMU boots them too) and may use catch64.h; the 32-bit ones
# run on the 32-bit test kernel entered through Multiboot; the 16-bit ones
# are flat real-mode binaries. tests/integration/run-guests.sh runs them as
# its `hostile` group.
GUEST_HOSTILE64 := hostile_smc hostile_evmmio hostile_irqmmio hostile_hcport hostile_isa hostile_ramedge hostile_insnlen hostile_wide hostile_nmi hostile_gates hostile_dbt_cpl hostile_dbt_remap hostile_dbt_irq hostile_dbt_compat hostile_dbt_flush hostile_align_check hostile_global_code hostile_cross_insn hostile_dbt_trace
GUEST_HOSTILE32 := hostile_cslimit
GUEST_HOSTILE16 := hostile_realwrap
GUEST_HOSTILE := $(GUEST_HOSTILE64) $(GUEST_HOSTILE32) $(GUEST_HOSTILE16)

GUESTS := $(GUEST_OUT)/hello.elf $(GUEST_OUT)/hello16.bin \
	$(GUEST_OUT)/modes.bin \
	$(GUEST_C64:%=$(GUEST_OUT)/%.elf) $(GUEST_C32:%=$(GUEST_OUT)/%.elf) \
	$(GUEST_MB:%=$(GUEST_OUT)/%.elf) $(GUEST_MBAOUT:%=$(GUEST_OUT)/%.elf) \
	$(GUEST_MBLOW:%=$(GUEST_OUT)/%.elf) \
	$(GUEST_MBK32:%=$(GUEST_OUT)/%.elf) \
	$(GUEST_K64:%=$(GUEST_OUT)/%.elf) $(GUEST_K32:%=$(GUEST_OUT)/%.elf) \
	$(GUEST_MB64:%=$(GUEST_OUT)/%.elf) \
	$(GUEST_HOSTILE64:%=$(GUEST_OUT)/%.elf) \
	$(GUEST_HOSTILE32:%=$(GUEST_OUT)/%.elf) \
	$(GUEST_HOSTILE16:%=$(GUEST_OUT)/%.bin)

GUEST_LIB_C := uart printf test str
GUEST_LIB64 := $(GUEST_LIB_C:%=$(GUEST_OBJ)/64/lib/%.o)
GUEST_LIB32 := $(GUEST_LIB_C:%=$(GUEST_OBJ)/32/lib/%.o)
GUEST_KLIB64 := $(GUEST_OBJ)/64/lib/kernel64.o $(GUEST_OBJ)/64/lib/paging64.o \
	$(GUEST_OBJ)/64/lib/deferred.o $(GUEST_OBJ)/64/lib/trap64.o \
	$(GUEST_OBJ)/64/lib/dbtrace.o
GUEST_CATCH64 := $(GUEST_OBJ)/64/lib/catch64.o $(GUEST_OBJ)/64/lib/catchstub64.o
GUEST_KLIB32 := $(GUEST_OBJ)/32/lib/kernel32.o $(GUEST_OBJ)/32/lib/deferred.o \
	$(GUEST_OBJ)/32/lib/trap32.o

GUEST_OBJ64_C := $(GUEST_LIB64) $(GUEST_C64:%=$(GUEST_OBJ)/64/%.o) \
	$(GUEST_OBJ)/64/lib/kernel64.o $(GUEST_OBJ)/64/lib/paging64.o \
	$(GUEST_OBJ)/64/lib/deferred.o $(GUEST_OBJ)/64/lib/dbtrace.o \
	$(GUEST_K64:%=$(GUEST_OBJ)/64/%.o) \
	$(GUEST_MB64:%=$(GUEST_OBJ)/64/%.o) \
	$(GUEST_OBJ)/64/lib/catch64.o $(GUEST_HOSTILE64:%=$(GUEST_OBJ)/64/%.o)
GUEST_OBJ32_C := $(GUEST_LIB32) \
	$(GUEST_C32:%=$(GUEST_OBJ)/32/%.o) $(GUEST_MB:%=$(GUEST_OBJ)/32/%.o) \
	$(GUEST_MBAOUT:%=$(GUEST_OBJ)/32/%.o) $(GUEST_MBLOW:%=$(GUEST_OBJ)/32/%.o) \
	$(GUEST_OBJ)/32/lib/kernel32.o $(GUEST_OBJ)/32/lib/deferred.o \
	$(GUEST_K32:%=$(GUEST_OBJ)/32/%.o) $(GUEST_MBK32:%=$(GUEST_OBJ)/32/%.o) \
	$(GUEST_HOSTILE32:%=$(GUEST_OBJ)/32/%.o)
GUEST_OBJ64_S := $(GUEST_OBJ)/64/lib/entry64.o $(GUEST_OBJ)/64/hello.o \
	$(GUEST_OBJ)/64/lib/trap64.o $(GUEST_OBJ)/64/lib/multiboot64.o \
	$(GUEST_OBJ)/64/lib/catchstub64.o
GUEST_OBJ32_S := $(GUEST_OBJ)/32/lib/entry32.o $(GUEST_OBJ)/32/lib/multiboot.o \
	$(GUEST_OBJ)/32/lib/trap32.o
GUEST_OBJ16_S := $(GUEST_OBJ)/16/hello16.o $(GUEST_OBJ)/16/modes.o \
	$(GUEST_HOSTILE16:%=$(GUEST_OBJ)/16/%.o)
GUEST_MBAOUT_ENTRY := $(GUEST_OBJ)/32/lib/multiboot-aout.o

.PHONY: guests guests-clean
guests: $(GUESTS)

guests-clean:
	rm -rf $(GUEST_OUT)

# --- objects ---------------------------------------------------------------

$(GUEST_OBJ64_C): $(GUEST_OBJ)/64/%.o: $(GUEST_SRC)/%.c $(GUEST_MK)
	@mkdir -p $(@D)
	$(GUEST_CC) -m64 $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ32_C): $(GUEST_OBJ)/32/%.o: $(GUEST_SRC)/%.c $(GUEST_MK)
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ64_S): $(GUEST_OBJ)/64/%.o: $(GUEST_SRC)/%.S $(GUEST_MK)
	@mkdir -p $(@D)
	$(GUEST_CC) -m64 $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ32_S): $(GUEST_OBJ)/32/%.o: $(GUEST_SRC)/%.S $(GUEST_MK)
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -c $< -o $@

# hello16.S is .code16 throughout, modes.S starts so: -m32 only picks the
# ELF32 object format.
$(GUEST_OBJ16_S): $(GUEST_OBJ)/16/%.o: $(GUEST_SRC)/%.S $(GUEST_MK)
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_MBAOUT_ENTRY): $(GUEST_SRC)/lib/multiboot.S $(GUEST_MK)
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -DMB_AOUT -c $< -o $@

# --- guests ------------------------------------------------------------------

$(GUEST_OUT)/hello.elf: $(GUEST_OBJ)/64/hello.o $(GUEST_SRC)/lib/elf64.ld
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/elf64.ld \
		-o $@ $<

$(GUEST_C64:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OBJ)/64/%.o \
		$(GUEST_OBJ)/64/lib/entry64.o $(GUEST_LIB64) \
		$(GUEST_SRC)/lib/elf64.ld
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/elf64.ld \
		-o $@ $(GUEST_OBJ)/64/lib/entry64.o $< $(GUEST_LIB64)

$(GUEST_K64:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OBJ)/64/%.o \
		$(GUEST_OBJ)/64/lib/entry64.o $(GUEST_KLIB64) $(GUEST_LIB64) \
		$(GUEST_SRC)/lib/elf64.ld
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/elf64.ld \
		-o $@ $(GUEST_OBJ)/64/lib/entry64.o $< $(GUEST_KLIB64) \
		$(GUEST_LIB64)

$(GUEST_MB64:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OBJ)/64/%.o \
		$(GUEST_OBJ)/64/lib/multiboot64.o $(GUEST_OBJ)/64/lib/entry64.o \
		$(GUEST_KLIB64) $(GUEST_LIB64) $(GUEST_SRC)/lib/mb64.ld
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/mb64.ld \
		-o $@ $(GUEST_OBJ)/64/lib/multiboot64.o \
		$(GUEST_OBJ)/64/lib/entry64.o $< $(GUEST_KLIB64) $(GUEST_LIB64)

$(GUEST_HOSTILE64:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OBJ)/64/%.o \
		$(GUEST_OBJ)/64/lib/multiboot64.o $(GUEST_OBJ)/64/lib/entry64.o \
		$(GUEST_CATCH64) $(GUEST_KLIB64) $(GUEST_LIB64) $(GUEST_SRC)/lib/mb64.ld
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/mb64.ld \
		-o $@ $(GUEST_OBJ)/64/lib/multiboot64.o \
		$(GUEST_OBJ)/64/lib/entry64.o $< $(GUEST_CATCH64) $(GUEST_KLIB64) \
		$(GUEST_LIB64)

$(GUEST_C32:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OBJ)/32/%.o \
		$(GUEST_OBJ)/32/lib/entry32.o $(GUEST_LIB32) \
		$(GUEST_SRC)/lib/elf32.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/elf32.ld \
		-o $@ $(GUEST_OBJ)/32/lib/entry32.o $< $(GUEST_LIB32)

$(GUEST_K32:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OBJ)/32/%.o \
		$(GUEST_OBJ)/32/lib/entry32.o $(GUEST_KLIB32) $(GUEST_LIB32) \
		$(GUEST_SRC)/lib/elf32.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/elf32.ld \
		-o $@ $(GUEST_OBJ)/32/lib/entry32.o $< $(GUEST_KLIB32) \
		$(GUEST_LIB32)

$(GUEST_MB:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OBJ)/32/%.o \
		$(GUEST_OBJ)/32/lib/multiboot.o $(GUEST_LIB32) \
		$(GUEST_SRC)/lib/elf32.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/elf32.ld \
		-o $@ $(GUEST_OBJ)/32/lib/multiboot.o $< $(GUEST_LIB32)

$(GUEST_MBLOW:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: $(GUEST_OBJ)/32/%.o \
		$(GUEST_OBJ)/32/lib/multiboot.o $(GUEST_LIB32) \
		$(GUEST_SRC)/lib/mblow.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/mblow.ld \
		-o $@ $(GUEST_OBJ)/32/lib/multiboot.o $< $(GUEST_LIB32)

$(GUEST_MBK32:%=$(GUEST_OUT)/%.elf) $(GUEST_HOSTILE32:%=$(GUEST_OUT)/%.elf): \
		$(GUEST_OUT)/%.elf: $(GUEST_OBJ)/32/%.o \
		$(GUEST_OBJ)/32/lib/multiboot.o $(GUEST_KLIB32) $(GUEST_LIB32) \
		$(GUEST_SRC)/lib/elf32.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/elf32.ld \
		-o $@ $(GUEST_OBJ)/32/lib/multiboot.o $< $(GUEST_KLIB32) \
		$(GUEST_LIB32)

$(GUEST_MBAOUT:%=$(GUEST_OUT)/%.elf): $(GUEST_OUT)/%.elf: \
		$(GUEST_OBJ)/32/%.o $(GUEST_MBAOUT_ENTRY) $(GUEST_LIB32) \
		$(GUEST_SRC)/lib/mbaout.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/mbaout.ld \
		-o $@ $(GUEST_MBAOUT_ENTRY) $< $(GUEST_LIB32)

$(GUEST_OBJ)/16/hello16.elf: $(GUEST_OBJ)/16/hello16.o $(GUEST_SRC)/lib/flat16.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/flat16.ld \
		-o $@ $<

$(GUEST_OUT)/hello16.bin: $(GUEST_OBJ)/16/hello16.elf
	$(GUEST_OBJCOPY) -O binary $< $@

$(GUEST_OBJ)/16/modes.elf: $(GUEST_OBJ)/16/modes.o $(GUEST_SRC)/lib/flat16.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/flat16.ld \
		-o $@ $<

$(GUEST_OUT)/modes.bin: $(GUEST_OBJ)/16/modes.elf
	$(GUEST_OBJCOPY) -O binary $< $@

$(GUEST_HOSTILE16:%=$(GUEST_OBJ)/16/%.elf): $(GUEST_OBJ)/16/%.elf: \
		$(GUEST_OBJ)/16/%.o $(GUEST_SRC)/lib/flat16.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/lib/flat16.ld \
		-o $@ $<

$(GUEST_HOSTILE16:%=$(GUEST_OUT)/%.bin): $(GUEST_OUT)/%.bin: $(GUEST_OBJ)/16/%.elf
	$(GUEST_OBJCOPY) -O binary $< $@

-include $(wildcard $(GUEST_OBJ)/*/*.d $(GUEST_OBJ)/*/lib/*.d)

.DEFAULT_GOAL := $(GUEST_SAVED_GOAL)
