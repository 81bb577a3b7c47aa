/* KNOWN INTERP BUGS. Mismatches between interp and silicon that the differential
 * test found and that are not fixed yet. Each one is kept out of the CI run here,
 * in one place, so that the owner can fix the interpreter and delete the entry:
 * the test then covers the instruction forms again.
 *
 * Two kinds: instruction forms the generator must not emit, and fields of an
 * outcome the comparison must not look at. Both are listed in known_bugs.c with
 * the reproducer and the SDM's word on who is right. */
#ifndef DIFF_KNOWN_BUGS_H
#define DIFF_KNOWN_BUGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <Zydis/Zydis.h>

/* An instruction as the generator is about to emit it. */
struct form {
	const ZydisEncoderRequest *req;
	const uint8_t *prefix; /* raw prefixes put in front of the encoder's bytes */
	unsigned nprefix;
	bool faulting_memory; /* its memory operand is meant to fault (#PF, #GP, #SS) */
	uint64_t popf_value;  /* POPF: the value it loads (pushed just before) */
	const uint8_t *raw;   /* raw instruction bytes (req->mnemonic is INVALID then) */
	unsigned rawlen;
};

/* Is this instruction form one of the known bugs? */
bool known_bug_excludes(const struct form *f);

/* RFLAGS bits of an exception frame (and of the handler's RFLAGS) the comparison
 * must ignore for this vector. */
uint64_t known_bug_frame_flags(unsigned vector);

/* Are the known bugs switched off (DIFF_ALL_BUGS=1: run everything)? */
void known_bugs_disable(bool off);

void known_bugs_print(FILE *f);

#endif
