#pragma once
// Background threads (the log writer, the config watcher, the control-plane
// client's subscriber and stats reporter) share the cores of the I/O threads.
// At the I/O threads' priority a background thread that wakes preempts the
// I/O thread on its core at once (building a config snapshot takes about
// 0.6 ms of CPU; a log write to a busy disk can take milliseconds), and the
// requests in flight on that core wait for it. Lowered, it runs on the CPU the
// I/O threads leave idle: no later on an idle core, and no request waits
// behind it on a busy one.

#include <string_view>

namespace switchboard {

// The nice value a background thread runs at.
inline constexpr int kBackgroundNice = 10;

// The first call of every background thread: names the calling thread (`top
// -H` and `ps -L` show it; at most 15 bytes, as Linux keeps them) and lowers
// it, only it and not the process, to kBackgroundNice. A thread already at
// that nice value or lower in priority keeps its own: a data plane started at
// nice 15 is not raised. Lowering one's own priority needs no privilege; when
// it fails the thread runs as before.
void BecomeBackgroundThread(std::string_view name);

// The calling thread's nice value.
int ThreadNice();

}  // namespace switchboard
