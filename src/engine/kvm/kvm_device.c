/* /dev/kvm opened and checked for what the kvm engine uses (kvm_internal.h:
 * kvm_open), for the engine's probe and create and for its CPU-model checks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "engine/kvm/kvm_internal.h"

#define KVM_DEVICE "/dev/kvm"

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },	  { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" }, { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS" },
};

int kvm_open(char *why, size_t why_len)
{
	int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	int version;

	if (fd < 0) {
		snprintf(why, why_len, "%s: %s", KVM_DEVICE, strerror(errno));
		return -1;
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(why, why_len, "%s: KVM API version %d, need %d", KVM_DEVICE, version, KVM_API_VERSION);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			snprintf(why, why_len, "%s: host KVM lacks %s", KVM_DEVICE, required_caps[i].name);
			goto fail;
		}
	}
	if (!(ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS)) {
		snprintf(why, why_len, "%s: host KVM cannot sync general registers (KVM_SYNC_X86_REGS)", KVM_DEVICE);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}
