/* The PC platform as QEMU test kernels use it: a Multiboot kernel that reads
 * QEMU's fw_cfg, takes IRQ 0 from the 8254 through the 8259A pair, then runs
 * the local APIC timer. Written as such kernels are written, with QEMU as the
 * reference:
 *   qemu-system-x86_64 -accel tcg -M pc -m 64M -kernel build/guests/qemuplat.elf
 *       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -display none
 *       -serial stdio -no-reboot
 * prints tests/guests/qemuplat.stdout and ends with status 1 (QEMU 7.2).
 * Ringvisor runs it with tests/guests/qemuplat.args (--mem 64M, one vCPU).
 *
 * Only what both must agree on is printed: PASS lines, and the CPU count and
 * RAM size, which the command line fixes. Rates differ (QEMU's APIC timer
 * runs at 1 GHz; Ringvisor's need not), so the APIC timer is only checked to
 * run at 1 MHz to 10 GHz against the 8254, and no rate is printed.
 *
 * Facts: QEMU's docs/specs/fw_cfg.rst; the Intel 8259A and 8254 data sheets;
 * the Intel SDM vol. 3A, chapter "Advanced Programmable Interrupt Controller
 * (APIC)" (register map, LVT, version register, timer, EOI, SVR) and vol. 2A
 * (CPUID leaf 1). Waits are bounded by the 8254's counter 2 (and a spin
 * limit), so a missing device ends in a FAIL line, not a hang. */
#include <stdbool.h>
#include <stdint.h>

#include "io.h"
#include "kernel32.h"
#include "sysreg.h"
#include "test.h"

#define MIB (1024ull * 1024)
#define RAM_BYTES (64 * MIB) /* --mem 64M, -m 64M */
#define NCPUS 1

/* fw_cfg, the traditional interface (fw_cfg.rst, "Register Locations"). */
#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_RAM_SIZE 0x0003 /* u64 little-endian */
#define FW_CFG_NB_CPUS 0x0005  /* u16 little-endian */
#define FW_CFG_ID_TRADITIONAL 0x1

/* 8259A pair, remapped as Linux does. */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI 0x20	  /* OCW2: non-specific EOI */
#define PIC_READ_ISR 0x0b /* OCW3 */
#define VEC_IRQ0 0x20
#define VEC_IRQ7 0x27  /* the master's spurious vector */
#define VEC_IRQ15 0x2f /* the slave's */

/* 8254: counter 0 drives IRQ 0; counter 2 is gated by port 0x61 bit 0 and its
 * OUT is read at bit 5. */
#define PIT_HZ 1193182ull
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CTRL 0x43
#define PIT_CH0_MODE2 0x34 /* counter 0, LSB then MSB, mode 2, binary */
#define PIT_CH2_MODE0 0xb0 /* counter 2, LSB then MSB, mode 0, binary */
#define PIT_1KHZ 1193	   /* 1193182 / 1193 = 1000.15 Hz */
#define PORT61 0x61
#define P61_GATE2 0x01
#define P61_SPEAKER 0x02
#define P61_KEEP 0x0c /* parity and channel check enables: left as found */
#define P61_OUT2 0x20
#define PIT_50MS 59659 /* 50 ms of input clocks */
#define PIT_10MS 11932
#define PIT_1MS 1193

/* Local APIC (SDM vol. 3A, "Local APIC Register Address Map"). */
#define APIC_BASE 0xfee00000u
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1u << 11)
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_EOI 0x0b0
#define APIC_SVR 0x0f0
#define APIC_ISR0 0x100 /* ISR bits 32n..32n+31 at APIC_ISR0 + 0x10 * n */
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0
#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define DIVIDE_BY_1 0xb
#define VEC_APIC_TIMER 0x40
#define VEC_APIC_SPURIOUS 0xff
#define CPUID1_EDX_APIC (1u << 9)

#define TICKS 5
#define WAIT_ROUNDS 40		   /* 2 s in 50 ms rounds of counter 2 */
#define SPIN_LIMIT 200000000u	   /* if counter 2 never ends a round */
#define RATE_MIN_HZ 1000000ull	   /* 1 MHz */
#define RATE_MAX_HZ 10000000000ull /* 10 GHz */

static volatile unsigned int pit_ticks, apic_ticks;

static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static uint32_t cpuid1_edx(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return d;
}

/* --- fw_cfg ---------------------------------------------------------------- */

/* Selects key and reads n bytes (n <= 8) as a little-endian number. */
static uint64_t fw_cfg_read(uint16_t key, unsigned int n)
{
	uint64_t v = 0;

	outw(FW_CFG_SEL, key);
	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)inb(FW_CFG_DATA) << (8 * i);
	return v;
}

static void check_fw_cfg(void)
{
	char sig[5];
	uint64_t ram;
	unsigned int ncpus;

	outw(FW_CFG_SEL, FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++) {
		uint8_t c = inb(FW_CFG_DATA);

		sig[i] = c >= ' ' && c <= '~' ? (char)c : '?';
	}
	sig[4] = '\0';
	printf("fw_cfg signature: %s\n", sig);
	expect_eq("fw_cfg signature is QEMU", sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U', 1);
	/* Bit 0 "always set"; bit 1 (DMA) is QEMU's and not looked at. */
	expect_eq("fw_cfg ID has the traditional interface bit", fw_cfg_read(FW_CFG_ID, 4) & FW_CFG_ID_TRADITIONAL,
		  FW_CFG_ID_TRADITIONAL);
	ncpus = (unsigned int)fw_cfg_read(FW_CFG_NB_CPUS, 2);
	ram = fw_cfg_read(FW_CFG_RAM_SIZE, 8);
	printf("fw_cfg: %u CPU(s), %u MiB of RAM\n", ncpus, (unsigned int)(ram >> 20));
	expect_eq("fw_cfg CPU count is 1", ncpus, NCPUS);
	expect_eq("fw_cfg RAM size is 64 MiB", ram, RAM_BYTES);
}

/* --- 8254 counter 2 as a stopwatch ----------------------------------------- */

/* Mode 0 with the gate low: the count is loaded, and counting waits for the
 * gate to rise; OUT2 goes low at the control word and high at terminal
 * count (8254 data sheet, mode 0). */
static void pit2_arm(uint16_t count)
{
	outb(PORT61, inb(PORT61) & P61_KEEP);
	outb(PIT_CTRL, PIT_CH2_MODE0);
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
}

static void pit2_start(void)
{
	outb(PORT61, (inb(PORT61) & P61_KEEP) | P61_GATE2);
}

static bool pit2_done(void)
{
	return inb(PORT61) & P61_OUT2;
}

/* Runs counter 2 once from count; false if it did not finish within the spin
 * limit. */
static bool pit2_wait(uint16_t count)
{
	pit2_arm(count);
	pit2_start();
	for (uint32_t spins = 0; spins < SPIN_LIMIT; spins++)
		if (pit2_done())
			return true;
	return false;
}

/* An interrupt accepted before its source was masked is still delivered once
 * interrupts are enabled: lets such a one in (1 ms with interrupts enabled),
 * then returns *count. */
static unsigned int drain_interrupts(volatile unsigned int *count)
{
	sti();
	pit2_wait(PIT_1MS);
	cli();
	return *count;
}

/* With interrupts enabled, waits until *count reaches want or about 2 s
 * have passed. */
static bool wait_ticks(volatile unsigned int *count, unsigned int want)
{
	unsigned int rounds = 0;
	uint32_t spins = 0;

	pit2_arm(PIT_50MS);
	pit2_start();
	sti();
	while (*count < want && rounds < WAIT_ROUNDS && spins++ < SPIN_LIMIT) {
		if (pit2_done()) {
			rounds++;
			pit2_arm(PIT_50MS);
			pit2_start();
		}
	}
	cli();
	return *count >= want;
}

/* --- 8259A and 8254 counter 0 ---------------------------------------------- */

static void on_irq0(struct trap_frame *f)
{
	(void)f;
	pit_ticks++;
	outb(PIC1_CMD, PIC_EOI);
}

/* Spurious interrupts (8259A default IR7, APIC spurious vector) are not
 * counted as failures: either platform may produce them. The slave's IR7
 * still holds the master's IR2 in service, which needs its EOI. */
static void on_spurious(struct trap_frame *f)
{
	if (f->vector == VEC_IRQ15)
		outb(PIC1_CMD, PIC_EOI);
}

static void pic_init(void)
{
	/* ICW1: edge, cascade, ICW4 follows; ICW2: vector bases 0x20/0x28;
	 * ICW3: slave on IR2 / slave identity 2; ICW4: 8086 mode. */
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, VEC_IRQ0);
	outb(PIC2_DATA, VEC_IRQ0 + 8);
	outb(PIC1_DATA, 0x04);
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xfe); /* IRQ 0 only */
	outb(PIC2_DATA, 0xff);
}

static void check_pic_pit(void)
{
	pic_init();
	outb(PIT_CTRL, PIT_CH0_MODE2);
	outb(PIT_CH0, PIT_1KHZ & 0xff);
	outb(PIT_CH0, PIT_1KHZ >> 8);
	if (wait_ticks(&pit_ticks, TICKS))
		pass("8254 counter 0: 5 IRQ 0 interrupts at vector 0x20 through the 8259A");
	else
		fail("8254 counter 0: 5 IRQ 0 interrupts at vector 0x20 through the 8259A", "%u in 2 s", pit_ticks);
	outb(PIC1_CMD, PIC_READ_ISR);
	expect_eq("EOI leaves the 8259A in-service register empty", inb(PIC1_CMD), 0);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

/* --- local APIC ------------------------------------------------------------ */

static uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(APIC_BASE + reg);
}

static void apic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(APIC_BASE + reg) = v;
}

static void on_apic_timer(struct trap_frame *f)
{
	(void)f;
	apic_ticks++;
	apic_write(APIC_EOI, 0);
}

static void check_apic_presence(void)
{
	uint32_t base_lo = 0;
	bool faulted;

	expect_eq("CPUID reports an on-chip local APIC", !!(cpuid1_edx() & CPUID1_EDX_APIC), 1);
	trap_clear();
	__asm__ volatile(TRAP_RESUME_AT_1F "rdmsr\n1:" : "+a"(base_lo) : "c"(MSR_APIC_BASE) : "edx", "memory");
	faulted = trap_last.count != 0;
	trap_clear();
	if (faulted)
		fail("IA32_APIC_BASE: enabled, at 0xfee00000", "RDMSR 0x1b faulted");
	else if ((base_lo & 0xfffff000u) == APIC_BASE && (base_lo & APIC_BASE_ENABLE))
		pass("IA32_APIC_BASE: enabled, at 0xfee00000");
	else
		fail("IA32_APIC_BASE: enabled, at 0xfee00000", "low half 0x%x", base_lo);
}

static void check_apic_registers(void)
{
	uint32_t version, svr_off, svr_on;

	/* SVR bit 8 is the software enable; read back both ways, so that a
	 * missing APIC (all ones) does not pass. */
	apic_write(APIC_SVR, VEC_APIC_SPURIOUS);
	svr_off = apic_read(APIC_SVR);
	apic_write(APIC_SVR, SVR_ENABLE | VEC_APIC_SPURIOUS);
	svr_on = apic_read(APIC_SVR);
	apic_write(APIC_TPR, 0);
	if (!(svr_off & SVR_ENABLE) && (svr_on & SVR_ENABLE))
		pass("SVR bit 8 software-disables and enables the local APIC");
	else
		fail("SVR bit 8 software-disables and enables the local APIC", "SVR read 0x%x, then 0x%x", svr_off,
		     svr_on);
	/* Version register: bits 7-0 the version, 0x10-0x15 for an integrated
	 * APIC; bits 23-16 the number of LVT entries minus 1 (4 on P6, 5 on
	 * Pentium 4 and later). */
	version = apic_read(APIC_VERSION);
	expect_eq("local APIC version is that of an integrated APIC (0x10-0x15)",
		  (version & 0xff) >= 0x10 && (version & 0xff) <= 0x15, 1);
	expect_eq("local APIC has at least 5 LVT entries", ((version >> 16) & 0xff) >= 4, 1);
}

/* APIC timer ticks (divide by 1, so bus clocks) while counter 2 counts
 * PIT_10MS input clocks, or 0 if counter 2 did not finish. */
static uint32_t apic_ticks_in_10ms(void)
{
	uint32_t current;
	bool done;

	apic_write(APIC_TIMER_DIVIDE, DIVIDE_BY_1);
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_APIC_TIMER); /* one-shot */
	pit2_arm(PIT_10MS);
	apic_write(APIC_TIMER_INITIAL, 0xffffffffu);
	pit2_start();
	done = false;
	for (uint32_t spins = 0; spins < SPIN_LIMIT && !done; spins++)
		done = pit2_done();
	current = apic_read(APIC_TIMER_CURRENT);
	apic_write(APIC_TIMER_INITIAL, 0);
	return done ? 0xffffffffu - current : 0;
}

/* Rate = ticks * PIT_HZ / PIT_10MS, compared without a 64-bit division. */
static bool rate_plausible(uint32_t ticks)
{
	uint64_t scaled = (uint64_t)ticks * PIT_HZ;

	return scaled >= RATE_MIN_HZ * PIT_10MS && scaled <= RATE_MAX_HZ * PIT_10MS;
}

static void check_apic_timer(void)
{
	uint32_t ticks = apic_ticks_in_10ms(), period;
	unsigned int seen;

	if (rate_plausible(ticks))
		pass("local APIC timer runs at 1 MHz to 10 GHz against the 8254");
	else
		fail("local APIC timer runs at 1 MHz to 10 GHz against the 8254", "%u ticks in 10 ms", ticks);
	/* About 1 ms per period at the measured rate. */
	period = rate_plausible(ticks) ? ticks / 10 : 100000;
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | VEC_APIC_TIMER);
	apic_write(APIC_TIMER_INITIAL, period);
	if (wait_ticks(&apic_ticks, TICKS))
		pass("periodic local APIC timer: 5 interrupts at vector 0x40 from one initial count");
	else
		fail("periodic local APIC timer: 5 interrupts at vector 0x40 from one initial count", "%u in 2 s",
		     apic_ticks);
	/* Masked, the timer goes on counting but raises nothing (SDM: the mask
	 * "inhibits reception of the interrupt"). */
	apic_write(APIC_LVT_TIMER, LVT_MASKED | LVT_PERIODIC | VEC_APIC_TIMER);
	seen = drain_interrupts(&apic_ticks);
	sti();
	pit2_wait(PIT_50MS);
	cli();
	expect_eq("a masked LVT timer raises no interrupt", apic_ticks, seen);
	apic_write(APIC_TIMER_INITIAL, 0);
	/* Vector 0x40 is bit 0 of the ISR's third word. */
	expect_eq("EOI clears vector 0x40 from the local APIC in-service register",
		  apic_read(APIC_ISR0 + 0x10 * (VEC_APIC_TIMER / 32)) & (1u << (VEC_APIC_TIMER % 32)), 0);
}

int main(void)
{
	unsigned int pit_seen;

	printf("QEMU platform tests: fw_cfg, 8259A, 8254, local APIC\n");
	kernel32_init();
	trap_set_handler(VEC_IRQ0, on_irq0);
	trap_set_handler(VEC_IRQ7, on_spurious);
	trap_set_handler(VEC_IRQ15, on_spurious);
	trap_set_handler(VEC_APIC_TIMER, on_apic_timer);
	trap_set_handler(VEC_APIC_SPURIOUS, on_spurious);
	check_fw_cfg();
	check_pic_pit();
	pit_seen = drain_interrupts(&pit_ticks);
	check_apic_presence();
	check_apic_registers();
	check_apic_timer();
	/* Counter 0 still runs at 1 kHz behind the mask. */
	expect_eq("the masked 8259A passed no IRQ 0 while the local APIC ran", pit_ticks, pit_seen);
	test_done();
}
