// Runs the real build/mixscout binary: stdout, stderr, exit code and peak RSS (getrusage via
// wait4), with a deadline (the child is killed when it passes; the test then fails). Windows:
// support/process's Process (CreateProcessW), no peak RSS (max_rss_kb stays 0).
#pragma once
#ifdef _WIN32
#include "support/process.hpp"
#else
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <chrono>
#include <string>
#include <vector>

namespace mixscout::test {

struct CliResult {
    int exit_code = -1;       ///< 128 + signal when killed; -1 on timeout
    std::string out, err;
    long max_rss_kb = 0;
    bool timed_out = false;
};

#ifdef _WIN32
inline CliResult run_cli(const std::vector<std::string>& args, std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
    CliResult r;
    const char* bin = std::getenv("MIXSCOUT_BIN");
    Process p(bin && *bin ? bin : MIXSCOUT_BIN, args);
    const auto code = p.wait_exit(deadline);
    r.timed_out = !code;
    r.exit_code = code ? *code : -1;
    r.out = p.out();
    r.err = p.err();
    return r;
}
#else
inline CliResult run_cli(const std::vector<std::string>& args, std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
    CliResult r;
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return r;
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        std::vector<char*> argv;
        std::string bin = MIXSCOUT_BIN;
        argv.push_back(bin.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(bin.c_str(), argv.data());
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    const auto end = std::chrono::steady_clock::now() + deadline;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        if (poll(fds, 2, static_cast<int>(left.count())) < 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    int status = 0;
    rusage ru{};
    wait4(pid, &status, 0, &ru);
    r.max_rss_kb = ru.ru_maxrss;
    if (r.timed_out) r.exit_code = -1;
    else if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
    return r;
}
#endif

}  // namespace mixscout::test
