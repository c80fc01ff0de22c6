#include "engine/train/process_group.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#ifdef MIRAGE_QUIET_GLOG
#include <glog/logging.h>
#endif

#include "engine/core/log.h"

namespace mirage::train {
namespace {

using Milliseconds = std::chrono::milliseconds;
constexpr Milliseconds kHeartbeat{250};
constexpr Milliseconds kDiagnosis{1200};  // a live rank beats about five times in this window

std::string first_line(const std::exception& exception) {
  std::string what;
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&exception)) {
    what = c10->what_without_backtrace();
  } else {
    what = exception.what();
  }
  return what.substr(0, what.find('\n'));
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

std::vector<std::uint8_t> to_bytes(const std::string& text) { return {text.begin(), text.end()}; }
std::string from_bytes(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

c10::intrusive_ptr<c10d::Store> open_store(const DistributedOptions& o, bool server) {
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(o.master_port);
  store_options.isServer = server;
  // The ranks are counted by wait_for_ranks() below: the store's own waitWorkers counts its
  // clients differently across LibTorch versions and, in 1.13, returns at its timeout without
  // saying that someone is missing.
  store_options.numWorkers = c10::nullopt;
  store_options.waitWorkers = false;
  store_options.timeout = Milliseconds(static_cast<std::int64_t>(1000 * o.timeout_s));
  auto tcp = c10::make_intrusive<c10d::TCPStore>(o.master_host, store_options);
  return c10::make_intrusive<c10d::PrefixStore>("mirage/" + o.run_id, tcp);
}

// While connecting, c10d logs every failed attempt through glog (Debian's LibTorch) in lines of
// its own ("E1204 ... socket.cpp:860] [c10d] The client socket has timed out ..."); the one-line
// error that connect() returns says it better. Quiet for the lifetime of this object.
class QuietConnectLog {
 public:
#ifdef MIRAGE_QUIET_GLOG
  QuietConnectLog() : saved_(FLAGS_minloglevel) { FLAGS_minloglevel = google::GLOG_FATAL; }
  ~QuietConnectLog() { FLAGS_minloglevel = saved_; }

 private:
  int saved_;
#endif
};

// Every rank adds itself to "joined"; rank 0 waits until all have, or the timeout. Returns how
// many had joined when it gave up (world_size: all).
int wait_for_ranks(c10d::Store& store, const DistributedOptions& o) {
  const std::int64_t joined = store.add("joined", 1);
  if (o.rank != 0) return o.world_size;
  const auto deadline = std::chrono::steady_clock::now() + Milliseconds(static_cast<std::int64_t>(1000 * o.timeout_s));
  for (std::int64_t n = joined; n < o.world_size; n = store.add("joined", 0)) {
    if (std::chrono::steady_clock::now() >= deadline) return static_cast<int>(n);
    std::this_thread::sleep_for(Milliseconds(20));
  }
  return o.world_size;
}

// One line for a rendezvous that failed, from c10d's message.
Error rendezvous_error(const DistributedOptions& o, bool server, const std::string& what) {
  const std::string where = format("{}:{}", o.master_host, o.master_port);
  const std::string seconds = format("{:g} s", o.timeout_s);
  if (server && (what.find("already in use") != std::string::npos || what.find("errno: 98") != std::string::npos)) {
    return Error{ErrorCode::kIo,
                 format("cannot listen on port {} for the other ranks: address already in use (another "
                        "run holds it; choose a free one with --master HOST:PORT or MASTER_PORT)",
                        o.master_port)};
  }
  if (!server && (what.find("timed out") != std::string::npos || what.find("connect") != std::string::npos)) {
    return Error{ErrorCode::kIo, format("no master at {} within {} (is rank 0 running and reachable "
                                        "there?)", where, seconds)};
  }
  return Error{ErrorCode::kIo, format("distributed rendezvous at {} failed: {}", where, what)};
}

}  // namespace

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;       // the rendezvous; lost_ranks() reads it
  c10::intrusive_ptr<c10d::ProcessGroup> group;  // Gloo: CPU tensors, every small exchange
  c10::intrusive_ptr<c10d::ProcessGroup> nccl;   // CUDA gradients, where this LibTorch has NCCL
  c10::intrusive_ptr<c10d::Store> beat_store;  // the heartbeat's own connection
  std::mutex store_mutex;
  std::jthread heartbeat;
};

Result<std::unique_ptr<ProcessGroup>> ProcessGroup::connect(const DistributedOptions& o, bool cuda) {
  if (auto s = validate(o); !s) return std::unexpected(s.error());
  if (!o.active()) return fail(ErrorCode::kInvalidArgument, "a process group needs a world size above 1");
  auto impl = std::make_unique<Impl>();
  const bool server = o.rank == 0 && !o.agent_store;
  const QuietConnectLog quiet;
  int joined = 0;
  try {
    impl->store = open_store(o, server);
    joined = wait_for_ranks(*impl->store, o);
  } catch (const std::exception& exception) {
    return std::unexpected(rendezvous_error(o, server, first_line(exception)));
  }
  if (joined < o.world_size) {
    return fail(ErrorCode::kIo, "only {} of {} ranks joined at {}:{} within {:g} s; the rest never connected "
                "(start every rank, or check --world-size)", joined, o.world_size, o.master_host,
                o.master_port, o.timeout_s);
  }
  try {
    const auto timeout = Milliseconds(static_cast<std::int64_t>(1000 * o.timeout_s));
    auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name != nullptr && *name != '\0') {
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
    } else if (is_loopback(o.master_host)) {
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("gloo", impl->store), o.rank, o.world_size, gloo);
#ifdef USE_C10D_NCCL
    if (cuda) {
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = timeout;
      impl->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
          c10::make_intrusive<c10d::PrefixStore>("nccl", impl->store), o.rank, o.world_size, nccl);
    }
#else
    (void)cuda;  // CUDA gradients go through Gloo on the CPU
#endif
    impl->beat_store = open_store(o, false);
  } catch (const std::exception& exception) {
    return fail(ErrorCode::kIo, "connecting the {} ranks at {}:{} failed: {}", o.world_size,
                o.master_host, o.master_port, first_line(exception));
  }
  Impl* raw = impl.get();
  impl->heartbeat = std::jthread([raw, key = format("alive/{}", o.rank)](std::stop_token stop) {
    while (!stop.stop_requested()) {
      try {
        raw->beat_store->add(key, 1);
      } catch (const std::exception&) {
        return;  // the store (the master) is gone; lost_ranks() will say so
      }
      std::mutex m;
      std::unique_lock lock(m);
      std::condition_variable_any pause;
      pause.wait_for(lock, stop, kHeartbeat, [] { return false; });
    }
  });
  log::info("distributed: rank {} of {} connected through {}:{}", o.rank, o.world_size, o.master_host,
            o.master_port);
  return std::unique_ptr<ProcessGroup>(new ProcessGroup(o, std::move(impl)));
}

ProcessGroup::ProcessGroup(DistributedOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}

ProcessGroup::~ProcessGroup() {
  impl_->heartbeat.request_stop();
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
}

Status ProcessGroup::check_same(const Json& fingerprint) {
  std::vector<Json> prints(static_cast<std::size_t>(world_size()));
  try {
    const std::lock_guard lock(impl_->store_mutex);
    impl_->store->set(format("fingerprint/{}", rank()), to_bytes(fingerprint.dump()));
    for (int r = 0; r < world_size(); ++r) {
      prints[static_cast<std::size_t>(r)] = Json::parse(from_bytes(impl_->store->get(format("fingerprint/{}", r))));
    }
  } catch (const std::exception& exception) {
    return fail(ErrorCode::kIo, "comparing the ranks' settings failed: {}", first_line(exception));
  }
  const Json& reference = prints.front();
  for (int r = 1; r < world_size(); ++r) {
    const Json& other = prints[static_cast<std::size_t>(r)];
    for (const auto& [key, value] : reference.items()) {
      const Json theirs = other.contains(key) ? other.at(key) : Json();
      if (theirs != value) {
        return fail(ErrorCode::kInvalidArgument,
                    "rank {}'s {} is {}, rank 0's {}: every rank must train the same preset, options "
                    "and face sets", r, key, theirs.dump(), value.dump());
      }
    }
  }
  return ok();
}

Status ProcessGroup::agree(const Status& mine) {
  std::vector<std::string> outcomes;
  try {
    const std::lock_guard lock(impl_->store_mutex);
    impl_->store->set(format("started/{}", rank()), to_bytes(mine ? std::string() : mine.error().message));
    for (int r = 0; r < world_size(); ++r) outcomes.push_back(from_bytes(impl_->store->get(format("started/{}", r))));
  } catch (const std::exception& exception) {
    return fail(ErrorCode::kIo, "waiting for the other ranks to start failed: {}", first_line(exception));
  }
  if (!mine) return mine;
  for (int r = 0; r < world_size(); ++r) {
    if (!outcomes[static_cast<std::size_t>(r)].empty()) {
      return fail(ErrorCode::kInvalidArgument, "rank {} could not start: {}", r, outcomes[static_cast<std::size_t>(r)]);
    }
  }
  return ok();
}

std::string ProcessGroup::broadcast_bytes(const std::string& bytes) {
  std::vector<torch::Tensor> size{torch::tensor({static_cast<std::int64_t>(rank() == 0 ? bytes.size() : 0)}, torch::kLong)};
  wait(impl_->group->broadcast(size), 0);
  const std::int64_t n = size.front().item<std::int64_t>();
  std::vector<torch::Tensor> data{torch::empty({n}, torch::kUInt8)};
  if (rank() == 0) std::copy(bytes.begin(), bytes.end(), data.front().data_ptr<std::uint8_t>());
  wait(impl_->group->broadcast(data), 0);
  const auto* p = data.front().data_ptr<std::uint8_t>();
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

bool ProcessGroup::reduces_on_cuda() const { return impl_->nccl != nullptr; }

c10::intrusive_ptr<c10d::Work> ProcessGroup::allreduce(torch::Tensor& tensor) {
  std::vector<torch::Tensor> tensors{tensor};
  return (tensor.is_cuda() && impl_->nccl ? impl_->nccl : impl_->group)->allreduce(tensors);
}

void ProcessGroup::wait(const c10::intrusive_ptr<c10d::Work>& work, std::int64_t step) {
  try {
    work->wait();
  } catch (const std::exception& exception) {
    throw_lost(first_line(exception), step);
  }
}

void ProcessGroup::allreduce_now(torch::Tensor& tensor, std::int64_t step) { wait(allreduce(tensor), step); }

std::vector<int> ProcessGroup::lost_ranks() {
  const std::lock_guard lock(impl_->store_mutex);
  const auto read = [&] {
    std::vector<std::int64_t> beats;
    for (int r = 0; r < world_size(); ++r) beats.push_back(impl_->store->add(format("alive/{}", r), 0));
    return beats;
  };
  try {
    const std::vector<std::int64_t> before = read();
    std::this_thread::sleep_for(kDiagnosis);
    const std::vector<std::int64_t> after = read();
    std::vector<int> lost;
    for (int r = 0; r < world_size(); ++r) {
      if (r != rank() && after[static_cast<std::size_t>(r)] == before[static_cast<std::size_t>(r)]) lost.push_back(r);
    }
    return lost;
  } catch (const std::exception&) {
    return {0};  // the store lives with the master
  }
}

void ProcessGroup::throw_lost(const std::string& what, std::int64_t step) {
  const std::vector<int> lost = lost_ranks();
  std::string who;
  for (const int r : lost) who += (who.empty() ? "" : ", ") + std::to_string(r);
  const std::string at = step > 0 ? format(" at step {}", step) : std::string(" at the start");
  if (lost.empty()) {
    throw RankLost(format("a collective of the {} ranks failed{} while every rank still runs ({}); "
                          "one may be stuck past the {:g} s timeout",
                          world_size(), at, what, options_.timeout_s));
  }
  const bool master = options_.agent_store && lost == std::vector<int>{0};
  throw RankLost(format("lost rank {} of {}{}{} ({}); training stops", who, world_size(), at,
                        master ? " (or the store of torchrun's agent)" : "", what));
}

}  // namespace mirage::train
