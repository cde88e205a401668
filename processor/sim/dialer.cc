#include "processor/sim/dialer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "processor/sim/random.h"

namespace callflow::sim {
namespace {

using rules::kHour;
using rules::kMinute;
using rules::kSecond;

bool Dialled(v1::Task::Kind kind) {
  return kind == v1::Task::CALLBACK || kind == v1::Task::REMINDER ||
         kind == v1::Task::FOLLOW_UP;
}

bool Open(v1::Task::Status status) {
  return status == v1::Task::OPEN || status == v1::Task::UPDATED;
}

TimeNs Minutes(Rng& rng, double lo, double hi) {
  return static_cast<TimeNs>(rng.Uniform(lo, hi) * kMinute);
}

}  // namespace

Dialer::Dialer(const DialerOptions& options) : options_(options) {}

DialAttempt Dialer::Plan(const v1::Task& task, TimeNs now) const {
  const TimeNs due = rules::FromProto(task.due_at());
  Rng rng(HashKey(options_.seed,
                  absl::StrCat(task.task_id(), "/", task.attempt(), "/", due)));
  DialAttempt a;
  a.task_id = task.task_id();
  a.kind = task.kind();
  a.caller = task.caller();
  a.line = task.line();
  a.attempt = task.attempt();

  const bool late = rng.Bernoulli(options_.late_share);
  const bool first_callback =
      task.kind() == v1::Task::CALLBACK && task.attempt() <= 1;
  if (late) {
    // Past attempt 1's due (SLA breach) or a later due + 2 h (overdue).
    a.at =
        due + (first_callback ? Minutes(rng, 5, 180) : Minutes(rng, 135, 360));
  } else if (first_callback) {
    // Within the hour after the missed call, before the task falls due.
    a.at = std::min(now + Minutes(rng, 3, 50), due - kMinute);
  } else if (task.kind() == v1::Task::CALLBACK) {
    a.at = due + Minutes(rng, -45, 60);  // about a day after the last try
  } else {
    a.at = due + Minutes(rng, 0, 90);
  }
  a.at = std::max(a.at, now);

  const double x = rng.Uniform();
  if (task.kind() == v1::Task::CALLBACK) {
    const double reach = options_.callback_reach;
    const double no_answer = reach + options_.callback_no_answer;
    const double busy = no_answer + options_.callback_busy;
    a.result = x < reach       ? v1::CallbackAttempt::REACHED
               : x < no_answer ? v1::CallbackAttempt::NO_ANSWER
               : x < busy      ? v1::CallbackAttempt::BUSY
                               : v1::CallbackAttempt::FAILED;
  } else {
    a.result = x < options_.reminder_reach ? v1::CallbackAttempt::REACHED
                                           : v1::CallbackAttempt::NO_ANSWER;
  }
  switch (a.result) {
    case v1::CallbackAttempt::REACHED:
      a.ring_seconds = rng.UniformInt(4, 20);
      a.talk_seconds =
          static_cast<uint32_t>(rng.Erlang(2, 150) + rng.UniformInt(5, 20));
      break;
    case v1::CallbackAttempt::NO_ANSWER:
      a.ring_seconds = rng.UniformInt(30, 45);
      break;
    case v1::CallbackAttempt::BUSY:
      a.ring_seconds = rng.UniformInt(1, 3);
      break;
    default:
      a.ring_seconds = rng.UniformInt(0, 2);
      break;
  }
  if (first_callback && !late) {
    // The attempt is reported when its call ends (PlayAttempt): that too
    // must come before the task falls due.
    const TimeNs call = (a.ring_seconds + a.talk_seconds + 1) * kSecond;
    a.at = std::max(std::min(a.at, due - kMinute - call), now);
  }
  a.at -= a.at % (kSecond / 1000);  // millisecond event times
  return a;
}

void Dialer::OnTask(const v1::Task& task, TimeNs now) {
  if (!Dialled(task.kind())) return;
  auto it = tasks_.find(task.task_id());
  if (!Open(task.status())) {
    if (it != tasks_.end()) {
      if (!it->second.made) queue_.erase({it->second.plan.at, it->first});
      tasks_.erase(it);
    }
    return;
  }
  const TimeNs due = rules::FromProto(task.due_at());
  if (it != tasks_.end()) {
    Entry& e = it->second;
    if (e.attempt == task.attempt() && e.due_at == due) return;
    if (!e.made) queue_.erase({e.plan.at, it->first});
  } else {
    it = tasks_.emplace(task.task_id(), Entry{}).first;
  }
  Entry& e = it->second;
  e.attempt = task.attempt();
  e.due_at = due;
  e.made = false;
  e.plan = Plan(task, now);
  queue_.emplace(e.plan.at, it->first);
}

std::optional<TimeNs> Dialer::NextAt() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first;
}

bool Dialer::PopDue(TimeNs now, DialAttempt* out) {
  if (queue_.empty() || queue_.begin()->first > now) return false;
  auto it = tasks_.find(queue_.begin()->second);
  queue_.erase(queue_.begin());
  Entry& e = it->second;
  *out = e.plan;
  e.made = true;  // one attempt per (attempt, due_at) until the task changes
  return true;
}

}  // namespace callflow::sim
