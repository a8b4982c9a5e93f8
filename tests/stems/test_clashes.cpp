// Stem clashes on built signals with known clashes, written as real WAV files.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "stems/stems.hpp"
#include "stem_signals.hpp"
#include "support/signals.hpp"

namespace mixscout::stems {
namespace {

using test::Signal;
using test::TempDir;
namespace sig = test::stems;

constexpr double kSeconds = 8.0;

std::vector<const Clash*> clashes_between(const StemsReport& r, const std::string& x, const std::string& y) {
    std::vector<const Clash*> out;
    for (const Clash& c : r.clashes)
        if ((c.a == x && c.b == y) || (c.a == y && c.b == x)) out.push_back(&c);
    return out;
}

void dump(const StemsReport& r) {
    for (const Clash& c : r.clashes) std::printf("    %s\n", to_json(c).dump().c_str());
    for (const StemInfo& s : r.stems)
        std::printf("    stem %s role %s crest %.1f centroid %.0f low %.2f lufs %.1f\n", s.name.c_str(), s.role.c_str(),
                    s.envelope_crest_db, s.centroid_hz, s.low_share, s.integrated_lufs);
}

TEST(StemClashes, KickAgainstBassClashesBelow100HzCriticalSideChainTheBass) {
    TempDir dir;
    test::write_audio(dir / "Song 1-Kick.wav", sig::kick(kSeconds));
    test::write_audio(dir / "Song 2-Bass.wav", sig::bass(kSeconds));
    const StemsReport r = analyze_stems({dir / "Song 1-Kick.wav", dir / "Song 2-Bass.wav"}, StemsOptions::defaults());
    dump(r);
    ASSERT_EQ(r.stems.size(), 2u);
    EXPECT_EQ(r.stems[0].role, "kick");
    EXPECT_EQ(r.stems[1].role, "bass");
    const auto c = clashes_between(r, "Kick", "Bass");
    ASSERT_FALSE(c.empty());
    const Clash& top = *c.front();
    // The fight is where both have their fundamentals: inside 40..125 Hz, overlapping 60..100 Hz.
    EXPECT_GE(top.lo_hz, 40.0);
    EXPECT_LE(top.hi_hz, 125.0);
    EXPECT_LT(top.lo_hz, 100.0);
    EXPECT_GT(top.hi_hz, 60.0);
    EXPECT_EQ(top.severity, rules::Severity::critical);
    EXPECT_EQ(top.yield, "Bass");
    EXPECT_TRUE(top.rhythmic);
    EXPECT_NE(top.fix.find("Compressor on Bass, side-chain from Kick"), std::string::npos) << top.fix;
    EXPECT_NE(top.alternative.find("EQ Eight on Bass"), std::string::npos) << top.alternative;
    ASSERT_FALSE(top.times_s.empty());
    EXPECT_LT(top.times_s.front(), 1.0);
    // ... and ranked as an issue.
    ASSERT_FALSE(r.issues.empty());
    EXPECT_EQ(r.issues.front().category, "clash");
    EXPECT_EQ(r.issues.front().rule, "clash.kick.bass");
    EXPECT_EQ(r.issues.front().severity, rules::Severity::critical);
}

TEST(StemClashes, BassHighPassedAt120HzNoLongerClashesWithTheKick) {
    TempDir dir;
    Signal b = sig::bass(kSeconds);
    sig::high_pass(b, 120.0);
    test::write_audio(dir / "1-Kick.wav", sig::kick(kSeconds));
    test::write_audio(dir / "2-Bass.wav", b);
    const StemsReport r = analyze_stems({dir / "1-Kick.wav", dir / "2-Bass.wav"}, StemsOptions::defaults());
    dump(r);
    EXPECT_TRUE(r.clashes.empty());
}

TEST(StemClashes, StemsThatNeverSoundTogetherDoNotClash) {
    TempDir dir;
    test::write_audio(dir / "1-Kick.wav", sig::kick(kSeconds, 0.5, 0.8, 0.05, 48000, 0.0, 3.5));
    test::write_audio(dir / "2-Bass.wav", sig::bass(kSeconds, {62.0, 65.0, 73.0, 82.0, 98.0}, 0.3, 48000, 4.0));
    const StemsReport r = analyze_stems({dir / "1-Kick.wav", dir / "2-Bass.wav"}, StemsOptions::defaults());
    dump(r);
    EXPECT_TRUE(r.clashes.empty());
}

TEST(StemClashes, SnareAgainstVocalBodyIsAPolishClash) {
    TempDir dir;
    test::write_audio(dir / "Take 1-Lead Vox.wav", sig::vocal(10.0));
    test::write_audio(dir / "Take 2-Snare.wav", sig::snare(10.0));
    const StemsReport r = analyze_stems({dir / "Take 1-Lead Vox.wav", dir / "Take 2-Snare.wav"}, StemsOptions::defaults());
    dump(r);
    const auto c = clashes_between(r, "Lead Vox", "Snare");
    ASSERT_FALSE(c.empty());
    bool body = false;
    for (const Clash* x : c) {
        EXPECT_EQ(x->severity, rules::Severity::polish) << to_json(*x).dump();
        EXPECT_EQ(x->yield, "Snare");
        if (x->lo_hz < 400.0 && x->hi_hz > 200.0) body = true;
    }
    EXPECT_TRUE(body);
}

}  // namespace
}  // namespace mixscout::stems
