/* The guest CPU model on KVM: which models this host's KVM can give, and the
 * CPUID table each vCPU gets (KVM_SET_CPUID2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "engine/kvm/kvm_internal.h"
#include "x86/cpu_model.h"

#define MAX_CPUID_LEAVES 64
/* KVM_GET_SUPPORTED_CPUID fails with E2BIG below the count it has. */
#define SUPPORTED_MAX 1024

/* CPUID.1:ECX bits the host model does not pass through: x2APIC (21) and
 * TSC-deadline (24) belong to the local APIC, which is Ringvisor's own in user
 * space (no KVM_CREATE_IRQCHIP) and has neither. */
#define HOST_1_ECX_DROPPED ((1u << 21) | (1u << 24))
#define F1C_HYPERVISOR (1u << 31)

struct kvm_cpuid2 *kvm_supported_cpuid(int kvm_fd, char *why, size_t why_len)
{
	for (uint32_t n = 64; n <= SUPPORTED_MAX; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));

		if (!c) {
			snprintf(why, why_len, "kvm: out of memory");
			return NULL;
		}
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			break;
	}
	snprintf(why, why_len, "kvm: KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	return NULL;
}

static const struct kvm_cpuid_entry2 *find_leaf(const struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == function && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

/* The feature registers of enum cpuid_word as KVM supports them (0 where it
 * lists no such leaf). */
static void supported_words(const struct kvm_cpuid2 *c, uint32_t words[CPUID_WORDS])
{
	const struct kvm_cpuid_entry2 *l1 = find_leaf(c, 1, 0), *l7 = find_leaf(c, 7, 0),
				      *l81 = find_leaf(c, 0x80000001, 0);

	memset(words, 0, CPUID_WORDS * sizeof(words[0]));
	if (l1) {
		words[CPUID_1_ECX] = l1->ecx;
		words[CPUID_1_EDX] = l1->edx;
	}
	if (l7) {
		words[CPUID_7_EBX] = l7->ebx;
		words[CPUID_7_ECX] = l7->ecx;
	}
	if (l81) {
		words[CPUID_80000001_ECX] = l81->ecx;
		words[CPUID_80000001_EDX] = l81->edx;
	}
	/* The model is an AMD one and sets the mirror bits; on an Intel host KVM
	 * lists them clear, though it has each feature (in leaf 1). A mirror
	 * bit only repeats leaf 1, so KVM gives what it names where it gives
	 * leaf 1's bit. */
	words[CPUID_80000001_EDX] |= words[CPUID_1_EDX] & CPUID_81_EDX_MIRRORS_1_EDX;
}

/* The model's flags KVM lacks, named in why; 0 if none. */
static int missing_features(const struct cpu_model *m, const struct kvm_cpuid2 *c, char *why, size_t why_len)
{
	uint32_t have[CPUID_WORDS];
	size_t used;
	int n = 0;

	supported_words(c, have);
	used = (size_t)snprintf(why, why_len, "host KVM lacks");
	for (unsigned w = 0; w < CPUID_WORDS; w++) {
		uint32_t lack = m->features[w] & ~have[w];

		for (unsigned bit = 0; bit < 32; bit++) {
			char name[32];

			if (!(lack & (1u << bit)))
				continue;
			cpu_model_feature_name(CPUID_FEATURE(w, bit), name, sizeof(name));
			if (used < why_len)
				used += (size_t)snprintf(why + used, why_len - used, "%s %s", n ? "," : "", name);
			n++;
		}
	}
	return n ? -1 : 0;
}

int kvm_provides_model(const struct cpu_model *model, char *why, size_t why_len)
{
	struct kvm_cpuid2 *c;
	int fd, rc;

	if (!model->kvm_implements) {
		snprintf(why, why_len, "not implemented on kvm yet");
		return -1;
	}
	fd = kvm_open(why, why_len);
	if (fd < 0)
		return -1;
	c = kvm_supported_cpuid(fd, why, why_len);
	close(fd);
	if (!c)
		return -1;
	rc = model->host_passthrough ? 0 : missing_features(model, c, why, why_len);
	free(c);
	return rc;
}

/* The host model: what KVM supports, with this vCPU's APIC ID, the hypervisor
 * bit, and Ringvisor's hypervisor leaves in place of KVM's own. */
static uint32_t host_leaves(const struct kvm_cpuid2 *supported, uint32_t apic_id, struct kvm_cpuid_entry2 *out,
			    uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < supported->nent && n < max; i++) {
		struct kvm_cpuid_entry2 e = supported->entries[i];

		if (e.function >= CPU_MODEL_HYPERVISOR_FIRST && e.function <= 0x4fffffffu)
			continue;
		if (e.function == 1) {
			e.ebx = (e.ebx & 0x00ffffffu) | (apic_id << 24);
			e.ecx = (e.ecx & ~HOST_1_ECX_DROPPED) | F1C_HYPERVISOR;
		} else if (e.function == 0xb || e.function == 0x1f) {
			e.edx = apic_id; /* x2APIC ID (SDM Vol. 2A, CPUID leaf 0BH) */
		} else if (e.function == 0x8000001e) {
			e.eax = apic_id; /* extended APIC ID (APM Vol. 3, E.4.15) */
		}
		out[n++] = e;
	}
	for (uint32_t f = CPU_MODEL_HYPERVISOR_FIRST; f <= CPU_MODEL_HYPERVISOR_LAST && n < max; f++) {
		struct cpuid_result r;

		cpu_model_hypervisor_leaf(f, &r);
		out[n++] =
		    (struct kvm_cpuid_entry2){ .function = f, .eax = r.eax, .ebx = r.ebx, .ecx = r.ecx, .edx = r.edx };
	}
	return n;
}

static uint32_t model_leaves(const struct cpu_model *m, uint32_t apic_id, struct kvm_cpuid_entry2 *out, uint32_t max)
{
	struct cpuid_leaf leaves[MAX_CPUID_LEAVES];
	size_t n = cpu_model_leaves(m, apic_id, leaves, max < MAX_CPUID_LEAVES ? max : MAX_CPUID_LEAVES);

	for (size_t i = 0; i < n; i++) {
		out[i] = (struct kvm_cpuid_entry2){
			.function = leaves[i].function,
			.index = leaves[i].index,
			.flags = leaves[i].indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
			.eax = leaves[i].r.eax,
			.ebx = leaves[i].r.ebx,
			.ecx = leaves[i].r.ecx,
			.edx = leaves[i].r.edx,
		};
	}
	return (uint32_t)n;
}

int kvm_vcpu_set_cpuid(struct engine_vcpu *v)
{
	const struct engine *e = v->kvm;
	uint32_t max = e->supported->nent + MAX_CPUID_LEAVES;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + max * sizeof(struct kvm_cpuid_entry2));
	int rc;

	if (!c)
		return -1;
	c->nent = e->model->host_passthrough ? host_leaves(e->supported, (uint32_t)v->index, c->entries, max)
					     : model_leaves(e->model, (uint32_t)v->index, c->entries, max);
	rc = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	return rc;
}
