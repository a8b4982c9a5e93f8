// Song recognition from export names: the grouping table of song_name.hpp.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "review/export_name.hpp"

using mixscout::review::RenameRule;
using mixscout::review::song_from_stem;
using mixscout::review::song_key;
using mixscout::review::SongNamer;

TEST(SongName, IterationsOfOneSongGroupTogether) {
    // Every name a user or Live gives an iteration of "Night Drive".
    const char* names[] = {
        "Night Drive",          "Night Drive_v1",        "Night Drive v2",           "Night Drive-V3",
        "Night Drive 2",        "Night Drive_final",     "Night Drive (master)",     "Night Drive - Master",
        "Night Drive 2024-05-01", "Night Drive_20240501_1432", "Night Drive [mix 3]", "Night Drive_final_final2",
        "night drive",          "NIGHT DRIVE_v10",       "Night_Drive_v4",           "Night-Drive take 2",
        "Night Drive v1.2",     "Night Drive (Master) v2", "Night Drive - mixdown 3", "Night Drive.rev2b",
        "Night Drive  wip",     "Night Drive_premaster", "Night Drive bounce 12",     "Night Drive #4",
    };
    for (const char* n : names) EXPECT_EQ(song_from_stem(n).key, "night drive") << n;
}

TEST(SongName, DisplayKeepsTheUsersSpelling) {
    EXPECT_EQ(song_from_stem("Night Drive_v2").display, "Night Drive");
    EXPECT_EQ(song_from_stem("My_Song (master)").display, "My_Song");
}

TEST(SongName, DifferentSongsStayApart) {
    EXPECT_NE(song_from_stem("Night Drive_v1").key, song_from_stem("Day Drive_v1").key);
    EXPECT_EQ(song_from_stem("Brand New").key, "brand new");  // "new" is part of names, not a tag
    EXPECT_EQ(song_from_stem("99 Problems v2").key, "99 problems");  // leading numbers stay
}

TEST(SongName, NeverStripsEverything) {
    // "mix_v1" and "mix_v2" are iterations of a song called "mix".
    EXPECT_EQ(song_from_stem("mix_v1").key, "mix");
    EXPECT_EQ(song_from_stem("mix_v2").key, "mix");
    EXPECT_EQ(song_from_stem("Final").key, "final");
    EXPECT_EQ(song_from_stem("2024-05-01").key, "2024");
    EXPECT_EQ(song_from_stem("").key, "untitled");
}

TEST(SongName, KeyFoldsCaseAndSeparators) {
    EXPECT_EQ(song_key("  My__Song - X "), "my song x");
    EXPECT_EQ(song_key("MY SONG"), song_key("my_song"));
}

TEST(SongName, RenameRulesComeFirstAndInOrder) {
    SongNamer namer({RenameRule{"^nd[_ ]", "Night Drive"}, RenameRule{"untitled", "Sketch"},
                     RenameRule{"^nd", "Never used"}});
    EXPECT_EQ(namer("/exports/nd_v3.wav").key, "night drive");
    EXPECT_EQ(namer("/exports/nd_v3.wav").display, "Night Drive");
    EXPECT_EQ(namer("/exports/Untitled Project 4.wav").key, "sketch");  // case-insensitive
    EXPECT_EQ(namer("/exports/Other Song_v2.aiff").key, "other song");   // no rule: the default rule
}

TEST(SongName, BadRenamePatternIsAClearInputError) {
    try {
        SongNamer namer({RenameRule{"(unclosed", "X"}});
        FAIL() << "no error";
    } catch (const mixscout::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("songs.rename[0].pattern"), std::string::npos) << e.what();
    }
    EXPECT_THROW(SongNamer({RenameRule{"x", "  "}}), mixscout::InputError);
}
