// The send fence: a fenced thread of a process that stood still past its
// watch's limit puts nothing more on a socket (sendmsg, sendto, write),
// while other threads, and its writes to pipes, go on; a producer whose
// librdkafka threads are fenced delivers nothing. The whole path, a real
// SIGSTOP of a `callflow run` child with records queued, is
// ScaleOutTest.OutputsQueuedBeforeAPauseAreNeverSent.
#include "processor/pipeline/internal/send_fence.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <thread>

#include "processor/pipeline/internal/output_producer.h"
#include "processor/pipeline/mock_cluster.h"
#include "tests/support/status_matchers.h"

namespace callflow::pipeline {
namespace {

using ::callflow_testing::IsOk;
using std::chrono::milliseconds;

// A watch whose process already "stood still": its limit is shorter than
// the gap between two of its ticks.
std::unique_ptr<FreezeWatch> FrozenWatch() {
  auto watch = std::make_unique<FreezeWatch>(milliseconds(1));
  while (watch->FrozenFor(FreezeWatch::Clock::now()).count() == 0) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  return watch;
}

// What each of the fenced calls returns on `fd`, and errno when it fails.
struct Sent {
  ssize_t sendmsg_result, sendto_result, write_result;
  int error;
};
Sent SendAll(int fd) {
  char byte = 'x';
  iovec iov{&byte, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  Sent sent{};
  errno = 0;
  sent.sendmsg_result = sendmsg(fd, &msg, MSG_NOSIGNAL);
  sent.sendto_result = sendto(fd, &byte, 1, MSG_NOSIGNAL, nullptr, 0);
  sent.write_result = write(fd, &byte, 1);
  sent.error = errno;
  return sent;
}

class SocketPair {
 public:
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  ~SocketPair() {
    close(fds_[0]);
    close(fds_[1]);
  }
  int fd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

TEST(SendFenceTest, AFencedThreadSendsWhileItsProcessRuns) {
  FreezeWatch running(milliseconds(10000));
  SocketPair sockets;
  Sent sent{};
  std::thread([&] {
    FenceThisThread(&running);
    sent = SendAll(sockets.fd());
  }).join();
  EXPECT_EQ(sent.sendmsg_result, 1);
  EXPECT_EQ(sent.sendto_result, 1);
  EXPECT_EQ(sent.write_result, 1);
}

TEST(SendFenceTest, AFencedThreadOfAFrozenProcessSendsNothing) {
  auto frozen = FrozenWatch();
  SocketPair sockets;
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  Sent sent{};
  ssize_t to_pipe = 0;
  std::thread([&] {
    FenceThisThread(frozen.get());
    sent = SendAll(sockets.fd());
    char byte = 'x';
    to_pipe = write(pipe_fds[1], &byte, 1);  // not a socket: goes on
  }).join();
  EXPECT_EQ(sent.sendmsg_result, -1);
  EXPECT_EQ(sent.sendto_result, -1);
  EXPECT_EQ(sent.write_result, -1);
  EXPECT_EQ(sent.error, ECANCELED);
  EXPECT_EQ(to_pipe, 1);
  // A thread that is not fenced sends as ever.
  EXPECT_EQ(SendAll(sockets.fd()).sendmsg_result, 1);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

// One record through an OutputProducer fenced with `watch`; the topic's end
// offset afterwards.
int64_t ProduceOne(const FreezeWatch& watch) {
  auto cluster = MockCluster::Start(1);
  EXPECT_THAT(cluster, IsOk());
  EXPECT_THAT((*cluster)->CreateTopic("fenced", 1), IsOk());
  const KafkaProperties kafka = {
      {"bootstrap.servers", (*cluster)->bootstraps()},
      {"producer.message.timeout.ms", "3000"}};
  {
    auto producer = OutputProducer::Create(kafka, {}, &watch);
    EXPECT_THAT(producer, IsOk());
    DeliveryTracker tracker;
    EXPECT_THAT((*producer)->Produce("fenced", "k", "v", &tracker), IsOk());
    EXPECT_TRUE(tracker.WaitAll(milliseconds(10000)));
  }
  auto conf = MakeKafkaConf(KafkaClient::kProducer, {},
                            {{"bootstrap.servers", (*cluster)->bootstraps()}});
  EXPECT_THAT(conf, IsOk());
  std::string err;
  std::unique_ptr<RdKafka::Producer> reader(
      RdKafka::Producer::create(conf->get(), err));
  int64_t low = 0, high = -1;
  EXPECT_EQ(reader->query_watermark_offsets("fenced", 0, &low, &high, 10000),
            RdKafka::ERR_NO_ERROR);
  return high;
}

TEST(SendFenceTest, AProducerOfARunningProcessDelivers) {
  FreezeWatch running(milliseconds(10000));
  EXPECT_EQ(ProduceOne(running), 1);
}

TEST(SendFenceTest, AProducerOfAFrozenProcessDeliversNothing) {
  auto frozen = FrozenWatch();
  EXPECT_EQ(ProduceOne(*frozen), 0);
}

}  // namespace
}  // namespace callflow::pipeline
