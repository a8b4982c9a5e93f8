#include "watch/watcher.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN  // no winsock.h: Asio, in other unity files, wants winsock2.h
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#endif

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/user_dirs.hpp"
#include "watch/gate.hpp"

namespace mixscout::watch {

namespace fs = std::filesystem;

bool stat_file(const fs::path& path, FileState& out) {
#ifdef _WIN32
    // MinGW's std::filesystem reads whole seconds (_wstat64): a same-size rewrite within a second
    // (a config edit) would look unchanged. The file's own 100-ns time instead.
    WIN32_FILE_ATTRIBUTE_DATA a{};
    if (!::GetFileAttributesExW(path.c_str(), GetFileExInfoStandard, &a) || (a.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
        return false;
    const auto ticks = static_cast<std::int64_t>((static_cast<std::uint64_t>(a.ftLastWriteTime.dwHighDateTime) << 32) |
                                                 a.ftLastWriteTime.dwLowDateTime);  // 100 ns since 1601
    out.path = path;
    out.size = (static_cast<std::uintmax_t>(a.nFileSizeHigh) << 32) | a.nFileSizeLow;
    out.mtime_ns = (ticks - 116'444'736'000'000'000) * 100;
    return true;
#endif
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::is_regular_file(status)) return false;
    const auto size = fs::file_size(path, ec);
    if (ec) return false;
    const auto mtime = fs::last_write_time(path, ec);
    if (ec) return false;
    out.path = path;
    out.size = size;
    out.mtime_ns = unix_time_ns(mtime);
    return true;
}

namespace {
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}
bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

bool is_export_name(const fs::path& path) {
    const std::string name = path.filename().string();
    if (name.empty() || name[0] == '.' || name[0] == '~' || name[0] == '#') return false;
    if (name.back() == '~' || name.back() == '#') return false;
    const std::string ext = lower(path.extension().string());
    static const std::array<std::string_view, 8> audio = {".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".mp3"};
    if (std::find(audio.begin(), audio.end(), ext) == audio.end()) return false;
    const std::string stem = lower(path.stem().string());
    for (std::string_view temp : {".tmp", ".temp", ".part", ".partial", ".crdownload", ".download"})
        if (ends_with(stem, temp)) return false;
    return true;
}

namespace {
std::uint32_t le32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t{p[3]} << 24); }
std::uint32_t be32(const unsigned char* p) { return (std::uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
std::uint64_t le64(const unsigned char* p) { return le32(p) | (std::uint64_t{le32(p + 4)} << 32); }

/// Total size a RIFF/FORM container declares matches what is on disk (a pad byte allowed).
bool container_matches(std::uint64_t declared_total, std::uintmax_t size) {
    return declared_total == size || declared_total + 1 == size;
}

/// Walks the RIFF chunks after "WAVE": the data chunk must lie within the file.
HeaderState check_wav_chunks(std::ifstream& in, std::uintmax_t size, std::uint64_t data_size_override) {
    std::uint64_t pos = 12;
    unsigned char h[8];
    while (pos + 8 <= size) {
        in.seekg(static_cast<std::streamoff>(pos));
        if (!in.read(reinterpret_cast<char*>(h), 8)) return HeaderState::unreadable;
        std::uint64_t chunk = le32(h + 4);
        if (std::memcmp(h, "data", 4) == 0) {
            if (chunk == 0xFFFFFFFFu && data_size_override) chunk = data_size_override;
            return pos + 8 + chunk <= size ? HeaderState::complete : HeaderState::incomplete;
        }
        pos += 8 + chunk + (chunk & 1);
    }
    return HeaderState::incomplete;  // no data chunk yet
}
}  // namespace

HeaderState check_header(const fs::path& path, std::uintmax_t size) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return HeaderState::unreadable;
    unsigned char h[40] = {};
    in.read(reinterpret_cast<char*>(h), sizeof h);
    const auto got = static_cast<std::size_t>(in.gcount());
    in.clear();
    if (got < 12) return HeaderState::unreadable;
    if (std::memcmp(h, "RIFF", 4) == 0 && std::memcmp(h + 8, "WAVE", 4) == 0) {
        if (!container_matches(std::uint64_t{le32(h + 4)} + 8, size)) return HeaderState::incomplete;
        return check_wav_chunks(in, size, 0);
    }
    if ((std::memcmp(h, "RF64", 4) == 0 || std::memcmp(h, "BW64", 4) == 0) && std::memcmp(h + 8, "WAVE", 4) == 0) {
        if (got < 36 || std::memcmp(h + 12, "ds64", 4) != 0) return HeaderState::incomplete;
        if (!container_matches(le64(h + 20) + 8, size)) return HeaderState::incomplete;
        return check_wav_chunks(in, size, le64(h + 28));
    }
    if (std::memcmp(h, "FORM", 4) == 0 && (std::memcmp(h + 8, "AIFF", 4) == 0 || std::memcmp(h + 8, "AIFC", 4) == 0))
        return container_matches(std::uint64_t{be32(h + 4)} + 8, size) ? HeaderState::complete : HeaderState::incomplete;
    if (std::memcmp(h, "fLaC", 4) == 0) {
        if (got < 26) return HeaderState::unreadable;
        // STREAMINFO's 36-bit total sample count: the encoder writes it when it finishes.
        const std::uint64_t total = (std::uint64_t{h[21]} & 0x0F) << 32 | be32(h + 22);
        return total > 0 ? HeaderState::complete : HeaderState::incomplete;
    }
    return HeaderState::unsized;  // MP3, Ogg: no size in the header; stability decides
}

std::size_t Watcher::watched_count() const {
    std::size_t n = 0;
    for (const auto& f : folder_status()) n += f.watched ? 1 : 0;
    return n;
}

fs::path default_export_folder() {
    const fs::path home = home_dir();
    const fs::path base = !home.empty() ? home : fs::current_path();
    return base / "Music" / "Ableton" / "Exports";
}

std::vector<fs::path> list_exports(const Options& options) {
    std::vector<fs::path> out;
    for (const auto& folder : options.folders) {
        std::error_code ec;
        std::size_t entries = 0;
        auto add = [&](const fs::directory_entry& e) {
            std::error_code e2;
            if (e.is_regular_file(e2) && is_export_name(e.path())) out.push_back(e.path());
        };
        auto too_many = [&] {
            if (++entries <= options.max_entries) return false;
            log::warn("watch: " + folder.string() + " holds more than " + std::to_string(options.max_entries) +
                      " entries; the rest are not listed");
            return true;
        };
        if (options.recursive) {
            // Links to folders are not followed (the iterator's default): no loops, nothing outside.
            for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
                 !ec && it != fs::recursive_directory_iterator() && !too_many(); it.increment(ec)) {
                if (it->path().filename().string().starts_with(".")) {
                    if (it->is_directory(ec)) it.disable_recursion_pending();
                    continue;
                }
                add(*it);
            }
        } else {
            for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator() && !too_many();
                 it.increment(ec))
                add(*it);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// ---- StabilityGate ----------------------------------------------------------------------------

namespace detail {

namespace {
std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    return buf;
}
}  // namespace

void StabilityGate::touch(const fs::path& path, double delay_s) {
    if (stopped_) return;
    auto& slot = pending_[path];
    if (!slot) {
        slot = std::make_unique<Pending>(io_);
        slot->last.path = path;
        slot->last_change = std::chrono::steady_clock::now();
    }
    FileState now;
    if (stat_file(path, now) && !(now == slot->last)) {
        slot->last = now;
        slot->last_change = std::chrono::steady_clock::now();
    }
    slot->delay_s = delay_s;
    arm(path, *slot);
}

void StabilityGate::touch_if_pending(const fs::path& path) {
    auto it = pending_.find(path);
    if (it != pending_.end()) touch(path, it->second->delay_s);
}

void StabilityGate::arm(const fs::path& path, Pending& p) {
    p.generation = next_generation_++;
    p.timer.expires_after(steady_seconds(p.delay_s));
    p.timer.async_wait([this, path, gen = p.generation, alive = alive_](const boost::system::error_code& ec) {
        if (!ec && *alive) fire(path, gen);
    });
}

void StabilityGate::fire(const fs::path& path, std::uint64_t generation) {
    auto it = pending_.find(path);
    if (stopped_ || it == pending_.end() || it->second->generation != generation) return;
    Pending& p = *it->second;
    FileState now;
    if (!stat_file(path, now)) {  // moved away or deleted (a temp file renamed: the new name has its own event)
        pending_.erase(it);
        return;
    }
    if (!(now == p.last)) {  // still being written
        p.last = now;
        p.last_change = std::chrono::steady_clock::now();
        arm(path, p);
        return;
    }
    const HeaderState header = check_header(path, now.size);
    const double idle_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - p.last_change).count();
    if (header == HeaderState::complete || (header == HeaderState::unsized && idle_s >= unsized_quiet_s_)) {
        pending_.erase(it);
        on_ready_(now);
        return;
    }
    if (header == HeaderState::unsized) {  // nothing to check but time: wait out the rest of it
        p.delay_s = std::max(unsized_quiet_s_ - idle_s, 0.05);
        arm(path, p);
        return;
    }
    if (idle_s >= give_up_s_) {
        const std::string why = path.string() + ": truncated: " +
                                (header == HeaderState::incomplete ? "header promises more data than the file holds"
                                                                   : "no readable header") +
                                " and it has not changed for " + seconds_text(idle_s) + " s; skipped (picked up again if it changes)";
        log::warn(why);
        if (on_give_up_) on_give_up_(path, why);
        pending_.erase(it);
        return;
    }
    p.delay_s = std::max(p.delay_s, 0.1);
    arm(path, p);
}

void StabilityGate::stop() {
    stopped_ = true;
    *alive_ = false;
    pending_.clear();  // timers cancelled; their handlers see no entry
}

}  // namespace detail
}  // namespace mixscout::watch
