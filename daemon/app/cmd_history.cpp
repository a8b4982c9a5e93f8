// `mixscout history [SONG]`, `note TEXT`, `compare NEW --against OLD`, `reference add|list`.
//
// history    iterations of a song (all songs without SONG): date, issue counts by severity
//            (C/I/P), verdict against the previous iteration, the listener's ears vote (the
//            device's Better / Same / Worse), notes. --json for machines.
// note       a note against the latest export (or --export ID).
// compare    any two files, analysed now with the rules of --config/--profile, nothing stored:
//            improved / moved / new / remaining, verdict, next three, stop signal.
// reference  add FILE [--song NAME]: a reference track (for one song, or for all songs);
//            list: the stored references.
//
// The history database is <data dir>/history.sqlite (history::default_data_dir(); --data-dir or
// history.data_dir in the config moves it). A database that cannot be used (locked, corrupt) is
// one line "mixscout: history database ...: <what>; <what to do>" and exit 1. Bad input files and
// configs are InputErrors: main prints them and exits 2.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.hpp"
#include "analysis/analyzer.hpp"
#include "app/commands.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "history/pipeline.hpp"
#include "history/store.hpp"
#include "review/review.hpp"
#include "rules/rules.hpp"
#include "stems/stems.hpp"

namespace mixscout::app {
namespace {

struct StoreArgs {
    std::string data_dir;
    std::string config;
};

void add_store_options(CLI::App* cmd, StoreArgs& args) {
    cmd->add_option("--data-dir", args.data_dir, "Folder of the history database (default: the per-user data folder)");
    cmd->add_option("--config", args.config, "A user config file (songs.rename, stop.*, history.*)");
}

config::Config load_config(const std::string& file) {
    return file.empty() ? config::Config::defaults() : config::Config::load(file);
}

history::Store open_store(const StoreArgs& args) {
    const auto cfg = load_config(args.config);
    return history::Store::open(history::resolve_data_dir(args.data_dir, cfg), history::store_options(cfg));
}

/// Runs body; a StoreError (an unusable database: bad input) is printed as one line, exit code 2.
template <class F>
void guarded(Context& ctx, F&& body) {
    try {
        body();
    } catch (const StoreError& e) {
        std::fprintf(stderr, "mixscout: %s\n", e.what());
        ctx.exit_code = 2;
    }
}

nlohmann::json item_json(const history::HistoryItem& it) {
    return {{"export_id", it.export_id},
            {"iteration", it.iteration},
            {"song", it.song},
            {"path", it.path},
            {"kind", it.kind},
            {"role", it.role},
            {"version", it.version ? nlohmann::json(*it.version) : nlohmann::json(nullptr)},
            {"date", it.created_at},
            {"content_hash", it.content_hash},
            {"counts", {{"critical", it.critical}, {"important", it.important}, {"polish", it.polish}}},
            {"verdict", it.verdict},
            {"change_db", it.change_db},
            {"notes", it.notes},
            {"ears", it.ears.empty() ? nlohmann::json(nullptr) : nlohmann::json(it.ears)}};
}

void print_song(const std::string& song, const std::vector<history::HistoryItem>& items) {
    std::size_t masters = 0;
    for (const auto& it : items) masters += it.role == "master";
    std::printf("%s: %zu iteration%s%s\n", song.c_str(), items.size() - masters, items.size() - masters == 1 ? "" : "s",
                masters ? (", " + std::to_string(masters) + " master" + (masters == 1 ? "" : "s")).c_str() : "");
    std::printf("  %4s %6s  %-17s %-8s %-24s %-6s %s\n", "#", "id", "date (UTC)", "C/I/P", "verdict", "ears", "file");
    for (const auto& it : items) {
        std::string date = it.created_at.substr(0, 16);
        if (date.size() > 10) date[10] = ' ';
        const std::string counts =
            std::to_string(it.critical) + "/" + std::to_string(it.important) + "/" + std::to_string(it.polish);
        const std::string file = std::filesystem::path(it.path).filename().string() +
                                 (it.kind == "live_take" ? " (live take)" : "");
        const std::string number = (it.role == "master" ? "M" : "") + std::to_string(it.iteration);
        std::printf("  %4s %6lld  %-17s %-8s %-24s %-6s %s\n", number.c_str(), static_cast<long long>(it.export_id),
                    date.c_str(), counts.c_str(), it.verdict.c_str(), it.ears.empty() ? "-" : it.ears.c_str(),
                    file.c_str());
        for (const auto& n : it.notes) std::printf("  %4s %6s  note: %s\n", "", "", n.c_str());
    }
}

void add_history(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("history", "Iterations of a song (all songs without SONG): date, issues, verdict, notes");
    auto args = std::make_shared<StoreArgs>();
    auto song = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("SONG", *song, "Song name (as recognised from export names; case-insensitive)");
    cmd->add_flag("--json", *json, "Print JSON");
    add_store_options(cmd, *args);
    cmd->callback([&ctx, args, song, json] {
        guarded(ctx, [&] {
            const auto cfg = load_config(args->config);
            auto store = open_store(*args);
            std::vector<std::string> names;
            if (!song->empty()) {
                names.push_back(*song);
            } else {
                for (const auto& s : store.songs()) names.push_back(s.song);
            }
            nlohmann::json out = nlohmann::json::array();
            for (const auto& name : names) {
                auto items = store.history(name);
                // Judged again with the config in force: the counts and verdicts it would give now.
                for (auto& it : items) {
                    const auto r = history::review_export(store, it.export_id, cfg);
                    it.critical = it.important = it.polish = 0;
                    for (const auto& i : r.issues)
                        (i.severity == rules::Severity::critical ? it.critical
                         : i.severity == rules::Severity::important ? it.important : it.polish)++;
                    it.verdict = std::string(review::to_string(r.comparison.verdict));
                }
                if (items.empty()) {
                    std::string known;
                    for (const auto& s : store.songs()) known += (known.empty() ? "" : ", ") + s.song;
                    std::fprintf(stderr, "mixscout: no song '%s' in the history at %s (songs: %s)\n", name.c_str(),
                                 store.file().string().c_str(), known.empty() ? "none yet" : known.c_str());
                    ctx.exit_code = 2;
                    return;
                }
                nlohmann::json its = nlohmann::json::array();
                for (const auto& it : items) its.push_back(item_json(it));
                out.push_back({{"song", items.front().song}, {"iterations", its}});
                if (!*json) print_song(items.front().song, items);
            }
            if (*json) {
                std::cout << json_text(song->empty() ? nlohmann::json{{"songs", out}} : out.front(), 2) << "\n";
            } else if (names.empty()) {
                std::printf("No exports in the history yet (%s).\n", store.file().string().c_str());
            }
            ctx.exit_code = 0;
        });
    });
}

void add_note(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("note", "Store a note against the latest export (or --export ID)");
    auto args = std::make_shared<StoreArgs>();
    auto text = std::make_shared<std::string>();
    auto export_id = std::make_shared<std::int64_t>(0);
    cmd->add_option("TEXT", *text, "The note")->required();
    auto* id_opt = cmd->add_option("--export", *export_id, "Export id (see `mixscout history`)");
    add_store_options(cmd, *args);
    cmd->callback([&ctx, args, text, export_id, id_opt] {
        guarded(ctx, [&] {
            auto store = open_store(*args);
            const auto id = store.add_note(*text, id_opt->count() ? std::optional(*export_id) : std::nullopt);
            const auto e = store.load_export(id);
            std::printf("Note stored against export %lld (%s, iteration %d)\n", static_cast<long long>(id),
                        e.item.song.c_str(), e.item.iteration);
            ctx.exit_code = 0;
        });
    });
}

struct CompareArgs {
    std::string newer, older, config_file, profile, stems_dir, against_stems_dir, data_dir, focus, fail_on;
    bool json = false, all = false;
    std::size_t top_n = 3;
};

/// One side of `compare`: the file analysed now, and its stems run if given.
review::Measurements measure_side(const std::string& file, const std::string& stems_dir, const std::string& profile,
                                  const config::Config& cfg) {
    review::Measurements m;
    m.analysis = analysis::analyze_file(file);
    m.profile = profile;
    if (!stems_dir.empty()) {
        std::vector<std::filesystem::path> files;
        std::error_code ec;
        for (const auto& f : stems::collect_stem_files({stems_dir}))
            if (!std::filesystem::equivalent(f, file, ec)) files.push_back(f);
        const auto report = stems::analyze_stems(files, cfg);
        std::vector<std::string> names;
        for (const auto& st : report.stems) names.push_back(st.name);
        m.stems = std::move(names);
        m.stem_issues = report.issues;
        m.stems_measured = report.measured;
    }
    return m;
}

void add_compare(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("compare", "Compare two files (analysed now, nothing stored): what improved, "
                                              "what is new, verdict, next fixes");
    auto a = std::make_shared<CompareArgs>();
    cmd->add_option("NEW", a->newer, "The newer export")->required();
    cmd->add_option("--against", a->older, "The older export to compare with")->required();
    cmd->add_option("--stems", a->stems_dir, "Folder of the newer export's stems");
    cmd->add_option("--against-stems", a->against_stems_dir, "Folder of the older export's stems");
    cmd->add_option("--config", a->config_file, "A user config file (rules, stop.*, focus)");
    cmd->add_option("--profile", a->profile, "Delivery profile the rules judge against (default: watch.profile, mix)");
    cmd->add_option("--data-dir", a->data_dir, "Folder of the history database (the song's reference tracks)");
    cmd->add_flag("--json", a->json, "Print JSON");
    add_focus_options(cmd, a->focus, a->all, a->top_n, a->fail_on);
    cmd->callback([&ctx, a] {
        const auto cfg = load_config(a->config_file);
        const std::string prof = a->profile.empty() ? cfg.settings().watch.profile : a->profile;
        auto opts = history::store_options(cfg);
        if (!a->focus.empty()) opts.compare.focus = review::area_or_throw(a->focus, "--focus");
        const auto before = measure_side(a->older, a->against_stems_dir, prof, cfg);
        const auto after = measure_side(a->newer, a->stems_dir, prof, cfg);
        // The song's references, as the history knows them (both sides are judged against them).
        std::vector<analysis::Analysis> refs;
        try {
            auto store = history::Store::open(history::resolve_data_dir(a->data_dir, cfg), opts);
            refs = store.reference_analyses(store.song_for(a->newer));
        } catch (const StoreError& e) {
            std::fprintf(stderr, "mixscout: warning: no reference tracks: %s\n", e.what());
        }
        // Two files are two iterations: the tier of iteration 2 (critical first).
        const review::Context rc{cfg, refs, opts.reference, opts.compare, 2, &before, std::nullopt};
        const review::Review r = review::review(after, rc);
        const auto& c = r.comparison;
        if (a->json) {
            nlohmann::json issues = nlohmann::json::array();
            for (const auto& i : r.issues) issues.push_back(rules::to_json(i));
            std::cout << json_text(nlohmann::json{{"new", a->newer}, {"against", a->older},
                                                  {"comparison", review::to_json(c)}, {"issues", issues}},
                                   2)
                      << "\n";
        } else {
            std::printf("%s\n  against %s\n", a->newer.c_str(), a->older.c_str());
            std::fputs(review::format_text(c).c_str(), stdout);
            const std::size_t n = a->all ? r.issues.size() : std::min(a->top_n, r.issues.size());
            if (a->all || a->top_n != 3) {
                std::printf("All issues, ranked:\n");
                for (std::size_t i = 0; i < n; ++i)
                    std::printf("  %s\n", rules::summary_line(r.issues[i], static_cast<int>(i) + 1).c_str());
            }
        }
        ctx.exit_code = fail_on_exit_code(r.issues, a->fail_on);
    });
}

void add_reference(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("reference", "Reference tracks: add FILE [--song NAME] | list");
    cmd->require_subcommand(1);

    auto* add = cmd->add_subcommand("add", "Store a reference track (analysed now) for a song, or for all songs");
    auto args = std::make_shared<StoreArgs>();
    auto file = std::make_shared<std::string>();
    auto song = std::make_shared<std::string>();
    add->add_option("FILE", *file, "The reference track")->required();
    add->add_option("--song", *song, "The song it is a reference for (default: every song)");
    add_store_options(add, *args);
    add->callback([&ctx, args, file, song] {
        const auto a = analysis::analyze_file(*file);  // bad file: InputError before touching the store
        guarded(ctx, [&] {
            auto store = open_store(*args);
            const auto id = store.add_reference(*file, a, *song);
            std::printf("Reference %lld: %s (%.1f LUFS integrated, PLR %.1f dB) for %s\n", static_cast<long long>(id),
                        file->c_str(), a.loudness.integrated_lufs, a.dynamics.plr_db,
                        song->empty() ? "every song" : ("'" + *song + "'").c_str());
            ctx.exit_code = 0;
        });
    });

    auto* list = cmd->add_subcommand("list", "The stored reference tracks");
    auto largs = std::make_shared<StoreArgs>();
    auto lsong = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    list->add_option("--song", *lsong, "Only the references of this song");
    list->add_flag("--json", *json, "Print JSON");
    add_store_options(list, *largs);
    list->callback([&ctx, largs, lsong, json] {
        guarded(ctx, [&] {
            auto store = open_store(*largs);
            const auto refs = store.references(*lsong);
            if (*json) {
                nlohmann::json out = nlohmann::json::array();
                for (const auto& r : refs)
                    out.push_back({{"reference_id", r.reference_id},
                                   {"path", r.path},
                                   {"song", r.song.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.song)},
                                   {"date", r.created_at},
                                   {"integrated_lufs", r.integrated_lufs}});
                std::cout << json_text(nlohmann::json{{"references", out}}, 2) << "\n";
            } else if (refs.empty()) {
                std::printf("No reference tracks yet: mixscout reference add FILE [--song NAME]\n");
            } else {
                for (const auto& r : refs)
                    std::printf("%4lld  %-20s %6.1f LUFS  %s\n", static_cast<long long>(r.reference_id),
                                r.song.empty() ? "(every song)" : r.song.c_str(), r.integrated_lufs, r.path.c_str());
            }
            ctx.exit_code = 0;
        });
    });
}

}  // namespace

void add_history_commands(CLI::App& app, Context& ctx) {
    add_history(app, ctx);
    add_note(app, ctx);
    add_compare(app, ctx);
    add_reference(app, ctx);
}

}  // namespace mixscout::app
