/* The engine interface: how the VM layer drives a CPU virtualization method.
 *
 * Each engine fills one `struct engine_ops`. The VM layer never asks which engine
 * it is driving; a difference between engines lives behind this table.
 *
 * Contract of run(): it runs the vCPU until something needs the VMM and describes
 * that in *exit. Before the next run() the VMM completes the exit in the same
 * struct (IN data, MMIO read data, hypercall result); run() applies the completion
 * first, then continues the guest after the exiting instruction. */
#ifndef RV_ENGINE_H
#define RV_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/vcpu_state.h"
#include "engine/vm_exit.h"

struct guest_memory;
struct cpu_model;
struct engine;	    /* one per VM, engine-private */
struct engine_vcpu; /* one per vCPU, engine-private */

/* What the VM gives an engine when it creates it. */
struct engine_env {
	struct guest_memory *mem;
	int vcpu_count;
	/* The guest CPU model (x86/cpu_model.h), which provides_model accepted;
	 * fixed for the VM's life. Mandatory. */
	const struct cpu_model *cpu_model;
	/* dbt: the translation cache in MiB (--dbt-cache-size); 0: its default. */
	unsigned code_cache_mib;
	/* dbt: --lockstep interp, each block checked against the decoded run. */
	bool lockstep;
	/* dbt: --perfmap, each translated block named in /tmp/perf-PID.map. */
	bool perfmap;
	/* dbt: which code it decodes as traces (--dbt-traces). */
	enum dbt_traces { DBT_TRACES_USER, DBT_TRACES_ALL, DBT_TRACES_OFF } dbt_traces;
	/* --stats: the counters will be read. dbt's translated code counts
	 * guest instructions only then (or with lockstep, which compares the
	 * count). */
	bool stats;
};

/* Counters for --stats. instructions is what every engine that can count them
 * reports (0: not counted); each engine adds its own as named ratios ("decode
 * cache hit" of so many "lookups"), summed over vCPUs by name. */
#define ENGINE_STATS_RATIOS 16
struct engine_ratio {
	const char *name; /* "TLB hit" */
	const char *of;	  /* what total counts: "accesses" */
	uint64_t hits, total;
};
struct engine_stats {
	uint64_t instructions;
	unsigned nratios;
	struct engine_ratio ratio[ENGINE_STATS_RATIOS];
};
/* Adds to the ratio of that name, or appends it (ignored once the table is full). */
void engine_stats_add_ratio(struct engine_stats *st, const char *name, const char *of, uint64_t hits, uint64_t total);

struct engine_ops {
	const char *name;
	const char *description;

	/* Mandatory. */
	/* 0 if this host can run the engine; else -1 and a reason in why. Cheap. */
	int (*probe)(char *why, size_t why_len);
	/* 0 if the engine can give a guest this CPU model on this host; else -1
	 * and a reason in why. Called only where probe succeeds. */
	int (*provides_model)(const struct cpu_model *model, char *why, size_t why_len);
	/* On failure returns -1 with a one-line reason in why (a configuration error). */
	int (*create)(const struct engine_env *env, struct engine **out, char *why, size_t why_len);
	void (*destroy)(struct engine *engine);
	int (*vcpu_create)(struct engine *engine, int index, struct engine_vcpu **out);
	void (*vcpu_destroy)(struct engine_vcpu *vcpu);
	/* Returns 0 with *exit filled, or -1 on an engine failure (reported as
	 * EXIT_INTERNAL_ERROR by the caller). Called on the vCPU's own thread. */
	int (*run)(struct engine_vcpu *vcpu, struct vm_exit *exit);
	int (*get_state)(struct engine_vcpu *vcpu, struct vcpu_state *state);
	int (*set_state)(struct engine_vcpu *vcpu, const struct vcpu_state *state);
	/* Make run() return EXIT_INTERRUPTED soon. Any thread; async-signal-safe. */
	void (*kick)(struct engine_vcpu *vcpu);

	/* Optional: NULL when the engine cannot do it. */
	/* Where probe succeeds: 0 if --engine auto should choose this engine on this
	 * host, else -1 with the reason (kvm where KVM cannot run guest kernel code in
	 * hardware). NULL: whenever probe succeeds. */
	int (*auto_choice)(char *why, size_t why_len);
	/* Nonzero when inject_interrupt() would succeed now (RFLAGS.IF set, no
	 * interrupt shadow, nothing already waiting), judged at the last exit. */
	int (*interrupt_ready)(struct engine_vcpu *vcpu);
	/* Deliver an external interrupt now; -1 if the guest cannot take it yet. */
	int (*inject_interrupt)(struct engine_vcpu *vcpu, uint8_t vector);
	/* Optional: make an NMI pending; the engine delivers it as soon as NMIs are
	 * not blocked (an NMI handler runs until IRET). NULL: the engine cannot, and
	 * the LAPIC keeps it pending. */
	int (*inject_nmi)(struct engine_vcpu *vcpu);
	/* Ask for EXIT_INTERRUPT_WINDOW when the guest can take an interrupt. */
	void (*request_interrupt_window)(struct engine_vcpu *vcpu, int on);
	/* The instruction at the vCPU's RIP in assembly syntax, for --trace: after an
	 * I/O, MMIO or hypercall exit, the instruction that exited. -1 if unreadable. */
	int (*disassemble)(struct engine_vcpu *vcpu, char *buf, size_t len);
	/* Add this vCPU's counters to *stats. */
	void (*stats)(struct engine_vcpu *vcpu, struct engine_stats *stats);
	/* The paravirtual clock (kvmclock) the vCPU reads: its system time now
	 * in ns (get_pvclock), or made to read ns now, its time record
	 * rewritten (set_pvclock), so that a restored guest's clock goes on
	 * from the saved one. On kvm it is the VM's one clock (KVM_GET_CLOCK,
	 * KVM_SET_CLOCK). 0, or -1 if the engine cannot. */
	int (*get_pvclock)(struct engine_vcpu *vcpu, uint64_t *ns);
	int (*set_pvclock)(struct engine_vcpu *vcpu, uint64_t ns);
	/* Dirty-page logging (vm/dirty_log.h), always on a paused VM. A
	 * software engine's vCPU marks the pages it writes in guest RAM's own
	 * log (guest_memory_mark_dirty) from its write slow path;
	 * forget_writable makes each page's next write come back to that path
	 * (a new round). kvm's guest stores are in KVM's log instead:
	 * dirty_log_start turns it on for every memory slot, dirty_log_collect
	 * ORs what it recorded into bitmap (vm/dirty_log.h's layout) and starts
	 * afresh, dirty_log_stop ends it. An engine with neither cannot log. */
	void (*forget_writable)(struct engine_vcpu *vcpu);
	int (*dirty_log_start)(struct engine *engine, char *why, size_t why_len);
	int (*dirty_log_collect)(struct engine *engine, uint64_t *bitmap, char *why, size_t why_len);
	void (*dirty_log_stop)(struct engine *engine);
};

/* The registry of engines, in order of preference for --engine auto. */
const struct engine_ops *const *engine_list(void);
const struct engine_ops *engine_find(const char *name);
/* The first engine, in order of preference, that is implemented, can run here
 * and suits --engine auto; NULL if none. *skipped lists the engines passed over
 * and why ("kvm: ...; dbt: ..."), "" if none. */
const struct engine_ops *engine_auto(char *skipped, size_t skipped_len);
/* The engines that are implemented and can run here (what `ringvisor engines`
 * calls available). */
bool engine_available(const struct engine_ops *e);
/* The CPU model of the highest psABI level that every available engine
 * provides: what a VM gets without --cpu, so that it sees the same CPU on
 * whichever engine runs it. The baseline if no level suits them all. */
const struct cpu_model *engine_default_model(void);

#endif
