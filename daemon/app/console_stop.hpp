// mixscout app: stop requests that are not POSIX signals. On Windows one process cannot send
// another SIGTERM, and closing the console window, logging off or shutting down arrive as
// console control events; install_console_stop routes those to `stop` (called on the system's
// handler thread: it must only post work). Elsewhere it does nothing (SIGINT/SIGTERM cover it).
#pragma once
#include <functional>

namespace mixscout::app {

/// Until the returned guard is destroyed (one at a time).
class ConsoleStop {
public:
    explicit ConsoleStop(std::function<void()> stop);
    ~ConsoleStop();
    ConsoleStop(const ConsoleStop&) = delete;
    ConsoleStop& operator=(const ConsoleStop&) = delete;
};

}  // namespace mixscout::app
