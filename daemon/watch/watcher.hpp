// mixscout watch: notice finished exports in Live's export folders.
//
// A backend (inotify on Linux, ReadDirectoryChangesW on Windows, polling anywhere) reports "this file changed"; the shared
// StabilityGate then decides when it is complete: its size and mtime unchanged for a quiet
// period AND its header complete (a WAV/AIFF whose RIFF/FORM size matches the file, a FLAC
// whose STREAMINFO has its sample count). Only then is on_ready called, once per completion.
// A file that keeps changing keeps waiting; one whose header stays incomplete is retried until
// it has not changed for give_up_s, then reported as truncated in the log and skipped.
//
// Folders: a watched folder that is deleted, or moved away, is no longer watched; the watcher
// then looks for it again every missing_recheck_s (one stat per missing folder) and watches it
// again, with the files already in it, as soon as a folder exists at that path again. The
// windows backend also checks every watched folder that often (one open: is the folder at its
// path still the one it watches?), since Windows tells no watcher about a folder moved away.
// folder_status() says which folders are being watched right now.
//
// Recursive watches do not follow symbolic links to folders inside the tree (no loops, nothing
// outside the watched folder); a watched folder that is itself a link is followed, since the user
// named it. At most max_folders folders (and max_entries files when listing) per watch, so a
// huge tree costs a bounded start-up (the rest is skipped with a warning).
//
// Names that are never exports: dotfiles, Live's .asd analysis files, temporary names (~, .tmp,
// .part, #...#, .crdownload, .download, .partial), and anything not an audio extension.
//
// Threading: everything runs on the io_context given to make_watcher (the daemon's I/O thread);
// on_ready is called there and must return quickly (queue the work elsewhere).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace mixscout::watch {

/// A file as seen at one moment: the dedupe key of an export (path + size + mtime).
struct FileState {
    std::filesystem::path path;
    std::uintmax_t size = 0;
    std::int64_t mtime_ns = 0;  ///< since 1970-01-01 UTC
    bool operator==(const FileState&) const = default;
};

/// stat() without throwing; false when the file is gone or not a regular file.
bool stat_file(const std::filesystem::path& path, FileState& out);

/// True for names that can be an export (audio extension, not a dotfile/.asd/temp name).
bool is_export_name(const std::filesystem::path& path);

enum class HeaderState {
    complete,    ///< the header's sizes match the file (or the format carries no size to check)
    incomplete,  ///< the header promises more than the file holds, or is still a placeholder
    unreadable,  ///< cannot open / too short to hold a header yet
    unsized,     ///< a format whose header declares no length (MP3, Ogg): only stability can tell
};
/// Reads the first bytes (and walks RIFF/AIFF chunk headers; a few small reads, no decoding).
HeaderState check_header(const std::filesystem::path& path, std::uintmax_t size);

struct Options {
    std::vector<std::filesystem::path> folders;
    bool recursive = false;
    std::string backend = "auto";  ///< auto | inotify | windows | polling (auto: inotify on Linux, windows on Windows)
    double settle_s = 0.1;         ///< inotify: unchanged this long after the writer closed it
    double quiet_period_s = 1.0;   ///< polling, windows: unchanged this long (size + mtime)
    double poll_interval_s = 0.5;  ///< polling: how often the folders are listed
    double give_up_s = 120.0;      ///< incomplete header and unchanged this long: skip (logged)
    /// MP3/Ogg carry no length to check, and a writer that closes the file per chunk looks
    /// finished after every chunk: those must stay unchanged this long (at least), whatever the
    /// backend's own quiet period.
    double unsized_quiet_s = 2.0;
    double missing_recheck_s = 1.0;       ///< a deleted/moved watched folder: look for it this often
    std::size_t max_folders = 4096;       ///< recursive: folders watched per watched folder, at most
    std::size_t max_entries = 200000;     ///< list_exports: directory entries read per folder, at most
    /// Told about a file skipped after give_up_s, with the one-line reason (on the I/O thread).
    std::function<void(const std::filesystem::path& path, const std::string& why)> on_give_up;
};

/// Default export folder per OS (see README "Running the daemon"):
///   Linux:   ~/Music/Ableton/Exports     macOS: ~/Music/Ableton/Exports
///   Windows: %USERPROFILE%\Music\Ableton\Exports
std::filesystem::path default_export_folder();

class Watcher {
public:
    using OnReady = std::function<void(const FileState& file)>;
    virtual ~Watcher() = default;
    virtual std::string_view backend() const = 0;
    /// Feeds a path to the stability gate as if it had just changed (start-up scan, retries
    /// after a decoder reported truncation). delay_s < 0: the backend's own quiet period.
    virtual void check(const std::filesystem::path& path, double delay_s = -1.0) = 0;
    /// Files currently waiting to become complete.
    virtual std::size_t pending() const = 0;
    struct FolderStatus {
        std::filesystem::path path;  ///< as given in Options::folders
        bool watched = false;        ///< false: deleted or moved away; watched again when it is back
    };
    /// The watched folders (Options::folders, in order) and whether each is watched now: what
    /// the heartbeat reports ("watching 1 of 2 folder(s)").
    virtual std::vector<FolderStatus> folder_status() const = 0;
    /// How many of the folders are watched now.
    std::size_t watched_count() const;
    /// Stops watching; no on_ready after this returns.
    virtual void stop() = 0;
};

/// Creates the folders if missing and starts watching. Throws InputError on an unknown backend,
/// inotify or windows on a platform without it, or a folder that cannot be created/watched.
std::unique_ptr<Watcher> make_watcher(boost::asio::io_context& io, const Options& options, Watcher::OnReady on_ready);

/// Every export-named regular file in the folders now (recursive per options), sorted.
std::vector<std::filesystem::path> list_exports(const Options& options);

}  // namespace mixscout::watch
