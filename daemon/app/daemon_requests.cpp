// The device's requests, routed by the service (daemon.cpp: Impl::routes). They arrive on the
// I/O thread; whatever touches the database runs on the store thread, one request after the
// other, so a locked database delays these replies (in their order) but never the I/O thread.
#include <cctype>

#include "app/daemon_impl.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "review/comparison.hpp"

namespace mixscout::app {

namespace fs = std::filesystem;

void Daemon::Impl::on_note(const std::string& text) {
    on_store_thread([this, text] {
        std::int64_t id = 0;
        try {
            std::lock_guard lock(store.mutex);
            if (!store.store) throw StoreError("history unavailable: " + store.error);
            id = store.store->add_note(text);
        } catch (const std::exception& e) {
            svc.report_error(std::string("note not stored: ") + e.what());
            return;
        }
        log::info("note stored against export " + std::to_string(id));
        svc.sender().send("/mixscout/note_logged", static_cast<std::int32_t>(id));
    });
}

// The listener's vote on the latest export. Ears worse while its numbers said better: the
// verdict is sent again with the advice (review::ears_advice), and kept for hello replies.
void Daemon::Impl::on_ears(const std::string& vote_text) {
    const auto vote = review::parse_ears(vote_text);  // decode() already checked the enum
    if (!vote) return;
    on_store_thread([this, vote, vote_text] {
        std::int64_t id = 0;
        history::StoredExport latest_export;
        try {
            std::lock_guard lock(store.mutex);
            if (!store.store) throw StoreError("history unavailable: " + store.error);
            id = store.store->set_ears(*vote);
            latest_export = store.store->load_export(id);
        } catch (const std::exception& e) {
            svc.report_error(std::string("ears not stored: ") + e.what());
            return;
        }
        log::info("ears '" + vote_text + "' stored against export " + std::to_string(id));
        svc.sender().send("/mixscout/ears_logged", static_cast<std::int32_t>(id), vote_text);
        const auto& it = latest_export.item;
        const auto numbers = review::parse_verdict(it.verdict);
        if (!numbers) return;
        std::string advice = review::ears_advice(*numbers, vote, it.iteration);
        if (advice.empty()) return;
        advice[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(advice[0])));
        const auto verdict = osc::make_message("/mixscout/verdict", it.verdict, advice);
        {
            std::lock_guard lock(latest_mutex);
            for (auto& msg : latest)
                if (msg.address == "/mixscout/verdict") msg = verdict;
        }
        svc.sender().send(verdict);
    });
}

void Daemon::Impl::on_history(const std::string& song_arg) {
    on_store_thread([this, song_arg] {
        std::vector<history::HistoryItem> items;
        std::string song = song_arg;
        try {
            std::lock_guard lock(store.mutex);
            if (!store.store) throw StoreError("history unavailable: " + store.error);
            if (song.empty()) song = store.store->current_song().value_or("");
            if (!song.empty()) items = store.store->history(song);
        } catch (const std::exception& e) {
            svc.report_error(std::string("history: ") + e.what());
            return;
        }
        constexpr std::size_t max_items = 50;  // the newest; the panel shows a few
        const std::size_t first = items.size() > max_items ? items.size() - max_items : 0;
        for (std::size_t i = first; i < items.size(); ++i) {
            const auto& it = items[i];
            const std::string counts = std::to_string(it.critical) + "/" + std::to_string(it.important) + "/" +
                                       std::to_string(it.polish);
            svc.sender().send("/mixscout/history_item", it.iteration, static_cast<std::int32_t>(it.export_id), it.created_at,
                              it.verdict, counts, it.notes.empty() ? std::string() : it.notes.back(), it.ears);
        }
        svc.sender().send("/mixscout/history_end", song, static_cast<std::int32_t>(items.size() - first));
    });
}

void Daemon::Impl::on_focus(const std::string& area) {
    const auto a = review::parse_area(area);
    if (!a) {
        svc.report_error("focus: unknown area '" + area + "' (one of: " + review::area_names(", ") + ")");
        return;
    }
    device_focus = *a;
    log::info("focus: " + std::string(review::to_string(*a)));
    rejudge_latest();
}

void Daemon::Impl::on_file_request(Job::Kind kind, const std::string& path_text) {
    fs::path path = path_text;
    if (path.empty()) {
        if (kind != Job::Kind::analyze_request) {
            svc.report_error("request without a path");
            return;
        }
        // The newest export in the watched folders.
        watch::FileState newest;
        for (const auto& p : watch::list_exports(watch_options)) {
            watch::FileState s;
            if (watch::stat_file(p, s) && (newest.path.empty() || s.mtime_ns > newest.mtime_ns)) newest = s;
        }
        if (newest.path.empty()) {
            svc.report_error("analyze: no export in " + folders_text());
            return;
        }
        path = newest.path;
    }
    // Device requests are bounded apart from exports: a flood of them must not delay a real
    // export by minutes, nor hold up a stop (the audit queued 400).
    // One read: a worker finishing in between must not make the refusal name fewer than the bound.
    if (const int waiting = requests_waiting.load(); waiting >= kMaxRequestsWaiting) {
        svc.report_error(path.filename().string() + ": not queued, " + std::to_string(waiting) + " requests are waiting already");
        return;
    }
    Job job;
    job.kind = kind;
    if (!watch::stat_file(path, job.file)) {
        svc.report_error(path.string() + ": no such file");
        return;
    }
    ++requests_waiting;
    enqueue(std::move(job));
}

}  // namespace mixscout::app
