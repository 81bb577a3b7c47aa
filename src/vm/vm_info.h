/* What a VM is, for people and tools that ask (the control socket's status):
 * a copy of the few facts, read safely from any thread while the VM runs. */
#ifndef RV_VM_INFO_H
#define RV_VM_INFO_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

struct vm_info {
	const char *engine;    /* "kvm", "interp", "dbt" */
	const char *cpu_model; /* the --cpu model's name */
	int vcpus;
	uint64_t mem_bytes;
	uint64_t uptime_ns; /* since vm_run started it; 0 before */
	bool stopping;	    /* a stop was asked for: the VM is ending */
	int exit_status;    /* the status it ends with, when stopping */
};

/* Any thread, once vm_create has succeeded and until vm_destroy. */
void vm_info_get(struct vm *vm, struct vm_info *out);

#endif
