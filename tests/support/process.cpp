#include "support/process.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <osc/OscOutboundPacketStream.h>
#include <osc/OscReceivedElements.h>

#include <csignal>
#include <cwctype>
#else
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;
#endif

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>

namespace mixscout::test {

namespace asio = boost::asio;
using asio::ip::udp;

bool wait_until(const std::function<bool()>& cond, milliseconds deadline, milliseconds poll) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (true) {
        if (cond()) return true;
        if (std::chrono::steady_clock::now() >= end) return false;
        std::this_thread::sleep_for(poll);  // polling interval, not synchronisation
    }
}

// UDP through Asio: the same code on POSIX and Winsock (Asio initialises Winsock itself).
namespace {
udp::endpoint loopback(int port) {
    return udp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port));
}
}  // namespace

int free_udp_port() {
    asio::io_context io;
    udp::socket s(io, loopback(0));
    return s.local_endpoint().port();
}

void send_udp(int port, const std::vector<char>& bytes) {
    asio::io_context io;
    udp::socket s(io, udp::v4());
    boost::system::error_code ec;  // a datagram nobody receives is not an error here
    s.send_to(asio::buffer(bytes), loopback(port), 0, ec);
}

#ifdef _WIN32
// No liblo tools on Windows: oscpack (which the daemon also uses) encodes the same packet.
std::vector<char> liblo_packet(const std::string& address, const std::string& types, const std::vector<std::string>& values) {
    std::vector<char> buffer(64 * 1024);
    osc::OutboundPacketStream s(buffer.data(), buffer.size());
    s << osc::BeginMessage(address.c_str());
    std::size_t v = 0;
    auto next = [&]() -> const std::string& {
        if (v >= values.size()) throw std::runtime_error("liblo_packet: fewer values than types for " + address);
        return values[v++];
    };
    for (const char t : types) {
        switch (t) {
            case 'i': s << static_cast<osc::int32>(std::stol(next())); break;
            case 'h': s << static_cast<osc::int64>(std::stoll(next())); break;
            case 'f': s << std::stof(next()); break;
            case 'd': s << std::stod(next()); break;
            case 's': s << next().c_str(); break;
            case 'T': s << true; break;
            case 'F': s << false; break;
            case 'N': s << osc::OscNil; break;
            default: throw std::runtime_error(std::string("liblo_packet: unsupported type '") + t + "'");
        }
    }
    s << osc::EndMessage;
    return std::vector<char>(s.Data(), s.Data() + s.Size());
}
#else
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
#endif

struct UdpClient::Socket {
    asio::io_context io;
    udp::socket socket{io, loopback(0)};
};

UdpClient::UdpClient() : socket_(std::make_unique<Socket>()), port_(socket_->socket.local_endpoint().port()) {}

UdpClient::~UdpClient() = default;

void UdpClient::send(int to_port, const std::vector<char>& bytes) const {
    boost::system::error_code ec;
    socket_->socket.send_to(asio::buffer(bytes), loopback(to_port), 0, ec);
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

#ifdef _WIN32
namespace {
std::wstring widen(const std::string& s) {
    if (s.empty()) return {};
    const int n = ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
    std::wstring w(static_cast<std::size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), w.data(), n);
    return w;
}

/// One argument quoted so that the C runtime's parser (CommandLineToArgvW's rules) gives it back
/// unchanged: backslashes are literal except before a quote.
std::wstring quote_arg(const std::wstring& a) {
    if (!a.empty() && a.find_first_of(L" \t\n\v\"") == std::wstring::npos) return a;
    std::wstring out = L"\"";
    for (auto it = a.begin();; ++it) {
        std::size_t backslashes = 0;
        while (it != a.end() && *it == L'\\') {
            ++it;
            ++backslashes;
        }
        if (it == a.end()) {
            out.append(backslashes * 2, L'\\');
            break;
        }
        if (*it == L'"') out.append(backslashes * 2 + 1, L'\\');
        else out.append(backslashes, L'\\');
        out.push_back(*it);
    }
    out.push_back(L'"');
    return out;
}

/// This process's environment with `extra` ("NAME=value") replacing same-named entries (names
/// are case-insensitive on Windows), as a CREATE_UNICODE_ENVIRONMENT block.
std::wstring environment_block(const std::vector<std::string>& extra) {
    std::vector<std::wstring> entries;
    if (wchar_t* env = ::GetEnvironmentStringsW()) {
        for (const wchar_t* e = env; *e; e += std::wcslen(e) + 1) entries.emplace_back(e);
        ::FreeEnvironmentStringsW(env);
    }
    auto name_of = [](const std::wstring& e) {
        std::wstring name = e.substr(0, e.find(L'=', 1));  // "=C:=C:\..." entries start with '='
        for (auto& c : name) c = static_cast<wchar_t>(std::towupper(c));
        return name;
    };
    for (const auto& x : extra) {
        const std::wstring w = widen(x);
        const std::wstring name = name_of(w);
        std::erase_if(entries, [&](const std::wstring& e) { return name_of(e) == name; });
        entries.push_back(w);
    }
    std::wstring block;
    for (const auto& e : entries) {
        block += e;
        block.push_back(L'\0');
    }
    block.push_back(L'\0');
    return block;
}

void read_into(HANDLE pipe, std::shared_ptr<void> keep, std::string* text, bool* closed, std::mutex* m,
               std::condition_variable* cv) {
    char buf[4096];
    while (true) {
        DWORD n = 0;
        const BOOL ok = ::ReadFile(pipe, buf, sizeof buf, &n, nullptr);
        std::lock_guard lock(*m);
        if (!ok || n == 0) {  // ERROR_BROKEN_PIPE: every writer closed it
            *closed = true;
            cv->notify_all();
            break;
        }
        // A console program's text-mode CRLF line ends read as LF, as a POSIX child writes them.
        const std::size_t from = text->empty() ? 0 : text->size() - 1;
        text->append(buf, n);
        for (auto at = text->find("\r\n", from); at != std::string::npos; at = text->find("\r\n", at)) text->erase(at, 1);
        cv->notify_all();
    }
    ::CloseHandle(pipe);
    (void)keep;
}

// Pipe ends are inheritable between CreatePipe and CloseHandle: one child at a time, so no child
// inherits another's write end (its reader would then never see EOF).
std::mutex g_spawn_mutex;
}  // namespace

Process::Process(const std::string& program, const std::vector<std::string>& args,
                 const std::vector<std::string>& extra_env)
    : shared_(std::make_shared<Shared>()) {
    std::wstring command = quote_arg(widen(program));
    for (const auto& a : args) command += L" " + quote_arg(widen(a));
    std::wstring env = environment_block(extra_env);

    std::lock_guard spawn(g_spawn_mutex);
    SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE out_r, out_w, err_r, err_w;
    if (!::CreatePipe(&out_r, &out_w, &inherit, 0)) throw std::runtime_error("CreatePipe failed");
    if (!::CreatePipe(&err_r, &err_w, &inherit, 0)) throw std::runtime_error("CreatePipe failed");
    ::SetHandleInformation(out_r, HANDLE_FLAG_INHERIT, 0);
    ::SetHandleInformation(err_r, HANDLE_FLAG_INHERIT, 0);
    const HANDLE null_in = ::CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                                         OPEN_EXISTING, 0, nullptr);
    STARTUPINFOW si{};
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = null_in;
    si.hStdOutput = out_w;
    si.hStdError = err_w;
    PROCESS_INFORMATION pi{};
    // Its own process group: a CTRL_BREAK_EVENT (signal()) reaches it and not this process.
    const BOOL ok = ::CreateProcessW(nullptr, command.data(), nullptr, nullptr, TRUE,
                                     CREATE_UNICODE_ENVIRONMENT | CREATE_NEW_PROCESS_GROUP, env.data(), nullptr, &si, &pi);
    const DWORD error = ::GetLastError();
    ::CloseHandle(out_w);
    ::CloseHandle(err_w);
    if (null_in != INVALID_HANDLE_VALUE) ::CloseHandle(null_in);
    if (!ok) {
        ::CloseHandle(out_r);
        ::CloseHandle(err_r);
        throw std::runtime_error("CreateProcessW " + program + " failed: " + std::system_category().message(static_cast<int>(error)));
    }
    ::CloseHandle(pi.hThread);
    handle_ = pi.hProcess;
    pid_ = static_cast<pid_t>(pi.dwProcessId);
    auto s = shared_;
    out_reader_ = std::thread(read_into, out_r, s, &s->out, &s->out_closed, &s->mutex, &s->changed);
    err_reader_ = std::thread(read_into, err_r, s, &s->err, &s->err_closed, &s->mutex, &s->changed);
}

Process::~Process() {
    if (!exit_code_ && handle_) {
        ::TerminateProcess(handle_, 128 + 9);
        ::WaitForSingleObject(handle_, INFINITE);
    }
    if (out_reader_.joinable()) out_reader_.join();
    if (err_reader_.joinable()) err_reader_.join();
    if (handle_) ::CloseHandle(handle_);
}

#else
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

#endif

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

#ifdef _WIN32
void Process::signal(int signo) {
    if (exit_code_ || !handle_) return;
    if (signo == SIGINT || signo == SIGTERM) {
        if (::GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, static_cast<DWORD>(pid_))) return;
        ADD_FAILURE() << "GenerateConsoleCtrlEvent failed (" << ::GetLastError() << "): the child got no stop event";
        return;
    }
    ::TerminateProcess(handle_, static_cast<UINT>(128 + signo));
}

std::optional<int> Process::wait_exit(milliseconds deadline) {
    if (exit_code_) return exit_code_;
    if (::WaitForSingleObject(handle_, static_cast<DWORD>(deadline.count())) != WAIT_OBJECT_0) return std::nullopt;
    DWORD code = 0;
    ::GetExitCodeProcess(handle_, &code);
    exit_code_ = static_cast<int>(code);
    // As on POSIX: everything it wrote is read before out()/err() are asked.
    std::unique_lock lock(shared_->mutex);
    shared_->changed.wait_for(lock, milliseconds(5000), [&] { return shared_->out_closed && shared_->err_closed; });
    return exit_code_;
}

#else
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

#endif

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

#ifdef _WIN32
namespace {
/// An OSC argument printed as liblo's oscdump prints it (lo_arg_pp): %d, %f, "%s", #T, Nil ...
std::string dump_arg(const osc::ReceivedMessageArgument& a) {
    char buf[64];
    if (a.IsInt32()) std::snprintf(buf, sizeof buf, "%d", static_cast<int>(a.AsInt32Unchecked()));
    else if (a.IsInt64()) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(a.AsInt64Unchecked()));
    else if (a.IsFloat()) std::snprintf(buf, sizeof buf, "%f", static_cast<double>(a.AsFloatUnchecked()));
    else if (a.IsDouble()) std::snprintf(buf, sizeof buf, "%f", a.AsDoubleUnchecked());
    else if (a.IsString()) return a.AsStringUnchecked();
    else if (a.IsBool()) return a.AsBoolUnchecked() ? "#T" : "#F";
    else if (a.IsNil()) return "Nil";
    else return "?";
    return buf;
}

void collect(const osc::ReceivedPacket& packet, double time_s, std::vector<DumpedMessage>& out) {
    if (packet.IsBundle()) {
        const osc::ReceivedBundle bundle(packet);
        for (auto e = bundle.ElementsBegin(); e != bundle.ElementsEnd(); ++e) {
            const osc::ReceivedPacket inner(e->Contents(), e->Size());
            collect(inner, time_s, out);
        }
        return;
    }
    const osc::ReceivedMessage m(packet);
    DumpedMessage d;
    d.time_s = time_s;
    d.address = m.AddressPattern();
    d.types = m.ArgumentCount() ? m.TypeTags() : "";
    d.line = d.address + " " + d.types;
    for (auto a = m.ArgumentsBegin(); a != m.ArgumentsEnd(); ++a) {
        d.args.push_back(dump_arg(*a));
        d.line += a->IsString() ? " \"" + d.args.back() + "\"" : " " + d.args.back();
    }
    out.push_back(std::move(d));
}
}  // namespace

/// A UDP socket bound before the constructor returns (so it listens at once) and a thread
/// receiving into `messages` until the destructor wakes it with a datagram of its own.
struct OscDump::Receiver {
    asio::io_context io;
    udp::socket socket{io, loopback(0)};
    std::thread thread;
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::vector<DumpedMessage> messages;
    bool stopping = false;

    void run() {
        std::vector<char> buf(64 * 1024);
        while (true) {
            udp::endpoint from;
            boost::system::error_code ec;
            const std::size_t n = socket.receive_from(asio::buffer(buf), from, 0, ec);
            const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
            std::lock_guard lock(mutex);
            if (stopping) return;
            if (ec) continue;  // e.g. WSAECONNRESET after an ICMP "port unreachable"
            try {
                collect(osc::ReceivedPacket(buf.data(), static_cast<osc::osc_bundle_element_size_t>(n)), now_s, messages);
            } catch (const osc::Exception&) {
                // malformed: oscdump prints an error and carries on; so does this
            }
            changed.notify_all();
        }
    }
};

OscDump::OscDump() : receiver_(std::make_unique<Receiver>()) {
    port_ = receiver_->socket.local_endpoint().port();
    receiver_->thread = std::thread([r = receiver_.get()] { r->run(); });
}

OscDump::~OscDump() {
    {
        std::lock_guard lock(receiver_->mutex);
        receiver_->stopping = true;
    }
    send_udp(port_, {'\0'});
    receiver_->thread.join();
}

std::vector<DumpedMessage> OscDump::messages() const {
    std::lock_guard lock(receiver_->mutex);
    return receiver_->messages;
}

bool OscDump::wait_for(const std::function<bool(const std::vector<DumpedMessage>&)>& pred, milliseconds deadline) {
    std::unique_lock lock(receiver_->mutex);
    return receiver_->changed.wait_for(lock, deadline, [&] { return pred(receiver_->messages); });
}

bool oscsend(int port, const std::string& address, const std::string& types, const std::vector<std::string>& values) {
    send_udp(port, liblo_packet(address, types, values));
    return true;
}
#else
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

struct OscDump::Receiver {
    std::unique_ptr<Process> process;
};

OscDump::OscDump() : receiver_(std::make_unique<Receiver>()) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_udp_port();
        receiver_->process = std::make_unique<Process>("/usr/bin/oscdump", std::vector<std::string>{"-L", std::to_string(port_)});
        auto& process = *receiver_->process;
        // Listening once a probe comes back out; gone if the port was taken meanwhile.
        const bool up = wait_until(
            [&] {
                if (!process.running()) return true;
                send_udp(port_, probe_packet());
                return process.out().find("/oscdump/probe") != std::string::npos;
            },
            milliseconds(5000), milliseconds(20));
        if (up && process.running()) return;
    }
    throw std::runtime_error("oscdump did not start");
}

OscDump::~OscDump() = default;

std::vector<DumpedMessage> OscDump::messages() const { return parse_all(receiver_->process->out()); }

bool OscDump::wait_for(const std::function<bool(const std::vector<DumpedMessage>&)>& pred, milliseconds deadline) {
    return receiver_->process->wait_for_out([&](const std::string& text) { return pred(parse_all(text)); }, deadline);
}

bool oscsend(int port, const std::string& address, const std::string& types, const std::vector<std::string>& values) {
    std::vector<std::string> args{"127.0.0.1", std::to_string(port), address, types};
    args.insert(args.end(), values.begin(), values.end());
    return run_command("/usr/bin/oscsend", args) == 0;
}
#endif

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
