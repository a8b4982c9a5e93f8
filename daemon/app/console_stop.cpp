#include "app/console_stop.hpp"

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#ifndef NOMINMAX  // mingw's libstdc++ defines it already
#define NOMINMAX
#endif
#include <windows.h>

#include <mutex>
#endif

namespace mixscout::app {

#ifdef _WIN32
namespace {
std::mutex g_console_mutex;
std::function<void()> g_console_stop;

BOOL WINAPI on_console_event(DWORD event) {
    switch (event) {
        case CTRL_C_EVENT:
        case CTRL_BREAK_EVENT:
        case CTRL_CLOSE_EVENT:
        case CTRL_LOGOFF_EVENT:
        case CTRL_SHUTDOWN_EVENT: {
            std::lock_guard lock(g_console_mutex);
            if (!g_console_stop) return FALSE;
            g_console_stop();
            return TRUE;
        }
        default: return FALSE;
    }
}
}  // namespace

ConsoleStop::ConsoleStop(std::function<void()> stop) {
    {
        std::lock_guard lock(g_console_mutex);
        g_console_stop = std::move(stop);
    }
    ::SetConsoleCtrlHandler(on_console_event, TRUE);
}

ConsoleStop::~ConsoleStop() {
    ::SetConsoleCtrlHandler(on_console_event, FALSE);
    std::lock_guard lock(g_console_mutex);
    g_console_stop = nullptr;
}
#else
ConsoleStop::ConsoleStop(std::function<void()>) {}
ConsoleStop::~ConsoleStop() = default;
#endif

}  // namespace mixscout::app
