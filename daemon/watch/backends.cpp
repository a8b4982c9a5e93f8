// The two backends behind watch::Watcher: inotify (Linux) and polling (anywhere).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <system_error>

#include <boost/asio/steady_timer.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "watch/gate.hpp"
#include "watch/watcher.hpp"

#ifdef __linux__
#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#endif

namespace mixscout::watch {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

void create_folders(const Options& options) {
    for (const auto& f : options.folders) {
        std::error_code ec;
        fs::create_directories(f, ec);
        if (ec || !fs::is_directory(f))
            throw InputError("watch folder " + f.string() + ": cannot create it: " + (ec ? ec.message() : "not a folder"));
    }
}

// ---- polling ----------------------------------------------------------------------------------

/// Lists the folders every poll_interval_s; a new or changed file enters the gate with
/// quiet_period_s. What is already there at start is only remembered (the daemon's start-up
/// scan decides about those).
class PollingWatcher final : public Watcher {
public:
    PollingWatcher(asio::io_context& io, Options options, OnReady on_ready)
        : options_(std::move(options)), gate_(io, options_, std::move(on_ready)), timer_(io) {
        for (const auto& p : list_exports(options_)) {
            FileState s;
            if (stat_file(p, s)) known_[p] = s;
        }
        schedule();
    }
    ~PollingWatcher() override { stop(); }
    std::string_view backend() const override { return "polling"; }
    void check(const fs::path& path, double delay_s) override {
        FileState s;
        if (stat_file(path, s)) known_[path] = s;
        gate_.touch(path, delay_s < 0 ? options_.quiet_period_s : delay_s);
    }
    std::size_t pending() const override { return gate_.pending(); }
    std::vector<FolderStatus> folder_status() const override {
        std::vector<FolderStatus> out;
        for (const auto& f : options_.folders) {
            std::error_code ec;
            out.push_back({f, fs::is_directory(f, ec)});  // listed at the next poll when it is there
        }
        return out;
    }
    void stop() override {
        *alive_ = false;
        timer_.cancel();
        gate_.stop();
    }

private:
    void schedule() {
        timer_.expires_after(steady_seconds(options_.poll_interval_s));
        timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
            if (ec || !*alive) return;
            scan();
            schedule();
        });
    }
    /// A folder deleted and recreated needs nothing special: its files are listed again, and
    /// those not known (or changed) enter the gate.
    void scan() {
        std::map<fs::path, FileState> now;
        for (const auto& p : list_exports(options_)) {
            FileState s;
            if (!stat_file(p, s)) continue;
            auto it = known_.find(p);
            if (it == known_.end() || !(it->second == s)) gate_.touch(p, options_.quiet_period_s);
            now[p] = s;
        }
        known_.swap(now);
    }
    Options options_;
    detail::StabilityGate gate_;
    asio::steady_timer timer_;
    std::map<fs::path, FileState> known_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for handlers queued before stop()
};

// ---- inotify ----------------------------------------------------------------------------------

#ifdef __linux__
/// IN_CLOSE_WRITE (a writer closed the file) and IN_MOVED_TO (a temp file renamed into place)
/// put a file into the gate with settle_s; IN_MODIFY restarts the quiet period of a file already
/// waiting. New subfolders are watched when recursive. A queue overflow rescans everything.
/// A watched folder deleted or moved away (IN_DELETE_SELF, IN_MOVE_SELF, IN_IGNORED) loses its
/// watches and is looked for every missing_recheck_s until a folder is at its path again.
class InotifyWatcher final : public Watcher {
public:
    InotifyWatcher(asio::io_context& io, Options options, OnReady on_ready)
        : options_(std::move(options)), gate_(io, options_, std::move(on_ready)), stream_(io), recheck_(io),
          buffer_(64 * 1024), roots_(options_.folders.size()) {
        const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) throw InputError(std::string("inotify: ") + std::strerror(errno));
        stream_.assign(fd);
        for (std::size_t r = 0; r < options_.folders.size(); ++r) arm_root(r, false, true);
        read();
    }
    ~InotifyWatcher() override { stop(); }
    std::string_view backend() const override { return "inotify"; }
    void check(const fs::path& path, double delay_s) override {
        gate_.touch(path, delay_s < 0 ? options_.settle_s : delay_s);
    }
    std::size_t pending() const override { return gate_.pending(); }
    std::vector<FolderStatus> folder_status() const override {
        std::vector<FolderStatus> out;
        for (std::size_t r = 0; r < roots_.size(); ++r) out.push_back({options_.folders[r], roots_[r].watched});
        return out;
    }
    void stop() override {
        if (!*alive_) return;
        *alive_ = false;
        boost::system::error_code ec;
        recheck_.cancel();
        stream_.close(ec);
        gate_.stop();
    }

private:
    static constexpr std::uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE | IN_DELETE_SELF |
                                          IN_MOVE_SELF | IN_ONLYDIR;

    struct Dir {
        fs::path path;
        std::size_t root = 0;  ///< index into options_.folders of the watch it belongs to
    };
    struct Root {
        bool watched = false;
        int wd = -1;
        std::size_t folders = 0;  ///< watches under it (max_folders bounds it)
    };

    /// Watches folder `r` again with what is already in it. At start-up a failure throws
    /// (make_watcher's contract); later it only logs and leaves the folder missing.
    void arm_root(std::size_t r, bool check_files, bool throw_on_error) {
        const fs::path& root = options_.folders[r];
        roots_[r].folders = 0;
        try {
            roots_[r].wd = add_tree(root, r, check_files);
            roots_[r].watched = true;
        } catch (const InputError& e) {
            if (throw_on_error) throw;
            log::warn(e.what());
            schedule_recheck();
        }
    }

    int add_watch(const fs::path& dir, std::size_t r) {
        const int wd = ::inotify_add_watch(stream_.native_handle(), dir.c_str(), mask);
        if (wd < 0) throw InputError("watch folder " + dir.string() + ": inotify: " + std::strerror(errno));
        dirs_[wd] = Dir{dir, r};
        ++roots_[r].folders;
        return wd;
    }
    /// Watches dir (and, when recursive, its subfolders); with check_files, files already in
    /// them (a folder moved in whole, or created and filled before its watch existed) enter the gate.
    /// Links to folders are not followed: a link to / or to a parent would never end.
    int add_tree(const fs::path& dir, std::size_t r, bool check_files) {
        const int wd = add_watch(dir, r);
        std::error_code ec;
        for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
            std::error_code e2;
            const auto name = it->path().filename().string();
            if (options_.recursive && it->is_directory(e2) && !it->is_symlink(e2) && !name.starts_with(".")) {
                if (roots_[r].folders >= options_.max_folders) {
                    log::warn("watch: more than " + std::to_string(options_.max_folders) + " folders under " +
                              options_.folders[r].string() + "; " + it->path().string() + " and the rest are not watched");
                    break;
                }
                try {
                    add_tree(it->path(), r, check_files);
                } catch (const InputError& e) {
                    log::warn(e.what());
                }
            } else if (check_files && it->is_regular_file(e2) && is_export_name(it->path())) {
                gate_.touch(it->path(), options_.settle_s);
            }
        }
        return wd;
    }
    /// Forgets the watches of folder `r` (all of them: a tree moved away keeps its watches, at
    /// paths that are no longer true) and starts looking for it again.
    void lose_root(std::size_t r, const char* why) {
        if (!roots_[r].watched) return;
        roots_[r].watched = false;
        log::warn("watch: folder " + options_.folders[r].string() + " was " + why + "; watched again when it is back");
        for (auto it = dirs_.begin(); it != dirs_.end();) {
            if (it->second.root == r) {
                ::inotify_rm_watch(stream_.native_handle(), it->first);  // fails harmlessly if already gone
                it = dirs_.erase(it);
            } else {
                ++it;
            }
        }
        roots_[r].wd = -1;
        schedule_recheck();
    }
    /// A subfolder moved away: its watch (and those below it) would report the wrong paths.
    void lose_subtree(int wd) {
        const auto found = dirs_.find(wd);
        if (found == dirs_.end()) return;
        const fs::path top = found->second.path;
        for (auto it = dirs_.begin(); it != dirs_.end();) {
            const auto rel = it->second.path.lexically_relative(top);
            if (!rel.empty() && *rel.begin() != "..") {
                ::inotify_rm_watch(stream_.native_handle(), it->first);
                if (roots_[it->second.root].folders > 0) --roots_[it->second.root].folders;
                it = dirs_.erase(it);
            } else {
                ++it;
            }
        }
    }
    void schedule_recheck() {
        if (recheck_armed_) return;
        recheck_armed_ = true;
        recheck_.expires_after(steady_seconds(options_.missing_recheck_s));
        recheck_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
            if (ec || !*alive) return;
            recheck_armed_ = false;
            for (std::size_t r = 0; r < roots_.size(); ++r) {
                if (roots_[r].watched) continue;
                std::error_code e2;
                if (fs::is_directory(options_.folders[r], e2)) {
                    arm_root(r, true, false);
                    if (roots_[r].watched) log::info("watch: folder " + options_.folders[r].string() + " is back; watching it again");
                } else {
                    schedule_recheck();
                }
            }
        });
    }
    std::optional<std::size_t> root_of_wd(int wd) const {
        for (std::size_t r = 0; r < roots_.size(); ++r)
            if (roots_[r].watched && roots_[r].wd == wd) return r;
        return std::nullopt;
    }
    void rescan() {
        log::warn("watch: inotify queue overflowed; rescanning the folders");
        for (const auto& p : list_exports(options_)) gate_.touch(p, options_.settle_s);
    }
    void read() {
        stream_.async_read_some(asio::buffer(buffer_), [this, alive = alive_](const boost::system::error_code& ec, std::size_t n) {
            if (!*alive) return;
            if (ec) {
                if (ec && ec != asio::error::operation_aborted) log::error("watch: inotify read: " + ec.message());
                return;
            }
            handle(n);
            read();
        });
    }
    void handle(std::size_t n) {
        std::size_t off = 0;
        while (off + sizeof(inotify_event) <= n) {
            inotify_event ev;
            std::memcpy(&ev, buffer_.data() + off, sizeof ev);
            const char* name = buffer_.data() + off + sizeof(inotify_event);
            off += sizeof(inotify_event) + ev.len;
            if (ev.mask & IN_Q_OVERFLOW) {
                rescan();
                continue;
            }
            auto dir = dirs_.find(ev.wd);
            if (dir == dirs_.end()) continue;
            if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                // A watched folder itself gone (or unmounted): look for it again. A subfolder:
                // its parent's IN_CREATE / IN_MOVED_TO brings it back.
                if (const auto r = root_of_wd(ev.wd)) lose_root(*r, (ev.mask & IN_MOVE_SELF) ? "moved away" : "deleted");
                else if (ev.mask & IN_MOVE_SELF) lose_subtree(ev.wd);
                else if (ev.mask & IN_IGNORED) {
                    if (roots_[dir->second.root].folders > 0) --roots_[dir->second.root].folders;
                    dirs_.erase(dir);
                }
                continue;
            }
            if (ev.len == 0) continue;
            const fs::path path = dir->second.path / std::string(name);
            if (ev.mask & IN_ISDIR) {
                if (options_.recursive && (ev.mask & (IN_CREATE | IN_MOVED_TO)) &&
                    !path.filename().string().starts_with(".")) {
                    const std::size_t r = dir->second.root;
                    std::error_code ec;
                    if (roots_[r].folders >= options_.max_folders || fs::is_symlink(path, ec)) continue;
                    try {
                        add_tree(path, r, true);
                    } catch (const InputError& e) {
                        log::warn(e.what());
                    }
                }
                continue;
            }
            if (!is_export_name(path)) continue;
            if (ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) gate_.touch(path, options_.settle_s);
            else if (ev.mask & IN_MODIFY) gate_.touch_if_pending(path);
        }
    }

    Options options_;
    detail::StabilityGate gate_;
    asio::posix::stream_descriptor stream_;
    asio::steady_timer recheck_;
    bool recheck_armed_ = false;
    std::vector<char> buffer_;
    std::map<int, Dir> dirs_;
    std::vector<Root> roots_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for handlers queued before stop()
};
#endif

}  // namespace

#ifdef _WIN32
// ReadDirectoryChangesW (backend_windows.cpp).
std::unique_ptr<Watcher> make_read_directory_watcher(asio::io_context& io, const Options& options, Watcher::OnReady on_ready);
#endif

std::unique_ptr<Watcher> make_watcher(asio::io_context& io, const Options& options, Watcher::OnReady on_ready) {
    create_folders(options);
    std::string backend = options.backend;
    if (backend == "auto") {
#ifdef __linux__
        backend = "inotify";
#elif defined(_WIN32)
        backend = "windows";
#else
        backend = "polling";
#endif
    }
    if (backend == "polling") return std::make_unique<PollingWatcher>(io, options, std::move(on_ready));
    if (backend == "inotify") {
#ifdef __linux__
        return std::make_unique<InotifyWatcher>(io, options, std::move(on_ready));
#else
        throw InputError("watch.backend: inotify exists only on Linux (use polling or auto)");
#endif
    }
    if (backend == "windows") {
#ifdef _WIN32
        return make_read_directory_watcher(io, options, std::move(on_ready));
#else
        throw InputError("watch.backend: windows (ReadDirectoryChangesW) exists only on Windows (use polling or auto)");
#endif
    }
    throw InputError("watch.backend: unknown backend '" + options.backend + "' (auto, inotify, windows, polling)");
}

}  // namespace mixscout::watch
