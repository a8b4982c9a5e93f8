#include "app/daemon_pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cerrno>
#include <system_error>
#include <regex>

#include <fcntl.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include "analysis/analyzer.hpp"
#include "app/report_writer.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "core/format.hpp"
#include "core/log.hpp"
#include "history/pipeline.hpp"
#include "rules/rules.hpp"
#include "stems/naming.hpp"
#include "stems/stems.hpp"

namespace mixscout::app {

namespace fs = std::filesystem;

namespace {

/// The set name shared by stems "My Song 3-Bass", "My Song 4-Keys" -> "My Song".
std::string set_name(const std::vector<fs::path>& stems) {
    if (stems.empty()) return {};
    std::string prefix = stems.front().stem().string();
    for (const auto& s : stems) {
        const std::string n = s.stem().string();
        std::size_t k = 0;
        while (k < prefix.size() && k < n.size() && prefix[k] == n[k]) ++k;
        prefix.resize(k);
    }
    // Cut back to before the track number: "My Song 1" of "My Song 1-Kick"/"My Song 12-Bass" -> "My Song".
    while (!prefix.empty() && (std::isdigit(static_cast<unsigned char>(prefix.back())) || prefix.back() == ' ' ||
                               prefix.back() == '-'))
        prefix.pop_back();
    return prefix.empty() ? stems.front().parent_path().filename().string() : prefix;
}

/// Opens the database if it is not open yet. Caller holds access.mutex. Throws StoreError.
void ensure_open(const config::Config& cfg, StoreAccess& access) {
    if (access.store) return;
    try {
        access.store.emplace(history::Store::open(access.data_dir, history::store_options(cfg)));
        log::info("history: " + access.store->file().string() + " is available again");
        access.error.clear();
    } catch (const StoreError& e) {
        access.error = e.what();
        throw;
    }
}

/// Records the kept exports, oldest first. Caller holds access.mutex. Throws StoreError.
std::size_t record_kept_locked(const config::Config& cfg, StoreAccess& access) {
    ensure_open(cfg, access);
    std::size_t n = 0;
    while (!access.unrecorded.empty()) {
        const auto& u = access.unrecorded.front();
        const auto r = history::ingest(*access.store, u.path, u.analysis, cfg, u.input);
        log::info("recorded " + u.path.filename().string() + " (kept while the history was unavailable): " + r.record.song +
                  " #" + std::to_string(r.record.iteration));
        access.unrecorded.pop_front();
        ++n;
    }
    return n;
}

/// Keeps an export the database refused, with its content hash as it is now. Caller holds
/// access.mutex. False when it cannot be kept (the file is gone already).
bool keep_unrecorded(StoreAccess& access, const fs::path& path, const analysis::Analysis& a, history::IngestInput input) {
    try {
        if (input.hash.empty()) input.hash = history::content_hash(path);
    } catch (const InputError& e) {
        log::warn(std::string("not kept for the history: ") + e.what());
        return false;
    }
    if (access.unrecorded.size() >= StoreAccess::kMaxUnrecorded) {
        log::warn("history: " + access.unrecorded.front().path.string() +
                  " no longer kept in memory (too many unrecorded); the next start's scan finds it");
        access.unrecorded.pop_front();
    }
    access.unrecorded.push_back({path, a, std::move(input)});
    return true;
}

}  // namespace

std::size_t record_unrecorded(const config::Config& cfg, StoreAccess& access) {
    std::lock_guard lock(access.mutex);
    if (access.unrecorded.empty()) return 0;
    return record_kept_locked(cfg, access);
}

void fill_outcome(Outcome& out, const history::IngestResult& r) {
    out.song = r.record.song;
    out.iteration = r.record.iteration;
    out.export_id = r.record.export_id;
    out.is_new = r.record.is_new;
    out.fixes = osc::top_fixes(r.comparison.next);
    out.verdict = std::string(review::to_string(r.comparison.verdict));
    out.summary = r.comparison.summary;
    out.stop_reason.clear();
    if (r.comparison.stop.fired)
        out.stop_reason = r.comparison.stop.message.empty() ? "Ready to master" : r.comparison.stop.message;
}

std::optional<Outcome> review_latest(const config::Config& cfg, StoreAccess& access) {
    std::lock_guard lock(access.mutex);
    if (!access.store) return std::nullopt;
    const auto id = access.store->latest_export_id();
    if (!id) return std::nullopt;
    const auto r = history::review_export(*access.store, *id, cfg);
    Outcome out;
    out.path = access.store->load_export(*id).item.path;
    fill_outcome(out, r);
    out.status = "re-judged " + std::filesystem::path(out.path).filename().string() + ": " + out.song + " #" +
                 std::to_string(out.iteration) + ", focus " + std::string(review::to_string(r.comparison.focus)) + ", " +
                 std::to_string(out.fixes.size()) + " fixes";
    return out;
}

Outcome process_export(const Job& job, const config::Config& cfg, StoreAccess& access) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string profile = cfg.settings().watch.profile;

    std::optional<stems::StemsReport> stems_report;
    if (!job.stems.empty()) {
        stems_report = stems::analyze_stems(job.stems, cfg);
        for (const auto& e : stems_report->errors) log::warn("stems: " + e.message);
    }

    Outcome out;
    if (job.kind == Job::Kind::stems_only) {
        out.path = job.stems.front().parent_path().string();
        out.song = set_name(job.stems);
        out.iteration = 0;  // not stored: there is no mix to file the run with
        // The same next_fixes rule as every export: the tier of the song's current iteration (its
        // stored mixes; 1 when it has none) and the focus in force.
        int iteration = 1;
        review::Area focus = history::store_options(cfg).compare.focus;
        {
            std::lock_guard lock(access.mutex);
            if (access.store) {
                focus = access.store->options().compare.focus;
                try {
                    int mixes = 0;
                    for (const auto& it : access.store->history(out.song)) mixes += it.role == "mix" ? 1 : 0;
                    iteration = std::max(1, mixes);
                } catch (const StoreError& e) {
                    log::warn(std::string("stems run: iteration unknown, judged as the first: ") + e.what());
                }
            }
        }
        out.fixes = osc::top_fixes(review::next_fixes(stems_report->issues, iteration, focus));
        out.summary = std::to_string(stems_report->stems.size()) + " stems, " +
                      std::to_string(stems_report->clashes.size()) + " clashes; next fixes for iteration " +
                      std::to_string(iteration);
        out.status = "stems of " + out.song + ": " + out.summary;
        return out;
    }

    // One kernel thread per analysis: the daemon already runs watch.workers analyses in parallel.
    analysis::AnalyzeOptions options;
    // The hash of the bytes decoded, so the history never files this analysis under another file's.
    analysis::AnalysedExport analysed = analysis::analyze_export(job.file.path, options);
    const analysis::Analysis& a = analysed.analysis;
    std::vector<rules::Issue> issues = rules::evaluate(a, cfg, profile);
    history::IngestInput input;
    input.profile = profile;
    input.hash = std::move(analysed.content_hash);
    input.size_bytes = analysed.size_bytes;
    if (stems_report) {
        issues.insert(issues.end(), stems_report->issues.begin(), stems_report->issues.end());
        rules::rank(issues);
        std::vector<std::string> names;
        for (const auto& s : stems_report->stems) names.push_back(s.name);
        input.stems = std::move(names);
        input.stem_issues = stems_report->issues;
        input.stems_measured = stems_report->measured;
        input.role = review::Role::mix;  // Live's "<Set> Master.wav" beside its stems is the mix
    }

    out.path = job.file.path.string();
    const std::string concealed = analysis::concealed_warning(a);
    if (!concealed.empty()) out.warning = job.file.path.filename().string() + ": " + concealed;
    double report_ms = 0.0;
    std::lock_guard lock(access.mutex);
    try {
        record_kept_locked(cfg, access);  // exports kept while the database failed come first
        auto r = history::ingest(*access.store, job.file.path, a, cfg, input);
        fill_outcome(out, r);
        // The report of every export, beside the history; a report that cannot be written
        // only costs the picture, never the fixes.
        try {
            const auto rt0 = std::chrono::steady_clock::now();
            report::ReportInput in = gather_report(a, r.issues, cfg, profile, &*access.store, &r, stems_report, std::nullopt);
            in.generated_at = utc_now_iso8601();
            const fs::path path = daemon_report_path(access.store->file().parent_path(), r.record.song, r.record.iteration);
            write_text_file(path, report::render_html(in));
            out.report_path = path.string();
            report_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - rt0).count();
        } catch (const std::exception& e) {
            log::warn(std::string("report not written: ") + e.what());
        }
    } catch (const StoreError& e) {
        log::error(e.what());
        const bool kept = keep_unrecorded(access, job.file.path, a, input);
        out.not_recorded = job.file.path.filename().string() + ": analysed, not recorded in the history: " +
                           StoreError::describe(e.kind()) + (kept ? "; kept until the history can be written" : "");
        out.song = job.file.path.stem().string();
        out.fixes = osc::top_fixes(review::next_fixes(issues, 1, history::store_options(cfg).compare.focus));
        out.verdict = "first";
        out.summary = std::string("history unavailable: ") + StoreError::describe(e.kind());
    }
    // The device shows the verdict's summary with the fixes: the caveat goes with them.
    if (!concealed.empty()) out.summary += (out.summary.empty() ? "" : "; ") + concealed;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    out.status = "analysed " + job.file.path.filename().string() + ": " + out.song + " #" +
                 std::to_string(out.iteration) + ", " + (out.verdict.empty() ? "-" : out.verdict) + ", " +
                 std::to_string(out.fixes.size()) + " fixes" + (stems_report ? ", with stems" : "") + " (" +
                 std::to_string(static_cast<int>(ms)) + " ms" + (report_ms > 0 ? ", report " + std::to_string(static_cast<int>(report_ms)) + " ms" : "") +
                 (out.is_new ? "" : ", already in history") + ")" + (concealed.empty() ? "" : "; " + concealed);
    return out;
}

std::string add_reference(const fs::path& file, StoreAccess& access) {
    const analysis::Analysis a = analysis::analyze_file(file);
    std::lock_guard lock(access.mutex);
    if (!access.store) throw StoreError("history unavailable: " + access.error);
    const std::string song = access.store->current_song().value_or("");
    access.store->add_reference(file, a, song);
    return song;
}

namespace {

/// A song name as one safe folder name: no separators, no control characters, no dot names.
std::string folder_name(const std::string& song) {
    std::string out;
    for (const unsigned char c : song) out += (c < 0x20 || c == 0x7f || std::string_view("/\\:*?\"<>|").find(static_cast<char>(c)) != std::string_view::npos) ? '_' : static_cast<char>(c);
    while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
    if (out.empty() || out == "." || out == "..") out = "unnamed song";
    return out.substr(0, 120);
}

}  // namespace

fs::path reserve_master_file(const fs::path& folder, const std::string& stem) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw InputError(folder.string() + ": cannot create the masters folder: " + ec.message());
    for (int n = 1; n <= 9999; ++n) {
        const fs::path candidate = folder / (stem + (n == 1 ? " (master).wav" : " (master " + std::to_string(n) + ").wav"));
        // Exclusive create: the name is ours or it is taken; a master is never written over. O_EXCL,
        // not fopen's "x", which Windows' C runtime ignores (it would truncate the earlier master).
#ifdef _WIN32
        const int fd = ::_wopen(candidate.c_str(), _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT,
                                _S_IREAD | _S_IWRITE);
        if (fd >= 0 && ::_close(fd) == 0) return candidate;
#else
        const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 && ::close(fd) == 0) return candidate;
#endif
        if (errno != EEXIST) throw InputError(candidate.string() + ": cannot create the master: " + std::generic_category().message(errno));
    }
    throw InputError(folder.string() + ": no free name for another master of " + stem);
}

master::MasterReport master_mix(const fs::path& mix, const fs::path& masters_dir, StoreAccess& access,
                                const master::ProgressCallback& progress) {
    std::vector<fs::path> references;
    std::string song;
    {
        std::lock_guard lock(access.mutex);
        if (!access.store) throw StoreError("history unavailable: " + access.error);
        song = access.store->song_for(mix);
        for (const auto& r : access.store->references(song)) references.emplace_back(r.path);
        if (references.empty())
            for (const auto& r : access.store->references()) references.emplace_back(r.path);
    }
    if (references.empty())
        throw InputError(mix.filename().string() + ": no reference tracks stored (send /mixscout/reference first)");
    const fs::path output = reserve_master_file(masters_dir / folder_name(song), mix.stem().string());
    try {
        return master::master_file(mix, references, output, {}, progress);
    } catch (...) {
        std::error_code ec;
        fs::remove(output, ec);  // the reserved name, empty or half written
        throw;
    }
}

}  // namespace mixscout::app
