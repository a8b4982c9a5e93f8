// mixscout stems: track names from the file names Live writes.
//
// Live's "Export Audio/Video" with Rendered Track "All Individual Tracks" writes one file per
// track, named from the export's file name and the track's number and name; the common forms:
//     "<Set name> <n>-<Track name>.wav"     e.g. "My Song 3-Bass.wav"   -> "Bass"
//     "<n>-<Track name>.wav"                e.g. "03-Lead Vox.aif"      -> "Lead Vox"
//     "<n> <Track name>.wav"  (Live's default track names "1 Audio", "2 MIDI")  -> "Audio"
// and the mix itself as "<Set name> Master.wav" (Live 12: "Main"). A name that matches none of
// these is kept as it is (minus the extension), so hand-named stems work too.
//
// Across a folder the set name is found as the prefix every file shares before its track number
// (so "Mix 2 1-Kick" / "Mix 2 2-Bass" give "Kick" / "Bass", not "1-Kick"); a lone file falls back
// to the last " <n>-" in its name. Pure string work; any thread.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mixscout::stems {

/// One name per path, in order; duplicates get " (2)", " (3)", ...
std::vector<std::string> track_names(const std::vector<std::filesystem::path>& files);

/// The name of a single file (no folder context).
std::string track_name(const std::filesystem::path& file);

/// "master" / "main" (case-insensitive) after stripping: Live's own mix file, not a stem.
bool is_mix_name(std::string_view track_name);
/// A file Live wrote for the mix next to the stems: "<Set name> Master.wav" (no track number), or
/// a track name that is_mix_name().
bool is_mix_file(const std::filesystem::path& file);

/// "Lead Vox 2" -> "lead_vox_2": for rule ids ("clash.kick.lead_vox_2").
std::string slug(std::string_view name);

}  // namespace mixscout::stems
