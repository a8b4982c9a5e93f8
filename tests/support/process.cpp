#include "support/process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <stdexcept>

extern char** environ;

namespace mixscout::test {

bool wait_until(const std::function<bool()>& cond, milliseconds deadline, milliseconds poll) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (true) {
        if (cond()) return true;
        if (std::chrono::steady_clock::now() >= end) return false;
        std::this_thread::sleep_for(poll);  // polling interval, not synchronisation
    }
}

int free_udp_port() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("bind failed");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

void send_udp(int port, const std::vector<char>& bytes) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(fd);
}

std::vector<char> liblo_packet(const std::string& address, const std::string& types, const std::vector<std::string>& values) {
    char dir_template[] = "/tmp/mixscout-packet-XXXXXX";
    if (!::mkdtemp(dir_template)) throw std::runtime_error("mkdtemp failed");
    const std::filesystem::path dir = dir_template, file = dir / "packet.osc";
    std::vector<std::string> args{"file://" + file.string(), address, types};
    args.insert(args.end(), values.begin(), values.end());
    const int rc = run_command("/usr/bin/oscsend", args);
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (rc != 0) throw std::runtime_error("oscsend could not encode " + address);
    return bytes;
}

UdpClient::UdpClient() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd_);
        throw std::runtime_error("bind failed");
    }
    port_ = ntohs(a.sin_port);
}

UdpClient::~UdpClient() { ::close(fd_); }

void UdpClient::send(int to_port, const std::vector<char>& bytes) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(to_port));
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

std::string read_osc_token(const std::filesystem::path& config_home) {
    std::ifstream in(config_home / "mixscout" / "osc-token");
    std::string line;
    std::getline(in, line);
    return line;
}

// ---- Process ----------------------------------------------------------------------------------

struct Process::Shared {
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::string out, err;
    bool out_closed = false, err_closed = false;
};

namespace {
void read_into(int fd, std::shared_ptr<void> keep, std::string* text, bool* closed, std::mutex* m,
               std::condition_variable* cv) {
    char buf[4096];
    while (true) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        std::lock_guard lock(*m);
        if (n <= 0) {
            *closed = true;
            cv->notify_all();
            break;
        }
        text->append(buf, static_cast<std::size_t>(n));
        cv->notify_all();
    }
    ::close(fd);
    (void)keep;
}
}  // namespace

Process::Process(const std::string& program, const std::vector<std::string>& args,
                 const std::vector<std::string>& extra_env)
    : shared_(std::make_shared<Shared>()) {
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::execve(program.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    auto s = shared_;
    out_reader_ = std::thread(read_into, out_pipe[0], s, &s->out, &s->out_closed, &s->mutex, &s->changed);
    err_reader_ = std::thread(read_into, err_pipe[0], s, &s->err, &s->err_closed, &s->mutex, &s->changed);
}

Process::~Process() {
    if (!exit_code_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (out_reader_.joinable()) out_reader_.join();
    if (err_reader_.joinable()) err_reader_.join();
}

std::string Process::out() const {
    std::lock_guard lock(shared_->mutex);
    return shared_->out;
}
std::string Process::err() const {
    std::lock_guard lock(shared_->mutex);
    return shared_->err;
}

bool Process::wait_for(bool err, const std::function<bool(const std::string&)>& pred, milliseconds deadline) {
    std::unique_lock lock(shared_->mutex);
    return shared_->changed.wait_for(lock, deadline, [&] {
        const std::string& text = err ? shared_->err : shared_->out;
        return pred(text) || (err ? shared_->err_closed : shared_->out_closed);
    }) && pred(err ? shared_->err : shared_->out);
}

bool Process::wait_for_out(const std::function<bool(const std::string&)>& pred, milliseconds deadline) {
    return wait_for(false, pred, deadline);
}
bool Process::wait_for_err(const std::function<bool(const std::string&)>& pred, milliseconds deadline) {
    return wait_for(true, pred, deadline);
}

std::optional<std::string> Process::wait_for_err_line(const std::string& needle, milliseconds deadline) {
    auto has_line = [&](const std::string& t) {
        const auto at = t.find(needle);
        return at != std::string::npos && t.find('\n', at) != std::string::npos;
    };
    if (!wait_for_err(has_line, deadline)) return std::nullopt;
    const std::string t = err();
    const auto at = t.find(needle);
    const auto begin = t.rfind('\n', at);
    const auto end = t.find('\n', at);
    return t.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1));
}

std::size_t Process::count_in_err(const std::string& needle) const {
    const std::string t = err();
    std::size_t n = 0;
    for (auto at = t.find(needle); at != std::string::npos; at = t.find(needle, at + needle.size())) ++n;
    return n;
}

void Process::signal(int signo) {
    if (!exit_code_ && pid_ > 0) ::kill(pid_, signo);
}

std::optional<int> Process::wait_exit(milliseconds deadline) {
    if (exit_code_) return exit_code_;
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (true) {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            // Everything it wrote is read before out()/err() are asked: the reader threads may lag
            // behind the exit on a loaded machine (a test then counted 7 of 8 log lines).
            std::unique_lock lock(shared_->mutex);
            shared_->changed.wait_for(lock, milliseconds(5000), [&] { return shared_->out_closed && shared_->err_closed; });
            return exit_code_;
        }
        if (std::chrono::steady_clock::now() >= end) return std::nullopt;
        std::this_thread::sleep_for(milliseconds(5));  // polling interval
    }
}

bool Process::running() { return !wait_exit(milliseconds(0)).has_value(); }

std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (!path) return "";
#ifdef _WIN32
    const char sep = ';';
    const std::vector<std::string> suffixes{"", ".exe"};
#else
    const char sep = ':';
    const std::vector<std::string> suffixes{""};
#endif
    std::string dirs = path;
    for (std::size_t begin = 0; begin <= dirs.size();) {
        std::size_t end = dirs.find(sep, begin);
        if (end == std::string::npos) end = dirs.size();
        const std::string dir = dirs.substr(begin, end - begin);
        for (const auto& suffix : suffixes) {
            std::error_code ec;
            const std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / (name + suffix);
            if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
        }
        begin = end + 1;
    }
    return "";
}

int run_command(const std::string& program, const std::vector<std::string>& args, std::string* output) {
    Process p(program, args);
    const auto code = p.wait_exit(milliseconds(10000));
    if (output) {
        p.wait_for_out([](const std::string&) { return false; }, milliseconds(1000));  // until EOF
        *output = p.out() + p.err();
    }
    return code ? *code : -1;
}

// ---- oscdump ----------------------------------------------------------------------------------

std::optional<DumpedMessage> parse_oscdump_line(const std::string& line) {
    static const std::regex head(R"(^([0-9a-f]{8})\.([0-9a-f]{8}) (/\S*) ?(\S*) ?(.*)$)");
    std::smatch m;
    if (!std::regex_match(line, m, head)) return std::nullopt;
    DumpedMessage d;
    d.line = line;
    // NTP timetag: seconds since 1900 + 32-bit fraction.
    d.time_s = static_cast<double>(std::stoul(m[1].str(), nullptr, 16)) - 2208988800.0 +
               static_cast<double>(std::stoul(m[2].str(), nullptr, 16)) / 4294967296.0;
    d.address = m[3].str();
    d.types = m[4].str();
    std::string rest = m[5].str();
    std::size_t pos = 0;
    for (std::size_t i = 0; i < d.types.size(); ++i) {
        const bool last = i + 1 == d.types.size();
        if (d.types[i] == 's') {
            if (pos >= rest.size() || rest[pos] != '"') return std::nullopt;
            const std::size_t end = last ? rest.rfind('"') : rest.find("\" ", pos + 1);
            if (end == std::string::npos || end <= pos) return std::nullopt;
            d.args.push_back(rest.substr(pos + 1, end - pos - 1));
            pos = end + 2;
        } else {
            const std::size_t end = rest.find(' ', pos);
            d.args.push_back(rest.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
            pos = end == std::string::npos ? rest.size() : end + 1;
        }
    }
    return d;
}

namespace {
std::vector<DumpedMessage> parse_all(const std::string& text) {
    std::vector<DumpedMessage> out;
    std::size_t begin = 0;
    for (std::size_t end = text.find('\n'); end != std::string::npos; begin = end + 1, end = text.find('\n', begin)) {
        auto m = parse_oscdump_line(text.substr(begin, end - begin));
        if (m && m->address != "/oscdump/probe") out.push_back(std::move(*m));
    }
    return out;
}

/// A minimal OSC message with no arguments: "/oscdump/probe\0\0" ",\0\0\0".
std::vector<char> probe_packet() {
    std::vector<char> p(16 + 4, '\0');
    std::memcpy(p.data(), "/oscdump/probe", 14);
    p[16] = ',';
    return p;
}
}  // namespace

OscDump::OscDump() {
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_udp_port();
        process_ = std::make_unique<Process>("/usr/bin/oscdump", std::vector<std::string>{"-L", std::to_string(port_)});
        // Listening once a probe comes back out; gone if the port was taken meanwhile.
        const bool up = wait_until(
            [&] {
                if (!process_->running()) return true;
                send_udp(port_, probe_packet());
                return process_->out().find("/oscdump/probe") != std::string::npos;
            },
            milliseconds(5000), milliseconds(20));
        if (up && process_->running()) return;
    }
    throw std::runtime_error("oscdump did not start");
}

std::vector<DumpedMessage> OscDump::messages() const { return parse_all(process_->out()); }

std::vector<DumpedMessage> OscDump::with_address(const std::string& address) const {
    std::vector<DumpedMessage> out;
    for (auto& m : messages())
        if (m.address == address) out.push_back(m);
    return out;
}

bool OscDump::wait_for(const std::string& address, std::size_t count, milliseconds deadline) {
    return wait_for([&](const std::vector<DumpedMessage>& ms) {
        return static_cast<std::size_t>(std::count_if(ms.begin(), ms.end(), [&](const DumpedMessage& m) {
                   return m.address == address;
               })) >= count;
    }, deadline);
}

bool OscDump::wait_for(const std::function<bool(const std::vector<DumpedMessage>&)>& pred, milliseconds deadline) {
    return process_->wait_for_out([&](const std::string& text) { return pred(parse_all(text)); }, deadline);
}

bool oscsend(int port, const std::string& address, const std::string& types, const std::vector<std::string>& values) {
    std::vector<std::string> args{"127.0.0.1", std::to_string(port), address, types};
    args.insert(args.end(), values.begin(), values.end());
    return run_command("/usr/bin/oscsend", args) == 0;
}

MixscoutRun run_mixscout(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
    const char* bin = std::getenv("MIXSCOUT_BIN");
    Process p(bin && *bin ? bin : MIXSCOUT_BIN, args, extra_env);
    MixscoutRun r;
    const auto code = p.wait_exit(milliseconds(60000));
    r.code = code ? *code : -1;
    // Until the readers saw EOF on both pipes (the predicate never holds; it returns at EOF).
    p.wait_for_out([](const std::string&) { return false; }, milliseconds(2000));
    p.wait_for_err([](const std::string&) { return false; }, milliseconds(2000));
    r.out = p.out();
    r.err = p.err();
    return r;
}

nlohmann::json stdout_json(const MixscoutRun& r) {
    try {
        return nlohmann::json::parse(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not JSON: " << e.what() << "\nstdout: " << r.out.substr(0, 400) << "\nstderr: " << r.err;
        return {};
    }
}

// ---- the daemon -------------------------------------------------------------------------------

DaemonProcess::DaemonProcess(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
    const char* bin = std::getenv("MIXSCOUT_BIN");
    std::vector<std::string> all{"daemon"};
    all.insert(all.end(), args.begin(), args.end());
    process_ = std::make_unique<Process>(bin && *bin ? bin : MIXSCOUT_BIN, all, extra_env);
    const auto line = process_->wait_for_err_line("listening on ", milliseconds(10000));
    if (!line) return;
    static const std::regex port_re(R"(listening on [^ ,]+:(\d+))");
    std::smatch m;
    if (std::regex_search(*line, m, port_re)) port_ = std::stoi(m[1].str());
}

}  // namespace mixscout::test
