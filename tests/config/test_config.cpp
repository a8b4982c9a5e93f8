// Config: shipped defaults as schema, user overlay, and every kind of validation error with the
// line and column where it is (positions established by how each test file is laid out).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "config/config.hpp"
#include "config/config_json.hpp"
#include "support/signals.hpp"
#include "support/text.hpp"

using mixscout::config::Config;
using mixscout::config::ConfigError;
using mixscout::config::Problem;

namespace {

using mixscout::test::write_text;

/// The problems of `text` (empty = valid).
std::vector<Problem> problems_of(const std::string& text) {
    try {
        (void)Config::parse(text, "user.yaml");
    } catch (const ConfigError& e) {
        return e.problems();
    }
    return {};
}

}  // namespace

TEST(ConfigDefaults, ShippedFileIsValidAgainstItself) {
    // Every default satisfies its own annotations (ranges, enumerations, severities).
    EXPECT_TRUE(problems_of(std::string(mixscout::config::shipped_yaml())).empty());
}

TEST(ConfigDefaults, PublishedPlatformFiguresAreTheDefaults) {
    const Config c = Config::defaults();
    // Spotify for Artists: -14 LUFS, -1 dBTP. EBU R128: -23 LUFS, -1 dBTP. Apple Sound Check: -16 LUFS.
    EXPECT_DOUBLE_EQ(c.settings().profiles.find("streaming")->target_lufs, -14.0);
    EXPECT_DOUBLE_EQ(c.settings().profiles.find("streaming")->ceiling_dbtp, -1.0);
    EXPECT_DOUBLE_EQ(c.settings().profiles.find("broadcast")->target_lufs, -23.0);
    EXPECT_DOUBLE_EQ(c.settings().profiles.find("broadcast")->ceiling_dbtp, -1.0);
    EXPECT_DOUBLE_EQ(c.settings().profiles.find("apple")->target_lufs, -16.0);
    EXPECT_TRUE(c.settings().rules.clipping.enabled);
    EXPECT_EQ(c.settings().rules.clipping.severity, mixscout::Severity::critical);
    EXPECT_EQ(c.source(), std::filesystem::path());
}

TEST(ConfigDefaults, ProfilesInFileOrder) {
    const auto keys = Config::defaults().settings().profiles.names();
    const std::vector<std::string> expected{"mix", "streaming", "apple", "club", "broadcast"};
    EXPECT_EQ(keys, expected);
}

TEST(ConfigDefaults, TypedValuesAreTheShippedOnes) {
    // Values read from the shipped file's text by hand, per type the builder converts.
    const auto& s = Config::defaults().settings();
    EXPECT_EQ(s.rules.clipping.severity, mixscout::Severity::critical);
    EXPECT_EQ(s.rules.tonal.bright.major_severity, mixscout::Severity::important);
    EXPECT_EQ(s.rules.clipping.lossy_overshoot_max_samples, 200);
    EXPECT_DOUBLE_EQ(*s.rules.tonal.dark.acoustic_threshold_db, 12.0);
    EXPECT_FALSE(s.rules.tonal.muddy.acoustic_threshold_db.has_value());  // only dark has one
    EXPECT_DOUBLE_EQ(s.rules.silence.whole.max_lufs, -50.0);
    EXPECT_EQ(s.profiles.find("mix")->kind, mixscout::config::ProfileKind::premaster);
    EXPECT_EQ(s.profiles.find("club")->kind, mixscout::config::ProfileKind::master);
    EXPECT_EQ(s.profiles.find("vinyl"), nullptr);
    EXPECT_EQ(s.tonal.choose, mixscout::config::CurveChoice::automatic);
    EXPECT_EQ(s.tonal.curves.names(), (std::vector<std::string>{"modern", "orchestral"}));
    EXPECT_EQ(s.tonal.curves.find("modern")->size(), s.tonal.centres_hz.size());
    EXPECT_FALSE(s.master.target_lufs.has_value());  // ~ in the file
    EXPECT_EQ(s.monitor.channels, (std::vector<int>{1, 2}));
    EXPECT_EQ(s.stems.keywords.names().front(), "kick");  // file order: tried in this order
    EXPECT_EQ(*s.stems.keywords.find("sub"), (std::vector<std::string>{"sub", "808"}));
    EXPECT_TRUE(s.stems.roles.empty());
    EXPECT_TRUE(s.songs.rename.empty());
    EXPECT_EQ(s.focus, "all");
}

TEST(ConfigOverlay, TypedMapsAndNullsFollowTheFile) {
    const Config c = Config::parse(
                        "master:\n  target_lufs: -10\n"
                        "songs:\n  rename:\n    \"^b\": Two\n    \"^a\": One\n"
                        "stems:\n  roles: {\"My Track\": bass}\n"
                        "tonal:\n  choose: fixed\n");
    const auto& s = c.settings();
    EXPECT_DOUBLE_EQ(*s.master.target_lufs, -10.0);
    ASSERT_EQ(s.songs.rename.entries.size(), 2u);
    EXPECT_EQ(s.songs.rename.entries[0], (std::pair<std::string, std::string>{"^b", "Two"}));  // file order
    EXPECT_EQ(*s.stems.roles.find("My Track"), "bass");
    EXPECT_EQ(s.tonal.choose, mixscout::config::CurveChoice::fixed);
}

TEST(ConfigValidation, IntegerWiderThanIntIsRefusedAtItsPosition) {
    // Settings hold integers as int: 2^31 cannot be one (it used to fail only when a rule read it).
    const auto p = problems_of("rules:\n  clipping:\n    max_events: 2147483648\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].line, 3);
    EXPECT_EQ(p[0].column, 17);
    EXPECT_EQ(p[0].message, "rules.clipping.max_events: 2147483648 is too large for an integer");
    EXPECT_TRUE(problems_of("rules:\n  clipping:\n    max_events: 2147483647\n").empty());
}

TEST(ConfigValidation, NumberBeyondADoubleIsRefusedAtItsPosition) {
    // 1e999 has no double (it used to escape as an "internal error" from std::stod); 1e-999 is
    // too small to hold, and yaml-cpp's reading of it differs by standard library (libc++ refuses
    // it): both are the user's to correct, by position.
    for (const std::string v : {"1e999", "-1e999", "2e308", "1e-999"}) {
        const auto p = problems_of("rules:\n  loudness:\n    dynamic_plr_db: " + v + "\n");
        ASSERT_EQ(p.size(), 1u) << v;
        EXPECT_EQ(p[0].line, 3);
        EXPECT_EQ(p[0].column, 21);
        EXPECT_EQ(p[0].message, "rules.loudness.dynamic_plr_db: " + v +
                                    (v == "1e-999" ? " is too small for a number (write 0)" : " is too large for a number"));
    }
    EXPECT_TRUE(problems_of("rules:\n  loudness:\n    dynamic_plr_db: 1e-300\n").empty());
}

TEST(ConfigValidation, EverySeverityKeyIsChecked) {
    // `*_severity` keys are severities too (they used to fall back to "important" silently).
    const auto p = problems_of("rules:\n  tonal:\n    muddy:\n      major_severity: importnt\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].line, 4);
    EXPECT_EQ(p[0].message, "rules.tonal.muddy.major_severity: 'importnt' is not a severity (critical, important, polish) (did you mean 'important'?)");
}

TEST(ConfigOverlay, UserFileChangesOnlyWhatItSets) {
    const Config d = Config::defaults();
    const Config c = Config::parse(
        "rules:\n"
        "  clipping:\n"
        "    enabled: false\n"
        "  tonal:\n"
        "    muddy:\n"
        "      threshold_db: 5\n"  // an integer is accepted for a number
        "profiles:\n"
        "  streaming:\n"
        "    target_lufs: -13.5\n");
    EXPECT_FALSE(c.settings().rules.clipping.enabled);
    EXPECT_EQ(c.settings().rules.clipping.severity, d.settings().rules.clipping.severity);
    EXPECT_DOUBLE_EQ(c.settings().rules.tonal.muddy.threshold_db, 5.0);
    EXPECT_DOUBLE_EQ(c.settings().rules.tonal.muddy.major_db, d.settings().rules.tonal.muddy.major_db);
    EXPECT_DOUBLE_EQ(c.settings().profiles.find("streaming")->target_lufs, -13.5);
    EXPECT_DOUBLE_EQ(c.settings().profiles.find("streaming")->ceiling_dbtp, -1.0);
    // Untouched sections compare equal to the defaults, key for key.
    EXPECT_EQ(to_json(c)["rules"]["dynamics"], to_json(d)["rules"]["dynamics"]);
    EXPECT_EQ(to_json(c)["tonal"], to_json(d)["tonal"]);
    // The defaults themselves were not modified by the overlay.
    EXPECT_TRUE(Config::defaults().settings().rules.clipping.enabled);
}

TEST(ConfigOverlay, ListsAreReplacedWhole) {
    const Config c = Config::parse("tonal:\n  centres_hz: [100, 1000]\n  curves:\n    mine: [-5, -10]\n");
    EXPECT_EQ(c.settings().tonal.centres_hz, (std::vector<double>{100, 1000}));
}

TEST(ConfigOverlay, OpenMapTakesNewEntriesShapedLikeTheFirst) {
    const Config c = Config::parse("profiles:\n  vinyl:\n    kind: master\n    target_lufs: -12\n");
    EXPECT_DOUBLE_EQ(c.settings().profiles.find("vinyl")->target_lufs, -12.0);
    EXPECT_EQ(c.settings().profiles.find("vinyl")->kind, mixscout::config::ProfileKind::master);
    // Keys it did not give come from the first entry (mix).
    EXPECT_DOUBLE_EQ(c.settings().profiles.find("vinyl")->ceiling_dbtp, Config::defaults().settings().profiles.find("mix")->ceiling_dbtp);
    // And the new entry is validated like the others.
    const auto p = problems_of("profiles:\n  vinyl:\n    kind: mastered\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].line, 3);
    EXPECT_EQ(p[0].column, 11);
    EXPECT_NE(p[0].message.find("did you mean 'master'"), std::string::npos) << p[0].message;
}

TEST(ConfigOverlay, EmptyFileAndEmptySectionsMeanDefaults) {
    EXPECT_EQ(to_json(Config::parse("")), to_json(Config::defaults()));
    EXPECT_EQ(to_json(Config::parse("# only a comment\nrules:\n")), to_json(Config::defaults()));
}

TEST(ConfigErrors, UnknownKeyWithSuggestionAndPosition) {
    const auto p = problems_of(
        "rules:\n"
        "  tonal:\n"
        "    muddy:\n"
        "      treshold_db: 4\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].file, "user.yaml");
    EXPECT_EQ(p[0].line, 4);
    EXPECT_EQ(p[0].column, 7);
    EXPECT_EQ(p[0].message, "unknown key 'treshold_db' in rules.tonal.muddy (did you mean 'threshold_db'?)");
    EXPECT_EQ(p[0].to_string(), "user.yaml:4:7: unknown key 'treshold_db' in rules.tonal.muddy (did you mean 'threshold_db'?)");
}

TEST(ConfigErrors, UnknownTopLevelKey) {
    const auto p = problems_of("rule:\n  clipping:\n    enabled: false\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].line, 1);
    EXPECT_EQ(p[0].column, 1);
    EXPECT_NE(p[0].message.find("did you mean 'rules'"), std::string::npos) << p[0].message;
}

TEST(ConfigErrors, FarOffKeyGetsNoSuggestion) {
    const auto p = problems_of("rules:\n  zzzzzzzzzz: 1\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].message.find("did you mean"), std::string::npos) << p[0].message;
}

TEST(ConfigErrors, WrongTypes) {
    {
        const auto p = problems_of("rules:\n  clipping:\n    enabled: maybe\n");
        ASSERT_EQ(p.size(), 1u);
        EXPECT_EQ(p[0].line, 3);
        EXPECT_EQ(p[0].column, 14);
        EXPECT_EQ(p[0].message, "rules.clipping.enabled: expected a boolean (true/false), got 'maybe'");
    }
    {
        const auto p = problems_of("rules:\n  dynamics:\n    plr_min_db: lots\n");
        ASSERT_EQ(p.size(), 1u);
        EXPECT_EQ(p[0].line, 3);
        EXPECT_EQ(p[0].column, 17);
        EXPECT_NE(p[0].message.find("expected a number"), std::string::npos);
    }
    {   // An integer key rejects a fraction.
        const auto p = problems_of("rules:\n  format:\n    bit_depth:\n      min_bits: 24.5\n");
        ASSERT_EQ(p.size(), 1u);
        EXPECT_EQ(p[0].line, 4);
        EXPECT_EQ(p[0].column, 17);
        EXPECT_NE(p[0].message.find("expected an integer"), std::string::npos);
    }
    {   // A map where a scalar belongs, and a scalar where a map belongs.
        const auto p = problems_of("rules:\n  clipping: true\n");
        ASSERT_EQ(p.size(), 1u);
        EXPECT_EQ(p[0].line, 2);
        EXPECT_EQ(p[0].column, 13);
        EXPECT_NE(p[0].message.find("expected a map"), std::string::npos);
    }
    {   // A quoted number is a string, not a number.
        const auto p = problems_of("profiles:\n  mix:\n    target_lufs: \"-14\"\n");
        ASSERT_EQ(p.size(), 1u);
        EXPECT_EQ(p[0].line, 3);
        EXPECT_EQ(p[0].column, 18);
    }
    {   // A list where a list of numbers belongs holds a word.
        const auto p = problems_of("tonal:\n  curves:\n    modern: [1, 2, x]\n");
        ASSERT_EQ(p.size(), 1u);
        EXPECT_EQ(p[0].line, 3);
        EXPECT_EQ(p[0].column, 20);
        EXPECT_NE(p[0].message.find("tonal.curves.modern[2]"), std::string::npos) << p[0].message;
    }
}

TEST(ConfigErrors, OutOfRange) {
    const auto p = problems_of("rules:\n  headroom:\n    peak_max_dbfs: 5\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].line, 3);
    EXPECT_EQ(p[0].column, 20);
    EXPECT_EQ(p[0].message, "rules.headroom.peak_max_dbfs: 5 is out of range -60..0");
    // Open-ended range (max_events >= 0).
    const auto q = problems_of("rules:\n  clipping:\n    max_events: -1\n");
    ASSERT_EQ(q.size(), 1u);
    EXPECT_NE(q[0].message.find("below the minimum 0"), std::string::npos) << q[0].message;
    // Ranges apply to list elements too.
    const auto r = problems_of("tonal:\n  centres_hz: [5, 100]\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].column, 16);
}

TEST(ConfigErrors, SeverityAndEnumerations) {
    const auto p = problems_of("rules:\n  phase:\n    severity: critcal\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].line, 3);
    EXPECT_EQ(p[0].column, 15);
    EXPECT_NE(p[0].message.find("did you mean 'critical'"), std::string::npos) << p[0].message;
}

TEST(ConfigErrors, KeyOfAnotherMap) {
    // tonal.curve must name an entry of tonal.curves — including one the same file adds.
    const auto p = problems_of("tonal:\n  curve: orchestrel\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].line, 2);
    EXPECT_EQ(p[0].column, 10);
    EXPECT_NE(p[0].message.find("did you mean 'orchestral'"), std::string::npos) << p[0].message;
    const Config c = Config::parse("tonal:\n  curve: mine\n  curves:\n    mine: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n");
    EXPECT_EQ(c.settings().tonal.curve, "mine");
}

TEST(ConfigErrors, YamlSyntaxError) {
    const auto p = problems_of("rules:\n  clipping:\n    enabled: [true\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].file, "user.yaml");
    EXPECT_GE(p[0].line, 3);
    EXPECT_GE(p[0].column, 1);
    EXPECT_EQ(p[0].message.rfind("YAML syntax error: ", 0), 0u) << p[0].message;
    // A tab indentation error on line 2.
    const auto q = problems_of("rules:\n\tclipping: {}\n");
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0].line, 2);
}

TEST(ConfigErrors, DuplicateKey) {
    const auto p = problems_of("rules:\n  clipping:\n    enabled: true\n    enabled: false\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].line, 4);
    EXPECT_EQ(p[0].column, 5);
    EXPECT_EQ(p[0].message, "duplicate key 'enabled' (first at line 3)");
}

TEST(ConfigErrors, AllProblemsAreCollectedAndTheFirstIsTheMessage) {
    try {
        (void)Config::parse("rules:\n  clipping:\n    enabled: 3\n  phase:\n    min_correlation: 9\n", "u.yaml");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 2u);
        EXPECT_EQ(e.problems()[1].line, 5);
        EXPECT_EQ(std::string(e.what()), e.problems()[0].to_string() + " (and 1 more)");
        // ConfigError is an InputError: the CLI prints it as one line and exits 2.
        const mixscout::InputError& base = e;
        EXPECT_EQ(std::string(base.what()).find('\n'), std::string::npos);
    }
}

TEST(ConfigFiles, LoadMissingAndDirectory) {
    mixscout::test::TempDir dir;
    try {
        (void)Config::load(dir / "nope.yaml");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("nope.yaml: cannot read config file"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)Config::load(dir.path()), ConfigError);
    write_text(dir / "ok.yaml", "rules:\n  dc_offset:\n    max_dbfs: -50\n");
    const Config c = Config::load(dir / "ok.yaml");
    EXPECT_EQ(c.source(), dir / "ok.yaml");
    EXPECT_DOUBLE_EQ(c.settings().rules.dc_offset.max_dbfs, -50.0);
    EXPECT_TRUE(Config::check(dir / "ok.yaml").empty());
    write_text(dir / "bad.yaml", "rules:\n  dc_offset:\n    max_dbfs: 3\n");
    const auto p = Config::check(dir / "bad.yaml");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].file, (dir / "bad.yaml").string());
}

TEST(ConfigLive, ReloadKeepsTheLastGoodConfig) {
    mixscout::test::TempDir dir;
    const auto path = dir / "live.yaml";
    write_text(path, "rules:\n  dc_offset:\n    max_dbfs: -50\n");
    mixscout::config::Live live(path);
    const auto first = live.current();
    EXPECT_DOUBLE_EQ(first->settings().rules.dc_offset.max_dbfs, -50.0);

    write_text(path, "rules:\n  dc_offset:\n    max_dbfs: -40\n");
    EXPECT_TRUE(live.reload().empty());
    EXPECT_DOUBLE_EQ(live.current()->settings().rules.dc_offset.max_dbfs, -40.0);
    // A reader holding the old snapshot still sees it.
    EXPECT_DOUBLE_EQ(first->settings().rules.dc_offset.max_dbfs, -50.0);

    write_text(path, "rules:\n  dc_offset:\n    max_dbfs: [oops\n");
    const auto problems = live.reload();
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].file, path.string());
    EXPECT_DOUBLE_EQ(live.current()->settings().rules.dc_offset.max_dbfs, -40.0);

    // A broken file at start-up is refused.
    EXPECT_THROW(mixscout::config::Live{path}, ConfigError);
    // No file: the defaults.
    mixscout::config::Live defaults{std::filesystem::path()};
    EXPECT_EQ(to_json(*defaults.current()), to_json(Config::defaults()));
}

TEST(ConfigValue, CopiesAreIndependent) {
    Config a = Config::parse("rules:\n  dc_offset:\n    max_dbfs: -50\n");
    Config b = a;
    b = Config::parse("rules:\n  dc_offset:\n    max_dbfs: -30\n");
    EXPECT_DOUBLE_EQ(a.settings().rules.dc_offset.max_dbfs, -50.0);
    Config c = std::move(b);
    Config e = Config::defaults();
    e = std::move(c);
    EXPECT_DOUBLE_EQ(e.settings().rules.dc_offset.max_dbfs, -30.0);
    EXPECT_DOUBLE_EQ(a.settings().rules.dc_offset.max_dbfs, -50.0);
}

TEST(ConfigShow, JsonIsTypedAndYamlRoundTrips) {
    const Config c = Config::parse("profiles:\n  club:\n    target_lufs: -8\n");
    const auto j = to_json(c);
    EXPECT_TRUE(j["rules"]["clipping"]["enabled"].is_boolean());
    EXPECT_TRUE(j["rules"]["clipping"]["max_events"].is_number_integer());
    EXPECT_TRUE(j["profiles"]["club"]["target_lufs"].is_number_float());
    EXPECT_DOUBLE_EQ(j["profiles"]["club"]["target_lufs"].get<double>(), -8.0);
    EXPECT_TRUE(j["profiles"]["mix"]["description"].is_string());
    // The printed YAML, read back as a user file, gives the same effective config.
    EXPECT_EQ(to_json(Config::parse(c.to_yaml())), j);
}

TEST(ConfigUtil, EditDistance) {
    using mixscout::config::edit_distance;
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // the textbook example
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("same", "same"), 0u);
}
