#include "history/pipeline.hpp"

#include "config/config.hpp"
#include "core/error.hpp"

namespace mixscout::history {

StoreOptions store_options(const config::Config& cfg) {
    StoreOptions o;
    o.busy_timeout_ms = cfg.get_or<int>("history.busy_timeout_ms", o.busy_timeout_ms);
    o.reference.tonal_min_db = cfg.get_or<double>("history.reference.tonal_min_db", o.reference.tonal_min_db);
    o.reference.tonal_important_db =
        cfg.get_or<double>("history.reference.tonal_important_db", o.reference.tonal_important_db);
    o.reference.plr_min_db = cfg.get_or<double>("history.reference.plr_min_db", o.reference.plr_min_db);
    o.reference.width_min_db = cfg.get_or<double>("history.reference.width_min_db", o.reference.width_min_db);
    o.compare.min_change_db = cfg.get_or<double>("stop.min_change_db", o.compare.min_change_db);
    o.compare.max_iterations = cfg.get_or<int>("stop.max_iterations", o.compare.max_iterations);
    if (cfg.has("songs.rename")) {
        const YAML::Node rename = cfg.node("songs.rename");
        if (rename.IsMap())
            for (auto it = rename.begin(); it != rename.end(); ++it)
                o.rename.push_back(RenameRule{it->first.as<std::string>(), it->second.as<std::string>()});
    }
    SongNamer check(o.rename);  // a bad regex is a config error: report it now, not per export
    return o;
}

std::filesystem::path resolve_data_dir(const std::filesystem::path& flag, const config::Config& cfg) {
    if (!flag.empty()) return flag;
    const auto configured = cfg.get_or<std::string>("history.data_dir", "");
    if (!configured.empty()) return configured;
    return default_data_dir();
}

IngestResult ingest(Store& store, const std::filesystem::path& file, const analysis::Analysis& analysis,
                    std::vector<rules::Issue> issues, ExportKind kind, const std::string& song) {
    IngestResult r;
    const std::string song_name = song.empty() ? store.song_for(file) : song;
    r.issues = apply_references(std::move(issues), analysis, store.reference_analyses(song_name),
                                store.options().reference);
    r.record = store.record_export(file, analysis, r.issues, kind, song);
    r.comparison = store.compare_with_previous(r.record.export_id);
    if (!r.record.is_new) {
        // Identical content to a stored export: report what is stored for it.
        r.issues = store.load_export(r.record.export_id).issues;
    }
    return r;
}

std::optional<IngestResult> try_ingest(const std::filesystem::path& data_dir_flag, const config::Config& cfg,
                                       const std::filesystem::path& file, const analysis::Analysis& analysis,
                                       std::vector<rules::Issue> issues, std::string& warning) {
    try {
        auto store = Store::open(resolve_data_dir(data_dir_flag, cfg), store_options(cfg));
        return ingest(store, file, analysis, std::move(issues));
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
