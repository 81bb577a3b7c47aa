#include "diff_model.h"

#include <pthread.h>

static struct cpu_model model;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
	model = *cpu_model_find("v3");
	model.name = "v3+";
	model.features[CPUID_1_ECX] |= CPUID_FEATURE_MASK(CPUID_F_AES) | CPUID_FEATURE_MASK(CPUID_F_PCLMULQDQ);
	model.features[CPUID_7_EBX] |= CPUID_FEATURE_MASK(CPUID_F_ADX) | CPUID_FEATURE_MASK(CPUID_F_SHA);
}

const struct cpu_model *diff_model(void)
{
	pthread_once(&once, build);
	return &model;
}
