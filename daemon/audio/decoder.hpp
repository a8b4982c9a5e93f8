// mixscout audio: streaming file decoder (libsndfile; MP3 and Ogg/Vorbis through their own
// libraries directly).
//
// Reads WAV/AIFF/FLAC (libsndfile), Ogg/Vorbis (libvorbisfile: libsndfile 1.2's Ogg/Vorbis open
// leaks libvorbis' codec setup on every malformed file it refuses), Ogg/Opus and Ogg/FLAC
// (libsndfile) and MP3 (libmpg123, gapless, quiet: libsndfile's own mpg123 handle would print
// libmpg123's notes and warnings straight to stderr) block by block into interleaved 32-bit
// float, full scale = 1.0. Memory is bounded by block_frames: a one-hour file costs what a
// four-minute one does.
//
// Every problem with the file is a DecodeError (an InputError) whose message is one line
// "<path>: <what is wrong>":
//   - missing path, a directory, an empty file, a file that is not audio (random bytes, an
//     unknown format), more than 2 channels, a sample rate outside 8 kHz..384 kHz;
//   - a truncated file. A WAV/AIFF whose header declares more sample data than the file holds
//     (a half-written export) is rejected in the constructor:
//        "<path>: truncated: header says N frames, file has M"
//     and a stream that ends before the frame count its header declares (FLAC, OGG, ...) throws
//     the same message from read() when the short end is reached. An Ogg/Vorbis file whose last
//     page is not marked as the end of the stream was cut off (or is still being written) and is
//     refused in the constructor. The daemon must never analyse half an export, so there is no
//     "lenient" mode.
//   - an Ogg/Vorbis stream with a gap (a page lost or failing its checksum) or a packet libvorbis
//     cannot decode throws from read(): "<path>: damaged: the Ogg/Vorbis stream ... at 12.345 s".
//   - an MP3 whose frames cannot be decoded (garbage in the middle that libmpg123 cannot resync
//     past) throws from read(): "<path>: damaged: the MPEG stream cannot be decoded after ...".
//     Single frames whose contents are damaged (headers intact) are concealed by libmpg123 (that
//     frame silent, or decoded from clamped side information): the file is analysed, and
//     concealed_frames() says how many, once the stream has been read to its end.
//   - a NaN or infinite sample in a float/double file (a plug-in that blew up): read() throws
//        "<path>: damaged: NaN sample at 12.345 s (frame N, channel C); ..."
//     so no NaN ever reaches a loudness, peak or spectrum figure.
//
// Threading: one Decoder per thread; it owns its libsndfile, libmpg123 or libvorbisfile handle and
// its buffer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "audio/block.hpp"
#include "core/error.hpp"

typedef struct sf_private_tag SNDFILE;  // libsndfile's opaque handle (same typedef as <sndfile.h>)
typedef struct mpg123_handle_struct mpg123_handle;  // libmpg123's (same typedef as <mpg123.h>)
struct OggVorbis_File;  // libvorbisfile's decoder state (<vorbis/vorbisfile.h>)

namespace mixscout::audio {

struct StreamInfo {
    int sample_rate = 0;
    int channels = 0;
    std::int64_t frames = 0;  ///< as declared by the header (exact for WAV/AIFF/FLAC/OGG, estimated for MP3)
    int bit_depth = 0;        ///< PCM bits (8/16/24/32); 0 for float and compressed encodings
    std::string container;    ///< "wav", "aiff", "flac", "ogg", "mp3", "rf64", "w64", "caf", ...
    std::string encoding;     ///< "pcm_16", "pcm_24", "float", "double", "vorbis", "opus", "mp3", ...
    double duration_s = 0.0;  ///< frames / sample_rate
};

/// Every problem with a file to decode: what() is the one-line message (above), kind() what
/// callers branch on (the daemon retries a truncated export once it settles; never the text).
class DecodeError : public InputError {
public:
    enum class Kind {
        unreadable,   ///< missing, a directory, no permission, empty, I/O error
        unsupported,  ///< not an audio file, or a format/channel count/rate we do not take
        truncated,    ///< shorter than its header says, or cut off before its header: maybe still being written
        incomplete,   ///< header says 0 frames but data follows (the writer has not finalised it)
        corrupt,      ///< a decode error inside the data, or NaN/Inf samples
        changed,      ///< replaced or rewritten while it was read (content_hash): analyse it again
    };
    DecodeError(Kind kind, const std::string& what) : InputError(what), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

class Decoder {
public:
    /// Opens and checks the file (see the list above). Allocates its block buffer here only.
    explicit Decoder(const std::filesystem::path& path, std::size_t block_frames = 4096);
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;
    Decoder(Decoder&& other) noexcept;
    Decoder& operator=(Decoder&& other) noexcept;

    const StreamInfo& info() const { return info_; }
    const std::filesystem::path& path() const { return path_; }

    /// The next block of up to block_frames interleaved float frames. An empty Block
    /// (frames() == 0) at the end. Throws InputError on a decode error mid-file or when the
    /// stream ends short of the header's frame count.
    /// Blocks alternate between two buffers: a block stays valid until the second read() after
    /// it (or rewind()), so a consumer thread may still work on it while the next one decodes.
    Block read();
    /// The next block of up to dst.size() / channels frames, decoded into dst (caller-owned
    /// memory, e.g. a ring of buffers a pipeline cycles through); same end and errors as read().
    Block read_into(std::span<float> dst);
    /// Frames delivered by read() so far.
    std::int64_t position() const { return position_; }
    /// Back to frame 0 (two-pass users, e.g. mastering).
    void rewind();
    /// The content hash (core/content_hash.hpp) of the file this decoder opened, read through
    /// its own descriptor: the bytes decoded, not whatever is at path() now. Throws InputError
    /// "<path>: changed while it was being analysed (replaced|rewritten); ..." when path() no
    /// longer names the file opened (renamed over) or the file's size or mtime changed since it
    /// was opened: its analysis would not describe any one file. Call after decoding.
    std::string content_hash() const;
    /// Bytes of the file when it was opened.
    std::int64_t size_bytes() const { return opened_.size; }
    /// MP3 only, known once read() has reached the end (0 before, and for every other format):
    /// MPEG frames libmpg123 concealed instead of decoding, those whose Layer III side
    /// information it rejects (a window switch with block type 0: the frame is silent) or clamps
    /// (more than 288 big values: the frame is a guess). Its decoded length: concealed_s().
    std::int64_t concealed_frames() const { return concealed_frames_; }
    double concealed_s() const { return info_.sample_rate > 0 ? static_cast<double>(concealed_samples_) / info_.sample_rate : 0.0; }

private:
    [[noreturn]] void fail(DecodeError::Kind kind, const std::string& what) const;
    void open_mp3(std::int64_t size);
    std::size_t read_mp3(std::span<float> dst);  ///< frames decoded into dst; 0 at the end
    void count_concealed_mp3_frames();  ///< a second pass over the MPEG frames' side information
    void open_vorbis(std::int64_t size);  ///< an Ogg file that is not Opus or FLAC, through libvorbisfile
    std::size_t read_vorbis(std::span<float> dst);  ///< frames decoded into dst; 0 at the end
    void close_codec();  ///< closes whichever of file_, mp3_, vorbis_ is open
    bool is_open() const { return file_ || mp3_ || vorbis_; }
    void refuse_non_finite(std::span<const float> samples) const;
    struct Identity {
        std::uint64_t device = 0, inode = 0;
        std::int64_t size = 0, mtime_ns = 0;
        bool operator==(const Identity&) const = default;
    };
    Identity identity_of_fd() const;
    void check_unchanged() const;
    struct FileReader;  // libsndfile's virtual I/O over a read-ahead buffer (decoder.cpp)
    std::filesystem::path path_;
    std::unique_ptr<FileReader> reader_;  // outlives file_ (closed after it)
    SNDFILE* file_ = nullptr;      ///< every container but MP3 and Ogg/Vorbis
    mpg123_handle* mp3_ = nullptr;  ///< MP3
    OggVorbis_File* vorbis_ = nullptr;  ///< Ogg/Vorbis, on the heap: libvorbis points into it (exactly one of the three is open)
    StreamInfo info_;
    std::vector<float> buffer_;  ///< two blocks, used alternately
    std::size_t next_half_ = 0;
    std::size_t block_frames_ = 4096;
    std::int64_t position_ = 0;
    bool exact_frames_ = true;  ///< header frame count is exact (not an MP3 estimate)
    bool float_samples_ = false;  ///< float/double encoding: may hold NaN/Inf, checked per block
    Identity opened_;             ///< the file as opened (check_unchanged compares)
    bool concealed_counted_ = false;
    std::int64_t concealed_frames_ = 0;
    std::int64_t concealed_samples_ = 0;  ///< per channel
};

/// Only the header: format, rate, channels, frames. Same checks and errors as Decoder.
StreamInfo probe(const std::filesystem::path& path);

}  // namespace mixscout::audio
