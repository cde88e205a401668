#pragma once

#include "absl/status/status.h"
#include "processor/pipeline/internal/freeze_watch.h"

struct rd_kafka_conf_s;

namespace callflow::pipeline {

// The send fence: once this process stood still longer than its group
// session (FreezeWatch), the threads fenced with that watch can no longer
// put anything on a socket. Their sendmsg, sendto and write calls on a
// socket fail with ECANCELED (librdkafka logs "Send failed: Operation
// canceled"); their writes to files, pipes and eventfds go on.
//
// Why: a process paused (SIGSTOP, a paused VM) with output records queued in
// librdkafka resumes with those records overdue, and librdkafka's broker
// threads send them in the first microseconds, before any thread of ours
// has run. By then the group gave the partitions to another instance, which
// redid the cycle and wrote newer records for the same tasks; the late ones
// would land after them. The fence sits in the send itself, so the broker
// thread asks the watch before its request leaves: a stale tick already
// tells it the process stood still (FreezeWatch::FrozenFor). What was on
// the wire before the pause was appended before the new owner started.
//
// How: this module defines sendmsg, sendto and write for the whole process
// (a thread not fenced pays one thread-local load and goes straight to the
// system call). A fenced thread checks its watch first. librdkafka sends
// with sendmsg on plaintext connections; OpenSSL with write or sendmsg.
//
// Thread-safety: FenceThisThread affects the calling thread only;
// FenceClientThreads before the client is created. The watch must outlive
// every fenced thread.
void FenceThisThread(const FreezeWatch* watch);

// Fences every thread librdkafka starts for a client created from `conf`
// (on_new and on_thread_start interceptors; on_conf_dup carries them to
// the copies of `conf`).
absl::Status FenceClientThreads(rd_kafka_conf_s* conf,
                                const FreezeWatch* watch);

}  // namespace callflow::pipeline
