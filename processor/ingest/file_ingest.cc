#include "processor/ingest/file_ingest.h"

#include <unistd.h>

#include <cerrno>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "processor/ingest/file_tail.h"
#include "processor/ingest/ingest_writer.h"
#include "processor/ingest/position_file.h"

namespace callflow::ingest {
namespace {

using Clock = std::chrono::steady_clock;

// Follow mode, like tail -F: waits for an input that does not exist yet.
// False when stopped first.
bool WaitUntilItExists(const FileIngestOptions& options,
                       const std::atomic<bool>& stop, std::ostream& log) {
  if (!options.follow || options.input == "-") return true;
  bool said = false;
  while (access(options.input.c_str(), F_OK) != 0 && errno == ENOENT) {
    if (stop.load(std::memory_order_relaxed)) return false;
    if (!said) {
      log << "ingest: waiting for " << options.input << " to appear\n";
      said = true;
    }
    std::this_thread::sleep_for(options.poll_every);
  }
  return true;
}

}  // namespace

absl::StatusOr<IngestCounts> RunFileIngest(
    const FileIngestOptions& options, LineAdapter& adapter, EventSink& sink,
    const std::atomic<bool>& stop, IngestMetrics* metrics, std::ostream& log) {
  std::optional<FilePosition> resume;
  if (!options.position_file.empty()) {
    auto loaded = LoadPosition(options.position_file);
    if (!loaded.ok()) return loaded.status();
    resume = *loaded;
  }
  if (!WaitUntilItExists(options, stop, log)) return IngestCounts{};
  auto tail = FileTail::Open(options.input, options.follow, resume);
  if (!tail.ok()) return tail.status();
  FileTail& in = **tail;
  if (resume && !in.resumed()) {
    log << "ingest: " << options.input << " is not the file of "
        << options.position_file << " any more (rotated or truncated); "
        << "reading it from the start\n";
  }
  IngestWriter writer(sink, log, options.input, options.future);
  IngestCounts& counts = writer.counts();
  FilePosition saved = resume.value_or(FilePosition{});
  auto checkpoint = [&]() -> absl::Status {
    counts.evicted = adapter.evicted();
    if (absl::Status s = sink.Flush(); !s.ok()) return s;
    if (metrics != nullptr) metrics->Publish(counts, adapter.open_calls(), 0);
    if (options.position_file.empty() || in.position() == saved) {
      return absl::OkStatus();
    }
    saved = in.position();
    return SavePosition(options.position_file, saved);
  };

  std::vector<v1::CallEvent> events;
  Clock::time_point last_checkpoint = Clock::now();
  uint64_t since_clock_check = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    auto line = in.NextLine();
    if (!line.ok()) return line.status();
    if (line->has_value()) {
      events.clear();
      const bool cut = in.last_line_size() > (*line)->size();
      const LineResult result =
          cut ? LineResult{LineOutcome::kMalformed,
                           absl::StrCat("a line of ", in.last_line_size(),
                                        " bytes, longer than the ",
                                        FileTail::kMaxLineBytes,
                                        " ingest reads (no newline in a "
                                        "corrupted log?)"),
                           v1::DeadLetter::UNDECODABLE}
              : adapter.Convert(**line, &events);
      if (absl::Status s = writer.Handle(
              result, events, **line,
              LineOrigin{-1,
                         static_cast<int64_t>(in.position().lines),
                         {},
                         cut ? in.last_line_size() : 0,
                         cut ? in.last_line_fnv1a() : 0});
          !s.ok()) {
        return s;
      }
      // Looking at the clock costs; every 4096 lines is often enough.
      if (options.follow && (++since_clock_check & 4095) == 0 &&
          Clock::now() - last_checkpoint >= options.checkpoint_every) {
        if (absl::Status s = checkpoint(); !s.ok()) return s;
        last_checkpoint = Clock::now();
      }
      continue;
    }
    if (!options.follow) break;
    if (absl::Status s = checkpoint(); !s.ok()) return s;
    last_checkpoint = Clock::now();
    auto rotated = in.CheckRotation();
    if (!rotated.ok()) return rotated.status();
    if (*rotated) {
      log << "ingest: " << options.input
          << " was rotated or truncated; reading it from the start\n";
      continue;
    }
    std::this_thread::sleep_for(options.poll_every);
  }
  if (absl::Status s = checkpoint(); !s.ok()) return s;
  return counts;
}

}  // namespace callflow::ingest
