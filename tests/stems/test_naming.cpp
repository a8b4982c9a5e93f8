// Track names from Live's export file names, and roles from track names.
#include <gtest/gtest.h>

#include "stems/naming.hpp"
#include "stems/roles.hpp"
#include "stems/stems.hpp"

namespace mixscout::stems {
namespace {

TEST(StemNames, SingleFilesTable) {
    const std::pair<const char*, const char*> table[] = {
        {"My Song 3-Bass.wav", "Bass"},          // <Set name> <n>-<Track name>
        {"03-Lead Vox.aif", "Lead Vox"},         // <n>-<Track name>
        {"12 - Pad.flac", "Pad"},                // spaces around the dash
        {"Mix 2 1-Kick.wav", "Kick"},            // digits in the set name
        {"1 Audio.wav", "1 Audio"},              // Live's default track name stays as it is
        {"808 Bass.wav", "808 Bass"},            // a leading number that is part of the name
        {"Kick.wav", "Kick"},                    // hand-named
        {"Song 1-Synth 2-Osc.wav", "Synth 2-Osc"},  // the first number is the track number
    };
    for (const auto& [file, name] : table) EXPECT_EQ(track_name(file), name) << file;
}

TEST(StemNames, AFolderSharesItsSetName) {
    const auto names = track_names({"x/Take 2 1-Kick.wav", "x/Take 2 2-Bass 1-Sub.wav", "x/Take 2 10-Vox.wav"});
    EXPECT_EQ(names, (std::vector<std::string>{"Kick", "Bass 1-Sub", "Vox"}));
    // Duplicates are numbered so every stem has its own id.
    EXPECT_EQ(track_names({"a/1-Audio.wav", "b/1-Audio.wav"}), (std::vector<std::string>{"Audio", "Audio (2)"}));
}

TEST(StemNames, MixFileAndSlugs) {
    EXPECT_TRUE(is_mix_name("Master"));
    EXPECT_TRUE(is_mix_name("main"));
    EXPECT_FALSE(is_mix_name("Master Bus Comp"));
    EXPECT_TRUE(is_mix_file("x/My Song Master.wav"));
    EXPECT_TRUE(is_mix_file("x/My Song Main.aif"));
    EXPECT_FALSE(is_mix_file("x/My Song 4-Main Vox.wav"));
    EXPECT_FALSE(is_mix_file("x/My Song 4-Bass.wav"));
    EXPECT_EQ(slug("Lead Vox 2"), "lead_vox_2");
    EXPECT_EQ(slug("  --  "), "stem");
}

TEST(StemRoles, WordsAndKeywords) {
    EXPECT_EQ(name_words("LeadVox2_dry"), (std::vector<std::string>{"lead", "vox", "2", "dry"}));
    const auto kw = StemsOptions::defaults().keywords;
    EXPECT_EQ(role_from_name("BassDrum", kw), "kick");
    EXPECT_EQ(role_from_name("Bass Drum", kw), "kick");
    EXPECT_EQ(role_from_name("Bassline", kw), "bass");
    EXPECT_EQ(role_from_name("Lead Vox", kw), "vocal");  // vocal is tried before lead
    EXPECT_EQ(role_from_name("Hi-Hat", kw), "hat");
    EXPECT_EQ(role_from_name("Rhodes", kw), "keys");
    EXPECT_EQ(role_from_name("Reese", kw), "bass");
    EXPECT_EQ(role_from_name("Thing", kw), "");
}

TEST(StemRoles, FromFeatures) {
    EXPECT_EQ(role_from_features(60.0, 0.9, true), "kick");
    EXPECT_EQ(role_from_features(50.0, 0.9, false), "sub");
    EXPECT_EQ(role_from_features(90.0, 0.7, false), "bass");
    EXPECT_EQ(role_from_features(8000.0, 0.0, true), "hat");
    EXPECT_EQ(role_from_features(900.0, 0.0, true), "perc");
    EXPECT_EQ(role_from_features(900.0, 0.0, false), "other");
}

}  // namespace
}  // namespace mixscout::stems
