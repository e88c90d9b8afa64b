// Streaming input and output of the data foundry: input globs, a line reader that decompresses
// gzip and zstd by content, numbered output shards written atomically, and atomic small files.
//
// Inputs are read line by line in constant memory (a 1 MiB window, grown only for a longer
// line), so a shard of any size streams through. The format is told by the first bytes of the
// file, not its name: 1f 8b is gzip (concatenated members, as from pigz or `cat a.gz b.gz`, are
// one stream), 28 b5 2f fd is zstd (several frames likewise), anything else is plain text. A
// damaged or cut-off compressed stream is an error naming the file and the byte offset; it never
// ends the input early in silence.
//
// Outputs go to `prefix-00000.jsonl.zst`, `-00001`, ... Each shard is written under a hidden
// temporary name and renamed into place only once complete and synced, so a crash leaves either
// the whole shard or nothing, and a reader globbing the folder meanwhile (whose `*` skips hidden
// names) never sees a partial one. The same lines give byte-identical shards: fixed compression
// levels, no timestamps or names in headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace exaone::foundry {

// The files `pattern` names, sorted byte-wise. Shell-style: `*` and `?` within one name, `[...]`
// sets (`[!...]` negated), `\` escapes, and a whole segment `**` for any number of directories
// (none included). As in the shell, wildcards do not match a name's leading '.', so hidden files
// and folders (such as shard writers' temporaries) are left out unless the segment starts with
// '.'. A pattern's matches are files (anything but a directory); directories are only walked.
// Symbolic links are followed, with a guard against cycles. `?` matches one byte.
// A pattern without wildcards is returned as is when it exists (Error kNotFound naming it when
// not); a pattern that matches nothing is Error kNotFound naming the pattern. A directory that
// cannot be listed while walking is Error kIo.
std::vector<std::string> ExpandGlob(const std::string& pattern);

// Reads a (possibly compressed) file line by line.
//
//   LineReader reader(path);
//   for (std::string_view line; reader.Next(line);) Use(line, reader.line_number());
//
// Lines come without their "\n" or "\r\n" (a lone "\r" at the very end of the file is dropped
// too); a last line without a newline is returned; empty lines are returned (as empty views).
// A line longer than max_line_bytes is Error kBadFile naming the file and the line number.
// Errors: kNotFound / kIo when the file cannot be opened or read, kBadFile for a corrupt or
// truncated compressed stream (naming the byte offset in the file). After an error the reader
// cannot go on.
class LineReader {
 public:
  explicit LineReader(const std::string& path, size_t max_line_bytes = size_t{64} << 20);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line in `line`, valid until the next call; false at the end of the file.
  bool Next(std::string_view& line);
  // 1-based number of the line Next returned last (0 before the first).
  uint64_t line_number() const { return line_number_; }
  // Bytes of the file read so far (compressed bytes for a compressed file), for progress.
  uint64_t bytes_read() const;
  // Size of the file in bytes (0 for a pipe).
  uint64_t file_size() const;
  const std::string& path() const { return path_; }

  class Decoder;  // the file's bytes, decompressed (in the .cpp)

 private:
  // Appends decoded bytes after end_, making room first; sets eof_ when none are left.
  void Fill();

  std::string path_;
  size_t max_line_bytes_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<char[]> buf_;  // decoded bytes; [pos_, end_) not yet returned
  size_t cap_ = 0;
  size_t pos_ = 0;
  size_t scan_ = 0;  // [pos_, scan_) is known to hold no '\n'
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t line_number_ = 0;
};

struct ShardWriterOptions {
  std::string compression = "zst";  // "zst" (level 3), "gz" (level 6) or "none"
  // A shard is finished after the line that brings its uncompressed size to this or more (lines
  // are never split, so a shard may be larger by less than one line).
  uint64_t max_shard_bytes = uint64_t{256} << 20;
};

// Writes JSONL lines into `dir/prefix-NNNNN.jsonl[.zst|.gz]` (NNNNN from 00000, growing past
// five digits if need be), creating `dir` if missing. Each shard is written as
// `dir/.tmp-<its name>`, then flushed, fsync'ed, renamed into place and the directory fsync'ed
// when it fills up or at Close(). Destroying the writer without Close() deletes the shard in
// progress (shards already finished stay). Not thread-safe. I/O failures are Error kIo.
class ShardWriter {
 public:
  // Error kInvalidArgument for an unknown compression, max_shard_bytes 0, or a prefix that is
  // empty or holds '/'.
  ShardWriter(std::string dir, std::string prefix, ShardWriterOptions options = {});
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Appends `json_line` and "\n". The line must not contain '\n' (Error kInvalidArgument).
  void Write(std::string_view json_line);
  // Finishes the shard in progress and returns the paths of all shards written, in order (none
  // when no line was written). Calling it again returns the same list; Write after Close is a
  // bug.
  std::vector<std::string> Close();

  class Encoder;  // compression into the open file (in the .cpp)

 private:
  void OpenShard();
  void FinishShard();
  void Drain();  // sends the staged bytes through the encoder

  std::string dir_, prefix_, suffix_;
  ShardWriterOptions options_;
  std::unique_ptr<Encoder> encoder_;
  std::unique_ptr<char[]> stage_;  // uncompressed bytes not yet given to the encoder
  size_t staged_ = 0;
  int fd_ = -1;  // the shard in progress, -1 when none
  std::string tmp_path_, final_path_;
  uint64_t shard_bytes_ = 0;  // uncompressed bytes in the shard in progress
  std::vector<std::string> shards_;
  bool closed_ = false;
};

// Replaces `path` with `content` atomically: written to a temporary file beside it, fsync'ed,
// renamed over `path`, and the directory fsync'ed. For small state files (checkpoints,
// manifests); a reader sees the old content or the new, never a mix. Error kIo on failure (the
// temporary is removed).
void WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace exaone::foundry
