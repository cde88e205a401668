#include "processor/pipeline/internal/kafka_output_sink.h"

#include <optional>

#include "processor/pipeline/output_limits.h"

namespace callflow::pipeline {
namespace {

void AddStart(v1::LineUpdate& update, std::string_view line, rules::TimeNs at) {
  for (v1::LineStarts& s : *update.mutable_starts()) {
    if (s.line() == line) {
      s.add_at(at);
      return;
    }
  }
  v1::LineStarts* s = update.add_starts();
  s->set_line(std::string(line));
  s->add_at(at);
}

}  // namespace

KafkaOutputSink::KafkaOutputSink(int shard, const Topics& topics,
                                 OutputProducer& producer,
                                 DeliveryTracker& tracker, PipelineStats& stats,
                                 PipelineObserver* observer)
    : shard_(shard),
      topics_(topics),
      producer_(producer),
      tracker_(&tracker),
      stats_(stats),
      counters_(stats.shards[shard]),
      observer_(observer) {}

void KafkaOutputSink::Send(const std::string& topic, std::string_view key,
                           const google::protobuf::MessageLite& message,
                           bool urgent) {
  message.SerializeToString(&buffer_);
  // A refused record is logged and counted as failed by the producer; the
  // commit cycle sees it through the tracker.
  producer_.Produce(topic, key, buffer_, tracker_, urgent).IgnoreError();
}

void KafkaOutputSink::EmitTask(const v1::Task& task) {
  if (holding_) {
    held_.emplace_back(HeldKind::kTask, held_tasks_.Add(task));
  } else {
    ProduceTask(task);
  }
}

void KafkaOutputSink::EmitAlert(const v1::Alert& alert) {
  if (holding_) {
    held_.emplace_back(HeldKind::kAlert, held_alerts_.Add(alert));
  } else {
    ProduceAlert(alert);
  }
}

void KafkaOutputSink::EmitContact(const v1::ContactContext& contact) {
  if (holding_) {
    held_.emplace_back(HeldKind::kContact, held_contacts_.Add(contact));
  } else {
    ProduceContact(contact);
  }
}

void KafkaOutputSink::EndHold(bool produce) {
  holding_ = false;
  if (produce) {
    for (const auto& [kind, slot] : held_) {
      switch (kind) {
        case HeldKind::kTask:
          ProduceTask(held_tasks_.slots[slot]);
          break;
        case HeldKind::kAlert:
          ProduceAlert(held_alerts_.slots[slot]);
          break;
        case HeldKind::kContact:
          ProduceContact(held_contacts_.slots[slot]);
          break;
      }
    }
  }
  held_tasks_.used = 0;
  held_alerts_.used = 0;
  held_contacts_.used = 0;
  held_.clear();
}

void KafkaOutputSink::ProduceTask(const v1::Task& task) {
  Send(topics_.tasks, task.task_id(), task, /*urgent=*/false);
  stats_.tasks.fetch_add(1, std::memory_order_relaxed);
  if (observer_ != nullptr) observer_->OnTask(shard_, task);
}

void KafkaOutputSink::ProduceAlert(const v1::Alert& alert) {
  // Alert text can quote input (line names, ...): keep it producible.
  const std::optional<v1::Alert> capped = LimitAlert(alert);
  Send(topics_.alerts, alert.alert_id(), capped ? *capped : alert,
       /*urgent=*/alert.kind() == v1::Alert::EMERGENCY);
  stats_.alerts.fetch_add(1, std::memory_order_relaxed);
  if (observer_ != nullptr) observer_->OnAlert(shard_, alert);
}

void KafkaOutputSink::ProduceContact(const v1::ContactContext& contact) {
  Send(topics_.contacts, contact.caller(), contact, /*urgent=*/false);
  stats_.contacts.fetch_add(1, std::memory_order_relaxed);
}

void KafkaOutputSink::EmitWindow(const rules::WindowPartial& window) {
  v1::LineWindowState* w = line_updates_[partition_].add_windows();
  w->set_line(std::string(window.line));
  w->set_window_start(window.window_start);
  w->set_inbound(window.inbound);
  w->set_missed(window.missed);
}

void KafkaOutputSink::RecordFact(const rules::Fact& fact) {
  switch (fact.kind) {
    case rules::FactKind::kInboundStarted:
      AddStart(line_updates_[partition_], fact.line, fact.time);
      break;
    case rules::FactKind::kDuplicate:
      counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
      break;
    default:
      break;
  }
  if (observer_ != nullptr) observer_->OnFact(shard_, fact);
}

void KafkaOutputSink::EmitDeadLetter(const v1::DeadLetter& dead_letter) {
  Send(topics_.dlq, dead_letter.key(), dead_letter, /*urgent=*/false);
  stats_.dead_letters[dead_letter.reason()].fetch_add(1);
  if (observer_ != nullptr) observer_->OnDeadLetter(shard_, dead_letter);
}

}  // namespace callflow::pipeline
