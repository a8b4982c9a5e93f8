// The JSON form: lossless round trip, and clear errors on damaged records.
#include <gtest/gtest.h>

#include "analysis/analysis_json.hpp"
#include "analysis/analyzer.hpp"
#include "analysis_signals.hpp"
#include "core/error.hpp"

namespace mixscout {
namespace {

analysis::Analysis sample_analysis() {
    test::Signal s = test::music_like(6.0, 44100);
    test::insert_clip(s, 2.0, 5, 0);
    analysis::Analysis a = analysis::analyze_samples(test::block_of(s), 44100);
    a.path = "/tmp/Song – mix 3 (ünïcödé).wav";
    a.format.container = "wav";
    a.format.encoding = "pcm_24";
    a.format.bit_depth = 24;
    return a;
}

TEST(AnalysisJson, RoundTripIsLosslessThroughText) {
    const analysis::Analysis a = sample_analysis();
    ASSERT_FALSE(a.clipping.events.empty());
    ASSERT_FALSE(a.loudness.short_term_series.empty());
    const std::string text = analysis::to_json(a).dump();
    const analysis::Analysis b = analysis::analysis_from_json(nlohmann::json::parse(text));
    EXPECT_TRUE(a == b);
    EXPECT_EQ(analysis::to_json(b).dump(), text);
}

TEST(AnalysisJson, HasTheKeysIssueTwoLists) {
    const nlohmann::json j = analysis::to_json(sample_analysis());
    for (const char* k : {"sample_rate", "channels", "bit_depth", "duration_s"}) EXPECT_TRUE(j["format"].contains(k)) << k;
    for (const char* k : {"sample_peak_dbfs", "true_peak_dbtp"}) EXPECT_TRUE(j["peak"].contains(k)) << k;
    EXPECT_TRUE(j["clipping"].contains("count"));
    for (const char* k : {"time_s", "duration_s", "channel", "samples"}) EXPECT_TRUE(j["clipping"]["events"][0].contains(k)) << k;
    for (const char* k : {"integrated_lufs", "momentary_max_lufs", "short_term_max_lufs", "lra_lu", "short_term_series"})
        EXPECT_TRUE(j["loudness"].contains(k)) << k;
    for (const char* k : {"crest_db", "plr_db", "psr_db"}) EXPECT_TRUE(j["dynamics"].contains(k)) << k;
    EXPECT_GE(j["spectrum"]["bands"].size(), 10u);
    for (const char* k : {"lo_hz", "hi_hz", "db"}) EXPECT_TRUE(j["spectrum"]["bands"][0].contains(k)) << k;
    EXPECT_TRUE(j["spectrum"].contains("tilt_db_per_octave"));
    for (const char* k : {"correlation", "width", "band_correlation", "mono_loss_db", "balance_db", "low_correlation"})
        EXPECT_TRUE(j["stereo"].contains(k)) << k;
    EXPECT_LT(j["stereo"]["band_correlation"][1]["hi_hz"].get<double>(), 120.0);  // a band below 120 Hz
    EXPECT_TRUE(j.contains("dc_offset"));
    EXPECT_TRUE(j["silence"].contains("leading_s"));
    EXPECT_TRUE(j["silence"].contains("trailing_s"));
}

TEST(AnalysisJson, DamagedRecordsNameTheKey) {
    nlohmann::json j = analysis::to_json(sample_analysis());
    nlohmann::json missing = j;
    missing["loudness"].erase("lra_lu");
    try {
        analysis::analysis_from_json(missing);
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_STREQ(e.what(), "analysis JSON: loudness.lra_lu: missing");
    }
    nlohmann::json wrong = j;
    wrong["clipping"]["events"][0]["time_s"] = "soon";
    try {
        analysis::analysis_from_json(wrong);
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_STREQ(e.what(), "analysis JSON: clipping.events[0].time_s: wrong type (string)");
    }
    EXPECT_THROW(analysis::analysis_from_json(nlohmann::json::array()), InputError);
}

}  // namespace
}  // namespace mixscout
