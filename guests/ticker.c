/* snapcount's counter (guests/snapcount.c) run for 3,000 steps, about 30 s,
 * without the marker: a guest that prints "count N" every 10 ms and checks
 * its clocks at each step, for as long as the control socket's and
 * migration's tests (tests/integration/api_control.py) need one running,
 * paused, snapshotted and moved. A line lost or repeated, or a clock that
 * jumped or stalled, shows in its output. */
#define STEPS 3000
#define MARK_AFTER STEPS /* never: no marker line */
#include "snapcount.c"
