// Test support: real child processes with deadlines (fork/execve on POSIX, CreateProcessW on
// Windows), and liblo's oscdump/oscsend as an independent OSC receiver and encoder. Windows has
// no liblo tools: there an in-process receiver and encoder built on oscpack stand in (the same
// library as the daemon's, so less independent; the Linux legs keep liblo).
//
// Nothing here sleeps to synchronise: every wait polls (or waits on) a condition until a
// deadline and reports whether it came true, so a test fails with a message instead of hanging.
#pragma once
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mixscout::test {

using std::chrono::milliseconds;

/// Polls cond every `poll` until it is true (-> true) or the deadline passes (-> false).
bool wait_until(const std::function<bool()>& cond, milliseconds deadline, milliseconds poll = milliseconds(10));

/// A UDP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int free_udp_port();

/// Sends raw bytes as one UDP datagram to 127.0.0.1:port (malformed-packet tests).
void send_udp(int port, const std::vector<char>& bytes);

/// Packet bytes as liblo's oscsend encodes them (its "file://" URL): an independent encoder.
/// Windows: oscpack's encoder. Types i h f d s T F N.
std::vector<char> liblo_packet(const std::string& address, const std::string& types, const std::vector<std::string>& values);

/// A UDP socket bound to 127.0.0.1 for as long as it lives, so every datagram leaves from the
/// same port: a device proven by its hello sends its later requests from the same socket.
class UdpClient {
public:
    UdpClient();
    ~UdpClient();
    UdpClient(const UdpClient&) = delete;
    UdpClient& operator=(const UdpClient&) = delete;
    int port() const { return port_; }
    void send(int to_port, const std::vector<char>& bytes) const;
    /// liblo_packet(...) sent to 127.0.0.1:to_port.
    void send(int to_port, const std::string& address, const std::string& types, const std::vector<std::string>& values) const {
        send(to_port, liblo_packet(address, types, values));
    }

private:
    struct Socket;
    std::unique_ptr<Socket> socket_;
    int port_ = 0;
};

/// The daemon's OSC token for a daemon run with XDG_CONFIG_HOME=config_home: the first line of
/// <config_home>/mixscout/osc-token ("" if there is none).
std::string read_osc_token(const std::filesystem::path& config_home);

/// A child process: program + args, extra environment "NAME=value", stdout and stderr captured
/// by reader threads. The destructor kills it (SIGKILL; Windows: TerminateProcess) if it still
/// runs and reaps it.
class Process {
public:
    Process(const std::string& program, const std::vector<std::string>& args,
            const std::vector<std::string>& extra_env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    /// Everything the child wrote so far.
    std::string out() const;
    std::string err() const;
    /// Waits until pred(stdout or stderr text so far) holds; false at the deadline or when the
    /// child exited without it holding.
    bool wait_for_out(const std::function<bool(const std::string&)>& pred, milliseconds deadline);
    bool wait_for_err(const std::function<bool(const std::string&)>& pred, milliseconds deadline);
    /// The first line of stderr containing `needle` (waits for it), or nullopt.
    std::optional<std::string> wait_for_err_line(const std::string& needle, milliseconds deadline);
    /// How many times `needle` occurs in stderr so far.
    std::size_t count_in_err(const std::string& needle) const;

    /// POSIX: kill(pid, signo). Windows: SIGINT/SIGTERM become a CTRL_BREAK_EVENT to the child's
    /// process group (what Ctrl+Break in its console sends; the daemon's console stop handles
    /// it), anything else TerminateProcess with exit code 128+signo.
    void signal(int signo);
    /// Waits for the child to exit and for its output to be read to the end; its exit code
    /// (128+signal when killed), or nullopt at the deadline.
    std::optional<int> wait_exit(milliseconds deadline);
    bool running();

private:
    struct Shared;
    std::shared_ptr<Shared> shared_;
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
    std::thread out_reader_, err_reader_;
#ifdef _WIN32
    void* handle_ = nullptr;  ///< the process HANDLE
#endif
    bool wait_for(bool err, const std::function<bool(const std::string&)>& pred, milliseconds deadline);
};

/// The program's path if it is on PATH (Windows: also NAME.exe), else empty.
std::string find_program(const std::string& name);

/// At the top of a test body: skips the test, saying so, when a tool it needs (an independent
/// oracle such as ffmpeg, or python3, sqlite3) is not installed. Linux CI installs them all.
#define MIXSCOUT_NEEDS_PROGRAM(name)                                    \
    if (::mixscout::test::find_program(name).empty())                   \
    GTEST_SKIP() << name << " is not installed (not on PATH): this test needs it"

/// Runs a command to completion (deadline 10 s) and returns its exit code (-1 on timeout).
int run_command(const std::string& program, const std::vector<std::string>& args, std::string* output = nullptr);

/// One run of the real mixscout binary ($MIXSCOUT_BIN, else the build's) to its end, within 60 s:
/// the CLI tests' one way to run it (tests/support/cli_run.hpp adds peak RSS, POSIX only).
struct MixscoutRun {
    int code = -1;  ///< -1: it did not exit in time
    std::string out, err;
};
MixscoutRun run_mixscout(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {});
/// stdout as JSON; when it is not, a test failure showing stdout and stderr, and null.
nlohmann::json stdout_json(const MixscoutRun& r);

/// One line of `oscdump -L` ("eeacd4af.ea90abb3 /mixscout/export ssi "/x.wav" "x" 1"), parsed.
struct DumpedMessage {
    double time_s = 0.0;          ///< oscdump's timetag (receive time when not bundled), Unix seconds
    std::string address;
    std::string types;
    std::vector<std::string> args;  ///< strings without quotes; numbers as printed
    std::string line;
};

/// Parses one oscdump line; nullopt if it is not a message line.
std::optional<DumpedMessage> parse_oscdump_line(const std::string& line);

/// `oscdump -L <port>` on a free port, started and confirmed listening (a probe message is sent
/// until it shows up). Messages are collected as they arrive. Windows: an in-process receiver
/// (oscpack's decoder) on a free port, giving the same DumpedMessage values oscdump prints.
class OscDump {
public:
    OscDump();
    ~OscDump();
    OscDump(const OscDump&) = delete;
    OscDump& operator=(const OscDump&) = delete;
    int port() const { return port_; }
    /// Every message so far (the start-up probes excluded).
    std::vector<DumpedMessage> messages() const;
    std::vector<DumpedMessage> with_address(const std::string& address) const;
    /// Waits until at least `count` messages with `address` arrived.
    bool wait_for(const std::string& address, std::size_t count, milliseconds deadline);
    bool wait_for(const std::function<bool(const std::vector<DumpedMessage>&)>& pred, milliseconds deadline);

private:
    struct Receiver;
    std::unique_ptr<Receiver> receiver_;
    int port_ = 0;
};

/// `oscsend 127.0.0.1 <port> <address> <types> <values...>`; true when oscsend succeeded.
/// Windows: liblo_packet(...) sent from a fresh socket (true).
bool oscsend(int port, const std::string& address, const std::string& types, const std::vector<std::string>& values);

/// `mixscout daemon` as a child: MIXSCOUT_BIN with `args`, started and waited for until it
/// prints its "listening on HOST:PORT" line (deadline 10 s).
class DaemonProcess {
public:
    explicit DaemonProcess(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {});
    Process& process() { return *process_; }
    /// The UDP port it listens on (from its start-up line).
    int port() const { return port_; }
    bool started() const { return port_ > 0; }

private:
    std::unique_ptr<Process> process_;
    int port_ = 0;
};

}  // namespace mixscout::test
