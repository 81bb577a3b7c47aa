/* vm_run: start the I/O thread and the vCPU threads, then serve host input and
 * signals on the calling thread until the VM stops. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "host/stdio_console.h"
#include "host/terminal.h"
#include "log.h"
#include "vm/vcpu_loop.h"
#include "vm/vm.h"
#include "vm/vm_control.h"

/* Signals that stop the VM with status 128 + signal number, like a shell reports;
 * and SIGTSTP, which suspends it (suspend()). All arrive through a signalfd. */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };

struct input_state {
	struct console_input filter;
	uint8_t pending[256]; /* guest input the UART's FIFO could not take yet */
	size_t pending_len, pending_off;
	bool open;
};

/* Host input goes to hvc0 when there is a virtio console (the user asked for
 * it as the console), else to COM1. */
static size_t deliver_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	if (vm->virtio.console)
		return virtio_console_receive(vm->virtio.console, buf, len);
	return uart16550_receive(&vm->com1, buf, len);
}

/* Input waits while the VM is paused (vm_control.h). */
static void push_pending(struct vm *vm, struct input_state *in)
{
	if (!vm_control_input_begin(vm))
		return;
	in->pending_off += deliver_input(vm, in->pending + in->pending_off, in->pending_len - in->pending_off);
	vm_control_input_end(vm);
	if (in->pending_off == in->pending_len)
		in->pending_len = in->pending_off = 0;
}

static void read_stdin(struct vm *vm, struct input_state *in)
{
	uint8_t buf[sizeof(in->pending)];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		in->open = false; /* end of input: the guest just sees no more bytes */
		return;
	}
	in->pending_len = console_input_filter(&in->filter, buf, (size_t)n, in->pending);
	in->pending_off = 0;
	if (in->filter.quit)
		vm_request_stop(vm, STATUS_OK);
	push_pending(vm, in);
}

static int make_signalfd(sigset_t *set)
{
	sigemptyset(set);
	for (unsigned i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(set, stop_signals[i]);
	/* Blocked before any vCPU thread exists, so every thread inherits the mask and
	 * the signals arrive only through the descriptor. */
	pthread_sigmask(SIG_BLOCK, set, NULL);
	return signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* SIGTSTP (kill -TSTP, or a job-control stop sent from outside: in raw mode the
 * terminal sends Ctrl-Z to the guest): the user gets the terminal back as it was
 * while the whole process is stopped, and raw input again when it continues. */
static void suspend(struct input_state *in)
{
	bool was_raw = in->filter.escapes;

	terminal_restore();
	kill(getpid(), SIGSTOP); /* returns once SIGCONT has come */
	if (was_raw)
		in->filter.escapes = terminal_enter_raw(STDIN_FILENO);
}

static void serve(struct vm *vm, int sfd, struct input_state *in)
{
	while (!vm_stopping(vm)) {
		struct pollfd fds[3] = {
			{ .fd = vm->stop_fd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = in->open && !in->pending_len ? STDIN_FILENO : -1, .events = POLLIN },
		};
		/* While input waits for room in the FIFO, look again soon. */
		int timeout = in->pending_len ? 5 : -1;
		struct signalfd_siginfo si;

		if (poll(fds, 3, timeout) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			vm_request_stop(vm, STATUS_INTERNAL);
			break;
		}
		if (sfd >= 0 && (fds[1].revents & POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGTSTP)
				suspend(in);
			else
				vm_request_stop(vm, 128 + (int)si.ssi_signo);
		}
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
			read_stdin(vm, in);
		else if (in->pending_len)
			push_pending(vm, in);
	}
}

/* Started after the stop signals are blocked, so it inherits the mask. */
static void start_io_thread(struct vm *vm)
{
	int err = event_loop_start(&vm->io_thread);

	if (err) {
		log_error("cannot start the I/O thread: %s", strerror(err));
		vm_request_stop(vm, STATUS_INTERNAL);
	}
}

int vm_run(struct vm *vm)
{
	struct input_state in = { .open = true };
	sigset_t set;
	int sfd = make_signalfd(&set);
	int status;

	if (sfd < 0) {
		log_warn("signalfd: %s; signals will end ringvisor abruptly", strerror(errno));
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	}
	/* A console whose reader has gone is not a reason to end the VM
	 * (host/stdio_console.h): the write gets EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	in.filter.escapes = terminal_enter_raw(STDIN_FILENO);
	__atomic_store_n(&vm->start_ns, monotonic_ns(), __ATOMIC_RELEASE);
	if (platform_start(vm))
		vm_request_stop(vm, STATUS_INTERNAL);
	start_io_thread(vm);
	for (int i = 0; i < vm->nvcpus; i++) {
		int err;

		vm_control_thread_begin(vm);
		err = pthread_create(&vm->vcpus[i].thread, NULL, vm_vcpu_thread, &vm->vcpus[i]);
		if (err) {
			vm_control_thread_end(vm);
			log_error("cannot start vCPU thread: %s", strerror(err));
			vm_request_stop(vm, STATUS_INTERNAL);
			break;
		}
		vm->vcpus[i].thread_started = true;
	}
	serve(vm, sfd, &in);
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
	/* After the vCPUs: none can hand the I/O thread work any more. */
	event_loop_stop(&vm->io_thread);
	platform_stop(vm);
	terminal_restore();
	if (sfd >= 0)
		close(sfd);
	pthread_mutex_lock(&vm->stop_lock);
	status = vm->exit_status;
	pthread_mutex_unlock(&vm->stop_lock);
	return status;
}
