// Fuzz target: an export's file name into the song-name parser (review/export_name.hpp), and the
// first line as a user rename pattern (RE2) applied to the rest. Names come from the file system:
// any bytes, including invalid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "review/export_name.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mixscout;
    const std::string text(reinterpret_cast<const char*>(data), size);
    (void)review::song_from_stem(text);
    const auto nl = text.find('\n');
    if (nl != std::string::npos) {
        try {
            const review::SongNamer namer({review::RenameRule{text.substr(0, nl), "Song"}});
            (void)namer(text.substr(nl + 1) + ".wav");
        } catch (const InputError&) {
        }
    }
    return 0;
}
