#include "processor/pipeline/internal/send_fence.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace callflow::pipeline {
namespace {

constexpr char kInterceptorName[] = "callflow-send-fence";

thread_local const FreezeWatch* t_watch = nullptr;

// True, with errno set, when the calling thread is fenced, its process
// stood still, and `fd` is a socket: the send must not happen.
bool Refused(int fd) {
  const FreezeWatch* watch = t_watch;
  if (watch == nullptr) return false;
  if (watch->FrozenFor(FreezeWatch::Clock::now()).count() == 0) return false;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  errno = ECANCELED;
  return true;
}

rd_kafka_resp_err_t OnThreadStart(rd_kafka_t*, rd_kafka_thread_type_t,
                                  const char*, void* opaque) {
  FenceThisThread(static_cast<const FreezeWatch*>(opaque));
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t OnNew(rd_kafka_t* rk, const rd_kafka_conf_t*, void* opaque,
                          char*, size_t) {
  return rd_kafka_interceptor_add_on_thread_start(rk, kInterceptorName,
                                                  OnThreadStart, opaque);
}

// Adds both interceptors to `conf`.
rd_kafka_resp_err_t Install(rd_kafka_conf_t* conf, void* watch);

// A copy of the conf (librdkafka's C++ API copies it in Producer::create)
// gets no interceptors but those its on_conf_dup adds: fence the copy too.
rd_kafka_resp_err_t OnConfDup(rd_kafka_conf_t* new_conf, const rd_kafka_conf_t*,
                              size_t, const char**, void* opaque) {
  return Install(new_conf, opaque);
}

rd_kafka_resp_err_t Install(rd_kafka_conf_t* conf, void* watch) {
  rd_kafka_resp_err_t err = rd_kafka_conf_interceptor_add_on_new(
      conf, kInterceptorName, OnNew, watch);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return err;
  return rd_kafka_conf_interceptor_add_on_conf_dup(conf, kInterceptorName,
                                                   OnConfDup, watch);
}

}  // namespace

void FenceThisThread(const FreezeWatch* watch) { t_watch = watch; }

absl::Status FenceClientThreads(rd_kafka_conf_s* conf,
                                const FreezeWatch* watch) {
  rd_kafka_resp_err_t err = Install(conf, const_cast<FreezeWatch*>(watch));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("send fence interceptor: ", rd_kafka_err2str(err)));
}

}  // namespace callflow::pipeline

// The process's definitions of the calls that put bytes on a socket; the
// dynamic linker binds librdkafka's and OpenSSL's calls to these. Each goes
// to the system call itself, as glibc's would.
extern "C" {

ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  if (callflow::pipeline::Refused(fd)) return -1;
  return syscall(SYS_sendmsg, fd, msg, flags);
}

ssize_t sendto(int fd, const void* buf, size_t len, int flags,
               const struct sockaddr* addr, socklen_t addr_len) {
  if (callflow::pipeline::Refused(fd)) return -1;
  return syscall(SYS_sendto, fd, buf, len, flags, addr, addr_len);
}

ssize_t write(int fd, const void* buf, size_t count) {
  if (callflow::pipeline::Refused(fd)) return -1;
  return syscall(SYS_write, fd, buf, count);
}

}  // extern "C"
