#include "history/pipeline.hpp"

#include "config/config.hpp"
#include "core/error.hpp"

namespace mixscout::history {

StoreOptions store_options(const config::Config& cfg) {
    StoreOptions o;
    o.busy_timeout_ms = cfg.settings().history.busy_timeout_ms;
    o.reference.tonal_min_db = cfg.settings().history.reference.tonal_min_db;
    o.reference.tonal_important_db =
        cfg.settings().history.reference.tonal_important_db;
    o.reference.plr_min_db = cfg.settings().history.reference.plr_min_db;
    o.reference.width_min_db = cfg.settings().history.reference.width_min_db;
    o.compare.min_change_db = cfg.settings().stop.min_change_db;
    o.compare.max_iterations = cfg.settings().stop.max_iterations;
    o.compare.focus = review::area_or_throw(cfg.settings().focus, "focus");
    for (const auto& [pattern, song] : cfg.settings().songs.rename) o.rename.push_back(RenameRule{pattern, song});
    SongNamer check(o.rename);  // a bad regex is a config error: report it now, not per export
    return o;
}

std::filesystem::path resolve_data_dir(const std::filesystem::path& flag, const config::Config& cfg) {
    if (!flag.empty()) return flag;
    const auto configured = cfg.settings().history.data_dir;
    if (!configured.empty()) return configured;
    return default_data_dir();
}

IngestResult review_export(Store& store, std::int64_t export_id, const config::Config& cfg,
                           const review::Measurements* now) {
    const StoredExport stored = store.load_export(export_id);
    std::optional<StoredExport> previous;
    if (const auto prev_id = store.previous_export(export_id)) previous = store.load_export(*prev_id);
    std::optional<double> previous_change;
    if (previous && !previous->item.verdict.empty() && previous->item.verdict != "first")
        previous_change = previous->item.change_db;
    const review::Context ctx{cfg,
                              store.reference_analyses(stored.item.song),
                              store.options().reference,
                              store.options().compare,
                              stored.item.iteration,
                              previous ? &previous->measurements : nullptr,
                              previous_change};
    review::Review r = review::review(now ? *now : stored.measurements, ctx);
    // The listener's vote on the previous export (/mixscout/ears) against what its numbers said.
    if (previous)
        if (const auto numbers = review::parse_verdict(previous->item.verdict))
            review::apply_ears(r.comparison, *numbers, store.ears(previous->item.export_id), previous->item.iteration);
    IngestResult out;
    out.record = ExportRecord{export_id, stored.item.song, stored.item.iteration, false};
    out.issues = std::move(r.issues);
    out.comparison = std::move(r.comparison);
    out.comparison.export_id = export_id;
    if (previous) out.comparison.previous_export_id = previous->item.export_id;
    return out;
}

review::Measurements measurements_of(const analysis::Analysis& analysis, const IngestInput& in) {
    review::Measurements m;
    m.analysis = analysis;
    m.profile = in.profile;
    m.stems = in.stems;
    m.stem_issues = in.stem_issues;
    m.stems_measured = in.stems_measured;
    return m;
}

IngestResult ingest(Store& store, const std::filesystem::path& file, const analysis::Analysis& analysis,
                    const config::Config& cfg, const IngestInput& in) {
    const review::Measurements m = measurements_of(analysis, in);
    ExportMeta meta;
    meta.role = in.role;
    if (!meta.role && review::is_master_profile(cfg, in.profile)) meta.role = review::Role::master;
    meta.profile = in.profile;
    meta.stems = in.stems;
    meta.stem_issues = in.stem_issues;
    meta.stems_measured = in.stems_measured;
    meta.size_bytes = in.size_bytes;
    // The judgement at the time, kept with the export for the record.
    const std::string song_name = in.song.empty() ? store.song_for(file) : in.song;
    const review::Context now_ctx{cfg, store.reference_analyses(song_name), store.options().reference,
                                  store.options().compare};
    const auto issues_now = review::judge(m, now_ctx);
    const ExportRecord rec = in.hash.empty()
                                 ? store.record_export(file, analysis, issues_now, in.kind, in.song, meta)
                                 : store.record_export_hashed(file, in.hash, analysis, issues_now, in.kind, in.song, meta);
    IngestResult r = review_export(store, rec.export_id, cfg, rec.is_new ? nullptr : &m);
    r.record = rec;
    store.set_verdict(rec.export_id, r.comparison.verdict,
                      r.comparison.verdict == review::Verdict::first ? std::nullopt : std::optional(r.comparison.change_db));
    return r;
}

std::optional<IngestResult> try_ingest(const std::filesystem::path& data_dir_flag, const config::Config& cfg,
                                       const StoreOptions& options, const std::filesystem::path& file,
                                       const analysis::Analysis& analysis, const IngestInput& input,
                                       std::string& warning) {
    try {
        auto store = Store::open(resolve_data_dir(data_dir_flag, cfg), options);
        return ingest(store, file, analysis, cfg, input);
    } catch (const StoreError& e) {
        warning = std::string("history not saved: ") + e.what();
    } catch (const InputError& e) {  // e.g. the file vanished before it could be hashed
        warning = std::string("history not saved: ") + e.what();
    }
    return std::nullopt;
}

nlohmann::json to_json(const ExportRecord& record) {
    return {{"export_id", record.export_id},
            {"song", record.song},
            {"iteration", record.iteration},
            {"is_new", record.is_new}};
}

}  // namespace mixscout::history
