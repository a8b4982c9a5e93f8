// The Windows backend behind watch::Watcher: ReadDirectoryChangesW on each folder, completed
// through the io_context's I/O completion port (no thread of its own).
//
// Windows reports no "writer closed the file" (inotify's IN_CLOSE_WRITE), so every added,
// renamed-in or modified export enters the stability gate with the polling backend's quiet
// period: unchanged size + mtime for quiet_period_s, then a complete header. A lost batch of
// changes (the buffer overflowed: an empty completion, or ERROR_NOTIFY_ENUM_DIR) rescans the folder.
//
// A watched folder deleted, moved away or replaced by another folder at its path: Windows ends
// the read when it is deleted (empty, or ERROR_ACCESS_DENIED while the deletion waits for our
// handle) and says nothing when it is moved; so every missing_recheck_s each folder's identity
// (volume serial + file index) is also compared with the path's. A folder that is gone has its
// handle closed (a deletion can then finish) and is reported not watched; when a folder is at the
// path again, it is watched again and the exports already in it enter the gate. Wine reports no
// deletion at all and holds it back while our handle is open: there the handle is reopened at
// each recheck (under_wine).
#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>

#include <boost/asio/steady_timer.hpp>

#include <cstring>
#include <optional>
#include <system_error>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "watch/gate.hpp"
#include "watch/watcher.hpp"

namespace mixscout::watch {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

std::string last_error_text(DWORD code) { return std::system_category().message(static_cast<int>(code)); }

/// Which folder a handle or a path names: the volume's serial number and the file index, which
/// stay with the folder when it is renamed and differ for a new folder made at the same path.
struct FolderId {
    DWORD volume = 0, index_high = 0, index_low = 0;
    bool operator==(const FolderId&) const = default;
};

/// FILE_SHARE_DELETE: our handles never stand in the way of the user deleting or renaming the folder.
HANDLE open_folder(const fs::path& path, DWORD access, DWORD flags) {
    return ::CreateFileW(path.c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS | flags, nullptr);
}

std::optional<FolderId> folder_id(HANDLE h) {
    BY_HANDLE_FILE_INFORMATION info{};
    if (!::GetFileInformationByHandle(h, &info) || !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) return std::nullopt;
    return FolderId{info.dwVolumeSerialNumber, info.nFileIndexHigh, info.nFileIndexLow};
}

/// The folder's last-write time: it changes when an entry in it is added, removed or renamed.
std::uint64_t last_write(HANDLE h) {
    BY_HANDLE_FILE_INFORMATION info{};
    if (!::GetFileInformationByHandle(h, &info)) return 0;
    return (static_cast<std::uint64_t>(info.ftLastWriteTime.dwHighDateTime) << 32) | info.ftLastWriteTime.dwLowDateTime;
}

/// Wine (8.0) keeps a deleted folder at its path, openable and with the same identity, for as
/// long as any handle to it is open, and says nothing (no delete-pending error, no read ending):
/// the handle we watch through would keep it there for good. Windows refuses to open a folder
/// waiting to be deleted (or, with POSIX delete semantics, removes its name at once).
bool under_wine() {
    static const bool wine = ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
    return wine;
}

/// The folder at `path` now; nullopt when there is none (deleted, moved away, a file in its
/// place, or deleted but still held open by another program: Windows then refuses to open it).
std::optional<FolderId> folder_id_at(const fs::path& path) {
    const HANDLE h = open_folder(path, FILE_READ_ATTRIBUTES, 0);
    if (h == INVALID_HANDLE_VALUE) return std::nullopt;
    const auto id = folder_id(h);
    ::CloseHandle(h);
    return id;
}

class ReadDirectoryWatcher final : public Watcher {
public:
    ReadDirectoryWatcher(asio::io_context& io, Options options, OnReady on_ready)
        : options_(std::move(options)), gate_(io, options_, std::move(on_ready)), recheck_(io) {
        for (const auto& folder : options_.folders) folders_.push_back(std::make_unique<Folder>(io, folder));
        for (auto& f : folders_) arm(*f, false, true);
        schedule_recheck();
    }
    ~ReadDirectoryWatcher() override { stop(); }
    std::string_view backend() const override { return "windows"; }
    void check(const fs::path& path, double delay_s) override {
        gate_.touch(path, delay_s < 0 ? options_.quiet_period_s : delay_s);
    }
    std::size_t pending() const override { return gate_.pending(); }
    std::vector<FolderStatus> folder_status() const override {
        std::vector<FolderStatus> out;
        for (const auto& f : folders_) out.push_back({f->path, f->watched});
        return out;
    }
    void stop() override {
        if (!*alive_) return;
        *alive_ = false;
        recheck_.cancel();
        for (auto& f : folders_) {
            boost::system::error_code ec;
            f->handle.close(ec);  // cancels the outstanding read; its handler sees !alive
        }
        gate_.stop();
    }

private:
    struct Folder {
        Folder(asio::io_context& io, fs::path p) : path(std::move(p)), handle(io) {}
        fs::path path;
        asio::windows::stream_handle handle;
        bool watched = false;
        FolderId id;                  ///< the folder the handle is open on
        std::uint64_t generation = 0;  ///< a new handle each time it is watched again
        // DWORD-aligned, as ReadDirectoryChangesW requires; 64 KiB is its limit over a network share.
        // Shared with the pending read's handler: a cancelled read may complete after the handle
        // is closed (or the watcher gone), and the system writes into the buffer until it does;
        // so each handle gets its own.
        std::shared_ptr<std::vector<DWORD>> buffer;
    };
    static constexpr DWORD filter = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME |
                                    FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE;

    /// Opens the folder and starts reading its changes; with check_files, the exports already in
    /// it (a folder recreated, or moved back in whole) enter the gate, listed after the read is
    /// armed so nothing falls between the two. At start-up a failure throws (make_watcher's
    /// contract); later it only logs and the folder stays missing.
    void arm(Folder& f, bool check_files, bool throw_on_error) {
        const HANDLE h = open_folder(f.path, FILE_LIST_DIRECTORY, FILE_FLAG_OVERLAPPED);
        std::string error;
        std::optional<FolderId> id;
        if (h == INVALID_HANDLE_VALUE) {
            error = "cannot open it: " + last_error_text(::GetLastError());
        } else if (!(id = folder_id(h))) {
            error = "not a folder";
            ::CloseHandle(h);
        } else {
            boost::system::error_code ec;
            f.handle.assign(h, ec);  // binds the handle to the io_context's completion port
            if (ec) {
                error = ec.message();
                ::CloseHandle(h);
            }
        }
        if (!error.empty()) {
            f.watched = false;
            if (throw_on_error) throw InputError("watch folder " + f.path.string() + ": " + error);
            log::warn("watch folder " + f.path.string() + ": " + error);
            return;
        }
        f.watched = true;
        f.id = *id;
        ++f.generation;
        f.buffer = std::make_shared<std::vector<DWORD>>(16 * 1024);
        read(f);
        if (check_files) rescan(f);
    }

    /// Closes the handle of a folder that is gone (deleted, moved away, replaced): a deleted
    /// folder someone still holds open cannot finish being deleted on Windows, and one moved
    /// away would keep reporting its changes under the old path. The recheck watches it again.
    void lose(Folder& f, const std::string& why) {
        if (!f.watched) return;
        f.watched = false;
        close_handle(f);
        log::warn("watch: folder " + f.path.string() + " " + why + "; watched again when it is back");
    }

    static void close_handle(Folder& f) {
        ++f.generation;  // the cancelled read's completion is the old handle's: ignored
        boost::system::error_code ec;
        f.handle.close(ec);
    }

    /// Still the folder the handle is open on? Asked every missing_recheck_s (a move, or a
    /// folder replaced, ends no read) as well as when a read says something happened to it.
    bool still_there(Folder& f) {
        const auto now = folder_id_at(f.path);
        if (now == f.id) return true;
        lose(f, now ? "was replaced by another folder" : "was deleted or moved away");
        return false;
    }

    /// Every missing_recheck_s: one open + query per folder. A watched folder that is gone is
    /// closed; a missing one that is back is watched again, with the exports already in it.
    void schedule_recheck() {
        recheck_.expires_after(steady_seconds(options_.missing_recheck_s));
        recheck_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
            if (ec || !*alive) return;
            for (auto& f : folders_) {
                if (f->watched) {
                    if (under_wine()) reopen(*f);
                    else still_there(*f);
                }
                std::error_code e2;
                if (!f->watched && fs::is_directory(f->path, e2)) {
                    arm(*f, true, false);
                    if (f->watched) log::info("watch: folder " + f->path.string() + " is back; watching it again");
                }
            }
            schedule_recheck();
        });
    }

    /// Under wine: lets go of the folder for a moment, so that a deletion waiting on our handle
    /// happens, then looks and watches it again. Whatever is added, removed or renamed in it in
    /// between (microseconds) shows in its last-write time: then it is rescanned.
    void reopen(Folder& f) {
        const std::uint64_t written = last_write(f.handle.native_handle());
        close_handle(f);
        if (!still_there(f)) return;
        arm(f, false, false);
        if (f.watched && last_write(f.handle.native_handle()) != written) rescan(f);
    }

    void rescan(const Folder& f) {
        Options one = options_;
        one.folders = {f.path};
        for (const auto& p : list_exports(one)) gate_.touch(p, options_.quiet_period_s);
    }

    void read(Folder& f) {
        asio::windows::overlapped_ptr op(
            f.handle.get_executor(),
            [this, &f, generation = f.generation, alive = alive_, keep = f.buffer](const boost::system::error_code& ec, std::size_t n) {
                (void)keep;
                if (!*alive || generation != f.generation) return;  // stopped, or a handle closed since
                if (ec.value() == ERROR_NOTIFY_ENUM_DIR || (!ec && n == 0)) {
                    // More changes than the buffer held (they are lost: look at everything), or
                    // on Windows, the folder itself deleted: the read then ends with nothing in it.
                    if (!still_there(f)) return;
                    log::warn("watch: change buffer of " + f.path.string() + " overflowed; rescanning it");
                    rescan(f);
                } else if (ec) {
                    // ERROR_ACCESS_DENIED: deleted while open (pending delete until our handle closes).
                    if (still_there(f)) lose(f, "cannot be read (" + ec.message() + ")");
                    return;
                } else {
                    handle(f, n);
                }
                read(f);
            });
        const DWORD bytes = static_cast<DWORD>(f.buffer->size() * sizeof(DWORD));
        const BOOL ok = ::ReadDirectoryChangesW(f.handle.native_handle(), f.buffer->data(), bytes,
                                                options_.recursive ? TRUE : FALSE, filter, nullptr, op.get(), nullptr);
        const DWORD err = ::GetLastError();
        if (!ok && err != ERROR_IO_PENDING) {
            op.complete(boost::system::error_code(static_cast<int>(err), boost::asio::error::get_system_category()), 0);
        } else {
            op.release();  // the completion port now owns it
        }
    }

    void handle(const Folder& f, std::size_t n) {
        const auto* base = reinterpret_cast<const unsigned char*>(f.buffer->data());
        for (std::size_t off = 0; off < n;) {
            FILE_NOTIFY_INFORMATION info;
            std::memcpy(&info, base + off, offsetof(FILE_NOTIFY_INFORMATION, FileName));
            std::wstring name(info.FileNameLength / sizeof(wchar_t), L'\0');
            std::memcpy(name.data(), base + off + offsetof(FILE_NOTIFY_INFORMATION, FileName), info.FileNameLength);
            on_change(f.path, fs::path(name), info.Action);
            if (info.NextEntryOffset == 0) break;
            off += info.NextEntryOffset;
        }
    }

    /// relative: the name Windows reports, relative to the watched folder.
    void on_change(const fs::path& folder, const fs::path& relative, DWORD action) {
        if (action != FILE_ACTION_ADDED && action != FILE_ACTION_MODIFIED && action != FILE_ACTION_RENAMED_NEW_NAME) return;
        const fs::path path = folder / relative;
        if (!is_export_name(path)) return;
        // Subfolders named with a dot are skipped, as list_exports does.
        for (const auto& part : relative.parent_path())
            if (part.native().starts_with(L".")) return;
        gate_.touch(path, options_.quiet_period_s);
    }

    Options options_;
    detail::StabilityGate gate_;
    asio::steady_timer recheck_;
    std::vector<std::unique_ptr<Folder>> folders_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for handlers queued before stop()
};

}  // namespace

std::unique_ptr<Watcher> make_read_directory_watcher(asio::io_context& io, const Options& options, Watcher::OnReady on_ready) {
    return std::make_unique<ReadDirectoryWatcher>(io, options, std::move(on_ready));
}

}  // namespace mixscout::watch
#endif
