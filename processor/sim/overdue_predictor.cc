#include "processor/sim/overdue_predictor.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace callflow::sim {
namespace {

constexpr TimeNs kOverdueAfter = 2 * rules::kHour;  // the rules' default

bool IsOpen(v1::Task::Status status) {
  return status == v1::Task::OPEN || status == v1::Task::UPDATED;
}

}  // namespace

void OverduePredictor::OnAttempt(const std::string& task_id) {
  auto it = by_task_.find(task_id);
  if (it == by_task_.end() || !it->second.armed) return;
  it->second.armed = false;
  deadlines_.erase({it->second.deadline, task_id});
}

void OverduePredictor::OnTask(const v1::Task& task) {
  const std::string& id = task.task_id();
  if (task.kind() == v1::Task::EMAIL) return;
  if (!IsOpen(task.status())) {
    OnAttempt(id);
    by_task_.erase(id);
    return;
  }
  const TimeNs due = rules::FromProto(task.due_at());
  const uint32_t attempt = std::max<uint32_t>(task.attempt(), 1);
  auto [it, inserted] = by_task_.try_emplace(id);
  Watch& w = it->second;
  if (!inserted && w.attempt == attempt && w.due_at == due) return;
  OnAttempt(id);  // the old deadline no longer holds
  w = Watch{attempt, due, 0, true};
  PredictedAlert alert;
  if (task.kind() == v1::Task::CALLBACK && attempt == 1) {
    alert = {absl::StrCat("sla:", id), v1::Alert::CALLBACK_SLA_BREACH, due};
  } else {
    alert = {absl::StrCat("overdue:", id, ":", attempt),
             v1::Alert::TASK_OVERDUE, due + kOverdueAfter};
  }
  w.deadline = alert.at;
  deadlines_.emplace(std::make_pair(alert.at, id), alert);
}

void OverduePredictor::Fire(TimeNs limit) {
  while (!deadlines_.empty() && deadlines_.begin()->first.first <= limit) {
    const std::string& id = deadlines_.begin()->first.second;
    PredictedAlert& alert = deadlines_.begin()->second;
    by_task_[id].armed = false;
    // A reminder or follow-up moved after its alert is overdue again under
    // the next number (a callback's number is its attempt).
    if (!absl::StartsWith(id, "cb:")) {
      alert.alert_id = absl::StrCat("overdue:", id, ":", ++side_alerts_[id]);
    }
    alerts_.push_back(std::move(alert));
    deadlines_.erase(deadlines_.begin());
  }
}

}  // namespace callflow::sim
