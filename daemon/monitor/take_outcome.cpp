#include "monitor/take_outcome.hpp"

#include <chrono>
#include <ctime>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "history/pipeline.hpp"
#include "history/store.hpp"
#include "rules/rules.hpp"

namespace mixscout::monitor {

namespace {

std::string utc_stamp() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    const std::tm tm = utc_tm(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H.%M.%S", &tm);
    return buf;
}

}  // namespace

TakeOutcome process_take(const Take& take, const config::Config& cfg, const std::string& profile,
                         history::Store* store, const std::string& song_flag, const std::filesystem::path& data_dir) {
    TakeOutcome out;
    std::vector<rules::Issue> issues = rules::evaluate(take.analysis, cfg, profile);
    std::string song = song_flag;
    if (store) {
        try {
            if (song.empty()) song = store->current_song().value_or("");
        } catch (const StoreError& e) {
            log::error(e.what());
        }
    }
    if (song.empty()) song = "Live take";
    const std::filesystem::path path = data_dir / "live takes" / (song + " " + utc_stamp());
    out.path = path.string();
    out.song = song;
    bool stored = false;
    if (store) {
        try {
            analysis::Analysis a = take.analysis;
            a.path = out.path;
            history::IngestInput in;
            in.profile = profile;
            in.kind = history::ExportKind::live_take;
            in.song = song;
            in.hash = take.hash;
            const auto r = history::ingest(*store, path, a, cfg, in);
            const auto& rec = r.record;
            const auto& cmp = r.comparison;
            issues = r.issues;
            out.song = rec.song;
            out.iteration = rec.iteration;
            out.export_id = rec.export_id;
            out.is_new = rec.is_new;
            out.fixes = osc::top_fixes(cmp.next.empty() ? issues : cmp.next);
            out.verdict = std::string(review::to_string(cmp.verdict));
            out.summary = cmp.summary;
            if (cmp.stop.fired) out.stop_reason = cmp.stop.message.empty() ? "Ready to master" : cmp.stop.message;
            stored = true;
        } catch (const StoreError& e) {
            log::error(e.what());
            out.summary = std::string("history unavailable: ") + e.what();
        }
    } else {
        out.summary = "history unavailable";
    }
    if (!stored) {
        // Without history: a first iteration, by the same tiers and focus as everywhere.
        out.fixes = osc::top_fixes(review::next_fixes(issues, 1, history::store_options(cfg).compare.focus));
        out.verdict = "first";
    }
    char len[32];
    std::snprintf(len, sizeof len, "%.1f s", take.analysis.format.duration_s);
    out.status = "live take of " + out.song + " (" + len + "): #" + std::to_string(out.iteration) + ", " + out.verdict +
                 ", " + std::to_string(out.fixes.size()) + " fixes" + (stored ? "" : " (not stored)");
    return out;
}

}  // namespace mixscout::monitor
