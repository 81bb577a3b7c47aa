/* The subcommands of `ringvisor`, one file each, dispatched from main.c's table. */
#ifndef RV_COMMANDS_H
#define RV_COMMANDS_H

#define RINGVISOR_VERSION "0.1.0"

/* argv[0] is the subcommand's name. Each returns the process exit status. */
int cmd_run(int argc, char **argv);
int cmd_engines(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* One line on stderr naming a configuration problem; returns STATUS_CONFIG. */
int config_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
