/* guests/migidle.c writing 64 MiB over and over between its counts: the
 * live-migration benchmark's guest that keeps dirtying memory. */
#define DIRTY_MIB 64
#include "migidle.c"
