/* The guest CPU model (src/x86/cpu_model.c). Bit positions from Intel SDM Vol. 2A,
 * CPUID, tables 3-10 (leaf 1 ECX) and 3-11 (leaf 1 EDX), and AMD APM Vol. 3,
 * appendix E (CPUID Fn8000_0000, Fn8000_0001, Fn8000_0008). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "unit_helpers.h"
#include "x86/cpu_model.h"

#define BIT(n) (1u << (n))

static const struct cpu_model *model(const char *name)
{
	const struct cpu_model *m = cpu_model_find(name);

	if (!m)
		fail_msg("no CPU model '%s'", name);
	return m;
}

static struct cpuid_result model_cpuid(const char *name, uint32_t function, uint32_t index, uint32_t apic_id)
{
	struct cpuid_result r;

	memset(&r, 0xa5, sizeof(r)); /* every register must be written */
	cpu_model_cpuid(model(name), function, index, apic_id, &r);
	return r;
}

/* The baseline model's answer (most tests below are about it). */
static struct cpuid_result cpuid(uint32_t function, uint32_t apic_id)
{
	return model_cpuid("baseline", function, 0, apic_id);
}

/* The 12-byte vendor string of leaves 0 and 0x80000000: EBX, EDX, ECX in that order. */
static void vendor_of(const struct cpuid_result *r, char out[13])
{
	memcpy(out, &r->ebx, 4);
	memcpy(out + 4, &r->edx, 4);
	memcpy(out + 8, &r->ecx, 4);
	out[12] = '\0';
}

static void test_cpuid_leaf_0_vendor_is_authenticamd(void **state)
{
	struct cpuid_result r = cpuid(0, 0);
	char vendor[13];

	(void)state;
	vendor_of(&r, vendor);
	assert_string_equal(vendor, "AuthenticAMD");
	/* EAX is the highest basic leaf; leaf 1 must be there. */
	assert_true(r.eax >= 1);
}

/* Linux's KVM guest code finds the hypervisor by the signature "KVMKVMKVM\0\0\0"
 * in EBX, ECX, EDX of 0x40000000 (Linux Documentation/virt/kvm/x86/cpuid.rst), and
 * then reads the feature bits of 0x40000001 EAX. */
static void test_cpuid_hypervisor_leaves_offer_kvmclock_only(void **state)
{
	struct cpuid_result r = cpuid(0x40000000, 0);
	char sig[12];

	(void)state;
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	assert_memory_equal(sig, "KVMKVMKVM\0\0\0", 12);
	assert_int_equal(r.eax, 0x40000001u);
	r = cpuid(0x40000001, 0);
	/* KVM_FEATURE_CLOCKSOURCE2 (bit 3) and KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (bit 24). */
	assert_int_equal(r.eax, BIT(3) | BIT(24));
	assert_int_equal(r.ebx, 0);
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0);
	/* CPUID.1:ECX bit 31: running under a hypervisor. */
	assert_true(cpuid(1, 0).ecx & BIT(31));
}

static void test_cpuid_leaf_80000000_vendor_and_max_leaf(void **state)
{
	struct cpuid_result r = cpuid(0x80000000, 0);
	char vendor[13];

	(void)state;
	vendor_of(&r, vendor);
	assert_string_equal(vendor, "AuthenticAMD");
	/* Long mode is reported in 0x80000001 and address sizes in 0x80000008. */
	assert_true(r.eax >= 0x80000008u);
	assert_true(r.eax < 0x80000100u);
}

static void test_cpuid_leaf_1_edx_has_x86_64_baseline(void **state)
{
	static const struct {
		unsigned bit;
		const char *name;
	} required[] = {
		{ 0, "FPU" },  { 4, "TSC" },   { 5, "MSR" },  { 6, "PAE" },   { 8, "CX8" },
		{ 9, "APIC" }, { 11, "SEP" },  { 13, "PGE" }, { 15, "CMOV" }, { 16, "PAT" },
		{ 23, "MMX" }, { 24, "FXSR" }, { 25, "SSE" }, { 26, "SSE2" },
	};
	struct cpuid_result r = cpuid(1, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!(r.edx & BIT(required[i].bit)))
			fail_msg("CPUID.1:EDX lacks %s (bit %u)", required[i].name, required[i].bit);
	}
	/* Bits 10 and 20 are reserved. */
	assert_int_equal(r.edx & (BIT(10) | BIT(20)), 0);
}

static void test_cpuid_leaf_1_ecx_has_no_unimplemented_extension(void **state)
{
	static const struct {
		unsigned bit;
		const char *name;
	} absent[] = {
		{ 0, "SSE3" },	   { 3, "MONITOR" }, { 5, "VMX" },    { 9, "SSSE3" },	{ 12, "FMA" }, { 13, "CX16" },
		{ 19, "SSE4.1" },  { 20, "SSE4.2" }, { 22, "MOVBE" }, { 23, "POPCNT" }, { 25, "AES" }, { 26, "XSAVE" },
		{ 27, "OSXSAVE" }, { 28, "AVX" },    { 29, "F16C" },  { 30, "RDRAND" },
	};
	struct cpuid_result r = cpuid(1, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		if (r.ecx & BIT(absent[i].bit))
			fail_msg("CPUID.1:ECX advertises %s (bit %u)", absent[i].name, absent[i].bit);
	}
}

static void test_cpuid_leaf_1_eax_is_family_15_model_6_stepping_1(void **state)
{
	struct cpuid_result r = cpuid(1, 0);

	(void)state;
	/* SDM figure 3-6: stepping 3:0, model 7:4, family 11:8, extended model 19:16,
	 * extended family 27:20. */
	assert_int_equal(r.eax & 0xf, 1);
	assert_int_equal((r.eax >> 4) & 0xf, 6);
	assert_int_equal((r.eax >> 8) & 0xf, 15);
	assert_int_equal((r.eax >> 16) & 0xf, 0);
	assert_int_equal((r.eax >> 20) & 0xff, 0);
	/* APM: Fn8000_0001_EAX carries the same family, model and stepping. */
	assert_int_equal(cpuid(0x80000001, 0).eax, r.eax);
}

static void test_cpuid_leaf_1_ebx_carries_apic_id_in_bits_31_24(void **state)
{
	(void)state;
	assert_int_equal(cpuid(1, 0).ebx >> 24, 0);
	assert_int_equal(cpuid(1, 1).ebx >> 24, 1);
	assert_int_equal(cpuid(1, 0x5a).ebx >> 24, 0x5a);
	assert_int_equal(cpuid(1, 0xff).ebx >> 24, 0xff);
	/* The other fields do not depend on the vCPU. */
	assert_int_equal(cpuid(1, 0).ebx & 0xffffff, cpuid(1, 0xff).ebx & 0xffffff);
}

static void test_cpuid_leaf_1_ebx_gives_clflush_line_size_when_clflush_is_set(void **state)
{
	struct cpuid_result r = cpuid(1, 0);

	(void)state;
	/* EBX bits 15:8: CLFLUSH line size in 8-byte units, "valid if CLFSH = 1" (EDX 19). */
	if (r.edx & BIT(19))
		assert_true(((r.ebx >> 8) & 0xff) != 0);
}

static void test_cpuid_80000001_edx_has_lm_nx_syscall(void **state)
{
	struct cpuid_result r = cpuid(0x80000001, 0);

	(void)state;
	assert_true(r.edx & BIT(29)); /* LM */
	assert_true(r.edx & BIT(20)); /* NX */
	assert_true(r.edx & BIT(11)); /* SYSCALL/SYSRET */
}

static void test_cpuid_80000001_has_no_unimplemented_extension(void **state)
{
	struct cpuid_result r = cpuid(0x80000001, 0);

	(void)state;
	assert_int_equal(r.ecx & BIT(2), 0);  /* SVM */
	assert_int_equal(r.ecx & BIT(6), 0);  /* SSE4A */
	assert_int_equal(r.edx & BIT(31), 0); /* 3DNow! */
	assert_int_equal(r.edx & BIT(30), 0); /* 3DNowExt */
}

/* The machine-check MSRs are modelled (x86/msr_model.h), so both MCE (bit 7) and
 * MCA (bit 14) are reported, in leaf 1 and in its AMD mirror. */
static void test_cpuid_reports_mce_and_mca_in_leaf_1_and_80000001(void **state)
{
	(void)state;
	assert_int_equal(cpuid(1, 0).edx & (BIT(7) | BIT(14)), BIT(7) | BIT(14));
	assert_int_equal(cpuid(0x80000001, 0).edx & (BIT(7) | BIT(14)), BIT(7) | BIT(14));
}

/* PerfCtrExtCore (Fn8000_0001 ECX bit 23) is clear: only the four legacy counters
 * at C001_0000h-C001_0007h exist, which is what the model has. */
static void test_cpuid_80000001_has_no_perfctr_ext_core(void **state)
{
	(void)state;
	assert_int_equal(cpuid(0x80000001, 0).ecx & BIT(23), 0);
}

static void test_cpuid_80000001_edx_mirrors_leaf_1_where_amd_defines_it(void **state)
{
	/* APM: Fn8000_0001_EDX bits 0-9, 12-17, 23 and 24 are "same as" Fn0000_0001_EDX. */
	const uint32_t mirrored = 0x3ffu | (0x3fu << 12) | BIT(23) | BIT(24);
	struct cpuid_result basic = cpuid(1, 0), ext = cpuid(0x80000001, 0);

	(void)state;
	assert_int_equal(ext.edx & mirrored, basic.edx & mirrored);
}

static void test_cpuid_80000008_reports_address_sizes(void **state)
{
	struct cpuid_result r = cpuid(0x80000008, 0);

	(void)state;
	/* APM Fn8000_0008_EAX: 7:0 physical address bits, 15:8 linear address bits. */
	assert_int_equal(r.eax & 0xff, 40);
	assert_int_equal((r.eax >> 8) & 0xff, 48);
}

static void test_cpuid_brand_string_is_nul_terminated(void **state)
{
	char brand[48];

	(void)state;
	for (uint32_t i = 0; i < 3; i++) {
		struct cpuid_result r = cpuid(0x80000002 + i, 0);

		memcpy(brand + 16 * i, &r.eax, 4);
		memcpy(brand + 16 * i + 4, &r.ebx, 4);
		memcpy(brand + 16 * i + 8, &r.ecx, 4);
		memcpy(brand + 16 * i + 12, &r.edx, 4);
	}
	/* APM Fn8000_000[4:2]: a 48-byte, NUL-terminated ASCII string. */
	assert_non_null(memchr(brand, '\0', sizeof(brand)));
	assert_true(strlen(brand) > 0);
}

static void test_cpuid_leaf_beyond_maximum_reads_zero(void **state)
{
	const uint32_t max_basic = cpuid(0, 0).eax;
	const uint32_t max_ext = cpuid(0x80000000, 0).eax;
	const uint32_t beyond[] = { max_basic + 1, 0x1f, 0x3fffffff, max_ext + 1, 0x8000ffff, 0xffffffff };

	(void)state;
	/* The model follows AMD: a leaf above the maximum reads as all zero. */
	for (size_t i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++) {
		struct cpuid_result r = cpuid(beyond[i], 3);

		assert_int_equal(r.eax, 0);
		assert_int_equal(r.ebx, 0);
		assert_int_equal(r.ecx, 0);
		assert_int_equal(r.edx, 0);
	}
}

static void test_cpu_model_leaves_lists_each_leaf_once_and_agrees_with_cpuid(void **state)
{
	struct cpuid_leaf leaves[128];
	const uint32_t apic = 3;
	const uint32_t max_basic = cpuid(0, apic).eax, max_ext = cpuid(0x80000000, apic).eax;
	size_t n = cpu_model_leaves(model("baseline"), apic, leaves, 128);
	int seen0 = 0, seen1 = 0, seen80 = 0, seen81 = 0, seen88 = 0;

	(void)state;
	assert_true(n > 0 && n < 128);
	for (size_t i = 0; i < n; i++) {
		struct cpuid_result r = cpuid(leaves[i].function, apic);

		for (size_t j = 0; j < i; j++)
			if (leaves[j].function == leaves[i].function && leaves[j].index == leaves[i].index)
				fail_msg("leaf 0x%x listed twice", leaves[i].function);
		assert_memory_equal(&leaves[i].r, &r, sizeof(r));
		/* A leaf the guest cannot reach (above the maximum it reports) is pointless. */
		if (leaves[i].function < 0x40000000u)
			assert_true(leaves[i].function <= max_basic);
		else if (leaves[i].function >= 0x80000000u)
			assert_true(leaves[i].function <= max_ext);
		seen0 += leaves[i].function == 0;
		seen1 += leaves[i].function == 1;
		seen80 += leaves[i].function == 0x80000000u;
		seen81 += leaves[i].function == 0x80000001u;
		seen88 += leaves[i].function == 0x80000008u;
	}
	assert_int_equal(seen0 + seen1 + seen80 + seen81 + seen88, 5);
	/* Leaf 1 in the table carries the APIC ID asked for. */
	for (size_t i = 0; i < n; i++)
		if (leaves[i].function == 1)
			assert_int_equal(leaves[i].r.ebx >> 24, apic);
}

static void test_cpu_model_leaves_writes_at_most_max(void **state)
{
	struct cpuid_leaf leaves[4];

	(void)state;
	memset(leaves, 0x5a, sizeof(leaves));
	assert_int_equal(cpu_model_leaves(model("baseline"), 0, leaves, 3), 3);
	/* The fourth slot is untouched. */
	for (size_t i = 0; i < sizeof(leaves[3]); i++)
		assert_int_equal(((const uint8_t *)&leaves[3])[i], 0x5a);
	assert_int_equal(cpu_model_leaves(model("baseline"), 0, leaves, 0), 0);
}

/* ---- the models ----------------------------------------------------------------------
 * Levels from the x86-64 psABI ("Micro-Architecture Levels"): v2 adds CMPXCHG16B,
 * LAHF-SAHF, POPCNT, SSE3, SSE4_1, SSE4_2, SSSE3; v3 adds AVX, AVX2, BMI1, BMI2,
 * F16C, FMA, LZCNT, MOVBE, OSXSAVE. Bits: SDM Vol. 2A, CPUID, table 3-10 (leaf 1
 * ECX: SSE3 0, SSSE3 9, FMA 12, CMPXCHG16B 13, SSE4.1 19, SSE4.2 20, MOVBE 22,
 * POPCNT 23, XSAVE 26, OSXSAVE 27, AVX 28, F16C 29), leaf 07H EBX (BMI1 3, AVX2 5,
 * BMI2 8); APM Vol. 3, E.4.2 (Fn8000_0001 ECX: LahfSahf 0, ABM (LZCNT) 5). */

static void test_models_are_baseline_v2_v3_max_and_host_in_level_order(void **state)
{
	static const char *const names[] = { "baseline", "v2", "v3", "max", "host" };
	size_t n;
	const struct cpu_model *m = cpu_model_list(&n);

	(void)state;
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(m[i].name, names[i]);
		assert_ptr_equal(cpu_model_find(names[i]), &m[i]);
		assert_non_null(m[i].summary);
	}
	assert_int_equal(m[0].level, 1);
	assert_int_equal(m[1].level, 2);
	assert_int_equal(m[2].level, 3);
	/* max and host are never the default: below every level. */
	assert_true(m[3].level < 1 && m[4].level < 1);
	assert_true(m[4].host_passthrough);
	assert_false(m[0].host_passthrough || m[1].host_passthrough || m[2].host_passthrough || m[3].host_passthrough);
}

static void test_cpu_model_find_refuses_unknown_names(void **state)
{
	(void)state;
	assert_null(cpu_model_find("bogus"));
	assert_null(cpu_model_find(""));
	assert_null(cpu_model_find("V2"));
	assert_null(cpu_model_find("x86-64-v2"));
}

static void test_v2_adds_exactly_the_psabi_v2_flags(void **state)
{
	const uint32_t v2_1_ecx = BIT(0) | BIT(9) | BIT(13) | BIT(19) | BIT(20) | BIT(23);
	struct cpuid_result b1 = cpuid(1, 0), b81 = cpuid(0x80000001, 0);
	struct cpuid_result v1 = model_cpuid("v2", 1, 0, 0), v81 = model_cpuid("v2", 0x80000001, 0, 0);

	(void)state;
	assert_int_equal(v1.ecx, b1.ecx | v2_1_ecx);
	assert_int_equal(b1.ecx & v2_1_ecx, 0);
	assert_int_equal(v1.edx, b1.edx);
	assert_int_equal(v1.eax, b1.eax);
	assert_int_equal(v81.ecx, b81.ecx | BIT(0));
	assert_int_equal(b81.ecx & BIT(0), 0);
	assert_int_equal(v81.edx, b81.edx);
	/* Nothing of v3: no leaf 7 (max basic leaf 1), no LZCNT. */
	assert_int_equal(model_cpuid("v2", 0, 0, 0).eax, 1);
	assert_int_equal(model_cpuid("v2", 7, 0, 0).ebx, 0);
	assert_int_equal(v81.ecx & BIT(5), 0);
}

static void test_v3_adds_the_psabi_v3_flags_over_v2(void **state)
{
	const uint32_t v3_1_ecx = BIT(12) | BIT(22) | BIT(26) | BIT(28) | BIT(29);
	struct cpuid_result v2 = model_cpuid("v2", 1, 0, 0), v3 = model_cpuid("v3", 1, 0, 0);
	struct cpuid_result l7 = model_cpuid("v3", 7, 0, 0);

	(void)state;
	assert_int_equal(v3.ecx, v2.ecx | v3_1_ecx);
	/* OSXSAVE mirrors CR4.OSXSAVE: never set by the model itself. */
	assert_int_equal(v3.ecx & BIT(27), 0);
	assert_true(model_cpuid("v3", 0, 0, 0).eax >= 7);
	assert_int_equal(l7.eax, 0); /* sub-leaf 0 is the only one */
	assert_int_equal(l7.ebx, BIT(3) | BIT(5) | BIT(8));
	assert_int_equal(model_cpuid("v3", 7, 1, 0).ebx, 0);
	assert_int_equal(model_cpuid("v3", 0x80000001, 0, 0).ecx, BIT(0) | BIT(5));
}

static void test_cpu_model_has_reads_the_advertised_bits(void **state)
{
	(void)state;
	assert_false(cpu_model_has(model("baseline"), CPUID_F_SSE3));
	assert_false(cpu_model_has(model("baseline"), CPUID_F_LAHF_LM));
	assert_true(cpu_model_has(model("v2"), CPUID_F_SSE3));
	assert_true(cpu_model_has(model("v2"), CPUID_F_CX16));
	assert_true(cpu_model_has(model("v2"), CPUID_F_LAHF_LM));
	assert_false(cpu_model_has(model("v2"), CPUID_F_AVX));
	assert_true(cpu_model_has(model("v3"), CPUID_F_AVX2));
	assert_true(cpu_model_has(model("v3"), CPUID_F_LZCNT));
	/* SSE2 is CPUID.1:EDX bit 26 in every level. */
	assert_true(cpu_model_has(model("baseline"), CPUID_FEATURE(CPUID_1_EDX, 26)));
}

/* Who implements what: the software engines every level and max, kvm each
 * where the host's KVM has its flags (it checks), host is kvm's alone. */
static void test_models_say_which_engines_implement_them(void **state)
{
	static const char *const names[] = { "baseline", "v2", "v3", "max" };

	(void)state;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		assert_true(model(names[k])->soft_cpu_implements && model(names[k])->kvm_implements);
	assert_true(model("host")->kvm_implements);
	assert_false(model("host")->soft_cpu_implements);
}

/* max over v3 (SDM Vol. 2A, CPUID: leaf 1 ECX PCLMULQDQ 1, AES 25, RDRAND 30;
 * leaf 07H EBX FSGSBASE 0, RDSEED 18, ADX 19, SHA 29; ECX RDPID 22; APM Vol.
 * 3, E.4.2: Fn8000_0001 EDX RDTSCP 27), nothing else. */
static void test_max_adds_the_extensions_beyond_v3(void **state)
{
	struct cpuid_result v3 = model_cpuid("v3", 1, 0, 0), mx = model_cpuid("max", 1, 0, 0);

	(void)state;
	assert_int_equal(mx.ecx, v3.ecx | BIT(1) | BIT(25) | BIT(30));
	assert_int_equal(mx.edx, v3.edx);
	assert_int_equal(model_cpuid("max", 7, 0, 0).ebx,
			 model_cpuid("v3", 7, 0, 0).ebx | BIT(0) | BIT(18) | BIT(19) | BIT(29));
	assert_int_equal(model_cpuid("max", 7, 0, 0).ecx, BIT(22));
	assert_int_equal(model_cpuid("max", 0x80000001, 0, 0).edx, model_cpuid("v3", 0x80000001, 0, 0).edx | BIT(27));
	assert_int_equal(model_cpuid("max", 0x80000001, 0, 0).ecx, model_cpuid("v3", 0x80000001, 0, 0).ecx);
	assert_int_equal(model_cpuid("max", 0, 0, 0).eax, model_cpuid("v3", 0, 0, 0).eax);
}

static void test_each_models_leaves_agree_with_its_cpuid(void **state)
{
	static const char *const names[] = { "baseline", "v2", "v3", "max" };

	(void)state;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct cpuid_leaf leaves[128];
		size_t n = cpu_model_leaves(model(names[k]), 2, leaves, 128);
		uint32_t max_basic = model_cpuid(names[k], 0, 0, 2).eax;
		size_t basic = 0;

		for (size_t i = 0; i < n; i++) {
			struct cpuid_result r = model_cpuid(names[k], leaves[i].function, leaves[i].index, 2);

			assert_memory_equal(&leaves[i].r, &r, sizeof(r));
			/* Leaves 7 and 0xD have sub-leaves, so KVM must match their index. */
			assert_int_equal(leaves[i].indexed, leaves[i].function == 7 || leaves[i].function == 0xd);
			basic += leaves[i].function <= max_basic && leaves[i].index == 0;
		}
		assert_int_equal(basic, max_basic + 1);
	}
}

static void test_hypervisor_leaves_are_the_same_in_every_model(void **state)
{
	(void)state;
	for (uint32_t f = 0x40000000; f <= 0x40000001; f++) {
		struct cpuid_result h;

		cpu_model_hypervisor_leaf(f, &h);
		assert_memory_equal(&h, (struct cpuid_result[]){ model_cpuid("v2", f, 0, 0) }, sizeof(h));
		assert_memory_equal(&h, (struct cpuid_result[]){ model_cpuid("v3", f, 0, 0) }, sizeof(h));
		assert_memory_equal(&h, (struct cpuid_result[]){ cpuid(f, 0) }, sizeof(h));
	}
}

static void test_feature_names_name_the_level_flags_and_place_the_rest(void **state)
{
	char buf[64];

	(void)state;
	cpu_model_feature_name(CPUID_F_SSE42, buf, sizeof(buf));
	assert_string_equal(buf, "SSE4.2");
	cpu_model_feature_name(CPUID_F_CX16, buf, sizeof(buf));
	assert_string_equal(buf, "CMPXCHG16B");
	cpu_model_feature_name(CPUID_FEATURE(CPUID_1_EDX, 9), buf, sizeof(buf));
	assert_string_equal(buf, "CPUID.1:EDX[9]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid_leaf_0_vendor_is_authenticamd),
		cmocka_unit_test(test_cpuid_leaf_80000000_vendor_and_max_leaf),
		cmocka_unit_test(test_cpuid_leaf_1_edx_has_x86_64_baseline),
		cmocka_unit_test(test_cpuid_leaf_1_ecx_has_no_unimplemented_extension),
		cmocka_unit_test(test_cpuid_leaf_1_eax_is_family_15_model_6_stepping_1),
		cmocka_unit_test(test_cpuid_leaf_1_ebx_carries_apic_id_in_bits_31_24),
		cmocka_unit_test(test_cpuid_leaf_1_ebx_gives_clflush_line_size_when_clflush_is_set),
		cmocka_unit_test(test_cpuid_80000001_edx_has_lm_nx_syscall),
		cmocka_unit_test(test_cpuid_80000001_has_no_unimplemented_extension),
		cmocka_unit_test(test_cpuid_80000001_edx_mirrors_leaf_1_where_amd_defines_it),
		cmocka_unit_test(test_cpuid_reports_mce_and_mca_in_leaf_1_and_80000001),
		cmocka_unit_test(test_cpuid_80000001_has_no_perfctr_ext_core),
		cmocka_unit_test(test_cpuid_80000008_reports_address_sizes),
		cmocka_unit_test(test_cpuid_brand_string_is_nul_terminated),
		cmocka_unit_test(test_cpuid_leaf_beyond_maximum_reads_zero),
		cmocka_unit_test(test_cpu_model_leaves_lists_each_leaf_once_and_agrees_with_cpuid),
		cmocka_unit_test(test_cpu_model_leaves_writes_at_most_max),
		cmocka_unit_test(test_cpuid_hypervisor_leaves_offer_kvmclock_only),
		cmocka_unit_test(test_models_are_baseline_v2_v3_max_and_host_in_level_order),
		cmocka_unit_test(test_cpu_model_find_refuses_unknown_names),
		cmocka_unit_test(test_v2_adds_exactly_the_psabi_v2_flags),
		cmocka_unit_test(test_v3_adds_the_psabi_v3_flags_over_v2),
		cmocka_unit_test(test_cpu_model_has_reads_the_advertised_bits),
		cmocka_unit_test(test_models_say_which_engines_implement_them),
		cmocka_unit_test(test_max_adds_the_extensions_beyond_v3),
		cmocka_unit_test(test_each_models_leaves_agree_with_its_cpuid),
		cmocka_unit_test(test_hypervisor_leaves_are_the_same_in_every_model),
		cmocka_unit_test(test_feature_names_name_the_level_flags_and_place_the_rest),
	};

	return cmocka_run_group_tests_name("cpu_model", tests, NULL, NULL);
}
