#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "processor/ingest/file_tail.h"

namespace callflow::ingest {

// `--position-file`: where `callflow ingest --follow` stopped, as one line
// "<inode> <offset> <lines>" ("<inode> <offset>" from older versions is
// read with the line count 0: line numbers then count from there). Saved only
// after the output of the lines before it is flushed (file) or acknowledged
// (Kafka), by writing a temporary file and renaming it over the old one, so a
// crash leaves the old or the new position, never a torn one.
//
// Lifecycle: free functions. Thread-safe for different paths.
// nullopt when `path` does not exist; an error when it cannot be read.
absl::StatusOr<std::optional<FilePosition>> LoadPosition(
    const std::string& path);
absl::Status SavePosition(const std::string& path, const FilePosition& pos);

}  // namespace callflow::ingest
