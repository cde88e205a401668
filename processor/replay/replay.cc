#include "processor/replay/replay.h"

#include <stdlib.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "callflow/v1/outputs.pb.h"
#include "processor/codec/codec.h"
#include "processor/rules/engine.h"
#include "processor/rules/line_aggregator.h"
#include "processor/rules/validation.h"
#include "processor/util/temp_dir.h"
#include "state/partition_store.h"

namespace callflow::replay {
namespace {

namespace fs = std::filesystem;

// One JSONL output file.
class JsonlFile {
 public:
  absl::Status Open(const fs::path& path) {
    path_ = path.string();
    out_.open(path, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!out_) return absl::InternalError("cannot write " + path_);
    return absl::OkStatus();
  }
  void Write(const google::protobuf::Message& message) {
    out_ << codec::ToJson(message) << '\n';
  }
  absl::Status Close() {
    out_.close();
    if (!out_) return absl::InternalError("error writing " + path_);
    return absl::OkStatus();
  }

 private:
  std::string path_;
  std::ofstream out_;
};

// Receives the engine's (and the line aggregator's) outputs: writes them to
// the JSONL files, folds them into the KPIs and feeds the aggregator.
class ReplaySink : public rules::OutputSink {
 public:
  ReplaySink(rules::LineAggregator* aggregator, rules::KpiAccumulator* kpis)
      : aggregator_(aggregator), kpis_(kpis) {}

  absl::Status Open(const fs::path& dir) {
    for (auto [file, name] : Files()) {
      if (absl::Status s = file->Open(dir / name); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  absl::Status Close() {
    for (auto [file, name] : Files()) {
      if (absl::Status s = file->Close(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  void EmitTask(const v1::Task& task) override {
    tasks_.Write(task);
    kpis_->AddTask(task);
  }
  void EmitAlert(const v1::Alert& alert) override {
    alerts_.Write(alert);
    kpis_->AddAlert(alert);
  }
  void EmitContact(const v1::ContactContext& contact) override {
    contacts_.Write(contact);
  }
  void EmitWindow(const rules::WindowPartial& window) override {
    aggregator_->AddWindow(window);
  }
  void RecordFact(const rules::Fact& fact) override {
    kpis_->AddFact(fact);
    if (fact.kind == rules::FactKind::kInboundStarted) {
      aggregator_->OnInboundStarted(fact.line, fact.time, *this);
    }
  }
  void EmitDeadLetter(const v1::DeadLetter& letter) {
    dlq_.Write(letter);
    kpis_->AddDeadLetters();
  }

 private:
  std::array<std::pair<JsonlFile*, const char*>, 4> Files() {
    return {{{&tasks_, "tasks.jsonl"},
             {&alerts_, "alerts.jsonl"},
             {&contacts_, "contacts.jsonl"},
             {&dlq_, "dlq.jsonl"}}};
  }

  rules::LineAggregator* aggregator_;
  rules::KpiAccumulator* kpis_;
  JsonlFile tasks_, alerts_, contacts_, dlq_;
};

// "replay: 120000 lines, 85000 events/s" on `out`, at most once a second.
class Progress {
 public:
  explicit Progress(std::ostream* out)
      : out_(out), start_(Clock::now()), last_(start_) {}
  void Tick(uint64_t lines) {
    if (out_ == nullptr || (lines & 1023) != 0) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    *out_ << "replay: " << lines << " lines, "
          << static_cast<uint64_t>(lines / secs) << " events/s" << std::endl;
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream* out_;
  Clock::time_point start_;
  Clock::time_point last_;
};

// Drives one engine over the input lines.
class Replayer {
 public:
  Replayer(const rules::EngineOptions& engine_options,
           const ReplayOptions& options, state::PartitionStore* store,
           std::ostream* progress)
      : options_(options),
        progress_(progress),
        engine_(engine_options),
        aggregator_(engine_options),
        sink_(&aggregator_, &kpis_),
        store_(store) {}

  absl::Status Run(std::istream& in) {
    std::error_code ec;
    fs::create_directories(options_.out_dir, ec);
    if (ec) {
      return absl::InternalError(absl::StrCat("cannot create the output dir ",
                                              options_.out_dir, ": ",
                                              ec.message()));
    }
    if (absl::Status s = sink_.Open(options_.out_dir); !s.ok()) return s;
    Progress progress(progress_);
    std::string line;
    uint64_t line_number = 0;
    size_t uncommitted = 0;
    uint64_t blank = 0;
    while (std::getline(in, line)) {
      ++line_number;
      progress.Tick(line_number);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line_number == 1) codec::EraseByteOrderMark(line);
      if (absl::StripAsciiWhitespace(line).empty()) {
        ++blank;  // not an event: said below, not dead-lettered
        continue;
      }
      kpis_.AddEventsRead();
      if (absl::Status s = ProcessLine(line, line_number); !s.ok()) return s;
      if (++uncommitted >= options_.commit_every) {
        if (absl::Status s = store_->Commit(std::nullopt); !s.ok()) return s;
        uncommitted = 0;
      }
    }
    if (in.bad()) return absl::InternalError("error reading " + options_.input);
    if (blank > 0 && progress_ != nullptr) {
      *progress_ << "replay: " << options_.input << ": " << blank
                 << " blank line(s) skipped (not events)" << std::endl;
    }
    if (options_.until.has_value()) {
      engine_.AdvanceWatermark(*options_.until, *store_, sink_);
      AdvanceAggregator();
    }
    if (absl::Status s = store_->Commit(std::nullopt); !s.ok()) return s;
    return sink_.Close();
  }

  const rules::KpiAccumulator& kpis() const { return kpis_; }

 private:
  absl::Status ProcessLine(const std::string& line, uint64_t line_number) {
    absl::Status parsed = codec::ParseEventJson(line, &event_);
    if (!parsed.ok()) {
      DeadLetter(line, line_number, "", Undecoded(line, parsed));
      return absl::OkStatus();
    }
    const rules::Verdict applied = engine_.Process(
        event_, *store_, sink_, options_.now.value_or(0), "--now");
    if (!applied.ok()) {
      DeadLetter(line, line_number, engine_.KeyFor(event_), applied);
      return absl::OkStatus();
    }
    AdvanceAggregator();
    return absl::OkStatus();
  }

  // Why a line ParseEventJson refused is dead-lettered: see
  // rules::UnknownEnumVerdict when enum names this build does not know are
  // all that kept it from decoding, UNDECODABLE otherwise.
  static rules::Verdict Undecoded(const std::string& line,
                                  const absl::Status& parsed) {
    v1::CallEvent known;
    if (const std::optional<std::string> enums =
            codec::UnknownEnumNames(line, &known)) {
      return rules::UnknownEnumVerdict(known, *enums);
    }
    return rules::Verdict::Reject(v1::DeadLetter::UNDECODABLE,
                                  std::string(parsed.message()));
  }

  void AdvanceAggregator() {
    aggregator_.AdvanceWatermark(store_->MutablePartition().watermark(), sink_);
  }

  void DeadLetter(const std::string& line, uint64_t line_number,
                  const std::string& key, const rules::Verdict& verdict) {
    letter_.Clear();
    letter_.set_source_topic(options_.input);
    letter_.set_partition(0);
    letter_.set_offset(static_cast<int64_t>(line_number));
    letter_.set_key(key);
    letter_.set_payload(line);
    letter_.set_error(
        absl::StrCat("line ", line_number, ": ", verdict.message()));
    letter_.set_reason(verdict.reason());
    sink_.EmitDeadLetter(letter_);
  }

  const ReplayOptions& options_;
  std::ostream* progress_;
  rules::Engine engine_;
  rules::LineAggregator aggregator_;
  rules::KpiAccumulator kpis_;
  ReplaySink sink_;
  state::PartitionStore* store_;
  v1::CallEvent event_;
  v1::DeadLetter letter_;
};

}  // namespace

absl::StatusOr<rules::KpiAccumulator> RunReplay(
    const rules::EngineOptions& engine_options,
    const state::StateOptions& state_options, const ReplayOptions& options,
    std::ostream* progress) {
  std::ifstream in(options.input, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the input file '", options.input, "'"));
  }
  std::optional<util::TempDir> temp;
  state::StateOptions so = state_options;
  if (options.state_dir.empty()) {
    auto dir = util::TempDir::Create("callflow-replay");
    if (!dir.ok()) return dir.status();
    temp = *std::move(dir);
    so.dir = temp->path();
    so.flush_on_close = false;  // deleted right after: nothing to keep
  } else {
    so.dir = options.state_dir;
  }
  auto env = state::StateEnv::Create(so);
  if (!env.ok()) return env.status();
  auto store = state::PartitionStore::Open(**env, 0);
  if (!store.ok()) return store.status();
  Replayer replayer(engine_options, options, store->get(), progress);
  if (absl::Status s = replayer.Run(in); !s.ok()) return s;
  // A kept state dir is left as a clean stop of `run` leaves it: the next
  // replay over it opens without replaying RocksDB's write-ahead log. (The
  // close would flush too, but could not report a failure.)
  if (!options.state_dir.empty()) {
    if (absl::Status s = (*store)->FlushToDisk(); !s.ok()) return s;
  }
  rules::KpiAccumulator kpis = replayer.kpis();
  std::ofstream summary(fs::path(options.out_dir) / "summary.json",
                        std::ios::out | std::ios::trunc | std::ios::binary);
  summary << kpis.SummaryJson();
  summary.close();
  if (!summary) {
    return absl::InternalError(
        absl::StrCat("error writing ", options.out_dir, "/summary.json"));
  }
  return kpis;
}

}  // namespace callflow::replay
