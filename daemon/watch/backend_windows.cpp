// The Windows backend behind watch::Watcher: ReadDirectoryChangesW on each folder, completed
// through the io_context's I/O completion port (no thread of its own).
//
// Windows reports no "writer closed the file" (inotify's IN_CLOSE_WRITE), so every added,
// renamed-in or modified export enters the stability gate with the polling backend's quiet
// period: unchanged size + mtime for quiet_period_s, then a complete header. A lost batch of
// changes (the buffer overflowed: an empty completion) rescans the folders.
#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>

#include <cstring>
#include <system_error>

#include "core/error.hpp"
#include "core/log.hpp"
#include "watch/gate.hpp"
#include "watch/watcher.hpp"

namespace mixscout::watch {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

std::string last_error_text(DWORD code) { return std::system_category().message(static_cast<int>(code)); }

class ReadDirectoryWatcher final : public Watcher {
public:
    ReadDirectoryWatcher(asio::io_context& io, Options options, OnReady on_ready)
        : options_(std::move(options)), gate_(io, options_, std::move(on_ready)) {
        for (const auto& folder : options_.folders) {
            const HANDLE h = ::CreateFileW(folder.c_str(), FILE_LIST_DIRECTORY,
                                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr);
            if (h == INVALID_HANDLE_VALUE)
                throw InputError("watch folder " + folder.string() + ": cannot open it: " + last_error_text(::GetLastError()));
            auto f = std::make_unique<Folder>(io, folder);
            boost::system::error_code ec;
            f->handle.assign(h, ec);  // binds the handle to the io_context's completion port
            if (ec) {
                ::CloseHandle(h);
                throw InputError("watch folder " + folder.string() + ": " + ec.message());
            }
            folders_.push_back(std::move(f));
        }
        for (auto& f : folders_) read(*f);
    }
    ~ReadDirectoryWatcher() override { stop(); }
    std::string_view backend() const override { return "windows"; }
    void check(const fs::path& path, double delay_s) override {
        gate_.touch(path, delay_s < 0 ? options_.quiet_period_s : delay_s);
    }
    std::size_t pending() const override { return gate_.pending(); }
    /// A folder whose read failed (deleted, moved, unmounted) is not watched any more: unlike the
    /// inotify backend this one does not re-arm yet, and says so to the heartbeat.
    std::vector<FolderStatus> folder_status() const override {
        std::vector<FolderStatus> out;
        for (const auto& f : folders_) {
            std::error_code ec;
            out.push_back({f->path, f->watched && fs::is_directory(f->path, ec)});
        }
        return out;
    }
    void stop() override {
        if (!*alive_) return;
        *alive_ = false;
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
        bool watched = true;  ///< false once its read failed
        // DWORD-aligned, as ReadDirectoryChangesW requires; 64 KiB is its limit over a network share.
        // Shared with the pending read's handler: a cancelled read may complete after the watcher
        // is gone, and the system writes into the buffer until it does.
        std::shared_ptr<std::vector<DWORD>> buffer = std::make_shared<std::vector<DWORD>>(16 * 1024);
    };
    static constexpr DWORD filter = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME |
                                    FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE;

    void read(Folder& f) {
        asio::windows::overlapped_ptr op(f.handle.get_executor(),
                                         [this, &f, alive = alive_, keep = f.buffer](const boost::system::error_code& ec, std::size_t n) {
                                             (void)keep;
                                             if (!*alive) return;
                                             if (ec) {
                                                 f.watched = false;
                                                 log::error("watch: " + f.path.string() + ": " + ec.message() +
                                                            "; no longer watched");
                                                 return;
                                             }
                                             handle(f, n);
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

    void handle(Folder& f, std::size_t n) {
        if (n == 0) {  // more changes than the buffer held: they are lost, look at everything
            log::warn("watch: change buffer of " + f.path.string() + " overflowed; rescanning the folders");
            for (const auto& p : list_exports(options_)) gate_.touch(p, options_.quiet_period_s);
            return;
        }
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
    std::vector<std::unique_ptr<Folder>> folders_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for handlers queued before stop()
};

}  // namespace

std::unique_ptr<Watcher> make_read_directory_watcher(asio::io_context& io, const Options& options, Watcher::OnReady on_ready) {
    return std::make_unique<ReadDirectoryWatcher>(io, options, std::move(on_ready));
}

}  // namespace mixscout::watch
#endif
