#include "rnnc/data_parallel.h"

#include <mpi.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

// MPI's default error handler (MPI_ERRORS_ARE_FATAL) ends the job on any
// failed call with MPI's own message, so no return code here is checked.

namespace rnnc {

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kDefaultTimeoutSeconds = 300;

// OpenMPI's mpirun sets it in every process it starts.
bool launched_by_mpirun() { return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr; }

double timeout_from_environment() {
  const char* text = std::getenv("RNNC_MPI_TIMEOUT");
  if (text == nullptr || *text == '\0') return kDefaultTimeoutSeconds;
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (*end != '\0' || !(seconds > 0) || !std::isfinite(seconds))
    throw RuntimeError(fmt::format("RNNC_MPI_TIMEOUT must be a positive number of seconds, got '{}'", text));
  return seconds;
}

// Waits for every request, polling (MPI_Testall drives OpenMPI's progress)
// so that a deadline can be kept; 0 seconds waits for ever. Yields between
// polls: ranks that share a core leave it to the one still computing.
void wait_all(std::span<MPI_Request> requests, std::string_view what, double timeout_seconds) {
  const Clock::time_point start = Clock::now();
  for (;;) {
    int done = 0;
    MPI_Testall(int(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE);
    if (done) return;
    if (timeout_seconds > 0 && std::chrono::duration<double>(Clock::now() - start).count() > timeout_seconds) {
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      std::cerr << fmt::format("rnnc: error: rank {}: no answer from the other ranks in the {} after {} s "
                               "(RNNC_MPI_TIMEOUT): a rank has died or hangs; ending the job\n",
                               rank, what, timeout_seconds)
                << std::flush;
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    std::this_thread::yield();
  }
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// "" when `mine` and the leader's lines agree, else the first difference.
std::string first_difference(std::string_view mine, std::string_view leaders) {
  const std::vector<std::string_view> a = lines_of(mine), b = lines_of(leaders);
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string_view own = i < a.size() ? a[i] : "nothing", leader = i < b.size() ? b[i] : "nothing";
    if (own != leader) return fmt::format("has {} where rank 0 has {}", own, leader);
  }
  return "";
}

// Copies the next tensor.size() floats from `next` into `tensor`; returns what follows them.
const float* copy_out(const float* next, std::span<float> tensor) {
  std::copy_n(next, tensor.size(), tensor.begin());
  return next + tensor.size();
}

}  // namespace

DataParallel::DataParallel(std::size_t bucket_bytes)
    : bucket_floats_(std::max<std::size_t>(bucket_bytes / sizeof(float), 1)), timeout_seconds_(0) {
  if (!launched_by_mpirun()) return;
  timeout_seconds_ = timeout_from_environment();  // before MPI_Init: a bad value stops this rank alone
  MPI_Init(nullptr, nullptr);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks_);
}

DataParallel::~DataParallel() {
  if (launched_by_mpirun()) MPI_Finalize();
}

std::int64_t DataParallel::local_batch(std::int64_t global_batch, std::string_view what) const {
  if (global_batch % ranks_ != 0)
    throw GroupError(fmt::format("{} {} does not divide over {} ranks", what, global_batch, ranks_));
  return global_batch / ranks_;
}

Slice DataParallel::slice_of(std::int64_t count) const {
  const std::int64_t end = count * (rank_ + 1) / ranks_, first = count * rank_ / ranks_;
  return {first, end - first};
}

std::uint64_t DataParallel::seed_for_rank(std::uint64_t seed) const {
  // An odd constant that is not a multiple of splitmix64's increment, so
  // the ranks' generators share no state words.
  return seed + std::uint64_t(rank_) * 0xd1b54a32d192ed03u;
}

void DataParallel::require_same_configuration(const Configuration& configuration) {
  if (ranks_ == 1) return;
  std::string mine;
  for (const auto& [key, value] : configuration) mine += fmt::format("{}={}\n", key, value);
  // Rank 0's text to every rank, each compares, the lowest differing rank
  // tells every rank what differs.
  std::string leaders = mine;
  std::uint64_t length = leaders.size();
  MPI_Request request;
  MPI_Ibcast(&length, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &request);
  wait_all({&request, 1}, "configuration check", timeout_seconds_);
  leaders.resize(length);
  MPI_Ibcast(leaders.data(), int(length), MPI_CHAR, 0, MPI_COMM_WORLD, &request);
  wait_all({&request, 1}, "configuration check", timeout_seconds_);
  std::string difference = first_difference(mine, leaders);
  int differing = difference.empty() ? ranks_ : rank_;
  MPI_Iallreduce(MPI_IN_PLACE, &differing, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &request);
  wait_all({&request, 1}, "configuration check", timeout_seconds_);
  if (differing == ranks_) return;
  length = difference.size();
  MPI_Ibcast(&length, 1, MPI_UINT64_T, differing, MPI_COMM_WORLD, &request);
  wait_all({&request, 1}, "configuration check", timeout_seconds_);
  difference.resize(length);
  MPI_Ibcast(difference.data(), int(length), MPI_CHAR, differing, MPI_COMM_WORLD, &request);
  wait_all({&request, 1}, "configuration check", timeout_seconds_);
  throw GroupError(fmt::format("the ranks disagree: rank {} {}", differing, difference));
}

template <typename Post>
std::int64_t DataParallel::in_buckets(std::string_view what, Post post) {
  std::vector<MPI_Request> requests;
  for (std::size_t first = 0; first < buffer_.size(); first += bucket_floats_) {
    post(buffer_.data() + first, int(std::min(bucket_floats_, buffer_.size() - first)), &requests.emplace_back());
  }
  wait_all(requests, what, timeout_seconds_);
  return std::int64_t(requests.size());
}

void DataParallel::broadcast_from_leader(std::span<const std::span<float>> tensors) {
  if (ranks_ == 1) return;
  buffer_.clear();
  for (std::span<const float> tensor : tensors) buffer_.insert(buffer_.end(), tensor.begin(), tensor.end());
  in_buckets("parameter broadcast", [](float* first, int count, MPI_Request* request) {
    MPI_Ibcast(first, count, MPI_FLOAT, 0, MPI_COMM_WORLD, request);
  });
  const float* next = buffer_.data();
  for (std::span<float> tensor : tensors) next = copy_out(next, tensor);
}

double DataParallel::combine_gradients(std::span<const TrainableTensor> tensors, double loss, double share) {
  if (ranks_ == 1) return loss;
  const Clock::time_point start = Clock::now();
  // All gradients, scaled, and the loss at the end: one buffer.
  buffer_.clear();
  for (const TrainableTensor& tensor : tensors)
    for (float g : tensor.gradient) buffer_.push_back(float(share) * g);
  buffer_.push_back(float(share * loss));
  allreduce_calls_ += in_buckets("gradient allreduce", [](float* first, int count, MPI_Request* request) {
    MPI_Iallreduce(MPI_IN_PLACE, first, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, request);
  });
  const float* next = buffer_.data();
  for (const TrainableTensor& tensor : tensors) next = copy_out(next, tensor.gradient);
  gradient_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
  return double(buffer_.back());
}

void DataParallel::sum(std::span<double> values) {
  if (ranks_ == 1) return;
  MPI_Request request;
  MPI_Iallreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &request);
  wait_all({&request, 1}, "metric sum", timeout_seconds_);
}

void DataParallel::barrier() {
  if (ranks_ == 1) return;
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  wait_all({&request, 1}, "barrier", 0);
}

int DataParallel::fail(std::string_view program, const std::exception& error) {
  const bool every_rank_has_it = dynamic_cast<const GroupError*>(&error) != nullptr;
  const std::string where = ranks_ > 1 && !every_rank_has_it ? fmt::format("rank {}: ", rank_) : "";
  if (leads() || !every_rank_has_it) std::cerr << fmt::format("{}: error: {}{}\n", program, where, error.what());
  if (ranks_ > 1 && !every_rank_has_it) {
    std::cerr << std::flush;
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return 1;
}

int run_data_parallel(std::string_view program, const std::function<int(DataParallel&)>& train,
                      std::size_t bucket_bytes) {
  std::unique_ptr<DataParallel> group;
  try {
    group = std::make_unique<DataParallel>(bucket_bytes);
    if (!group->leads()) std::cout.setstate(std::ios_base::badbit);  // rank 0 reports for all
    return train(*group);
  } catch (const std::exception& error) {
    if (group) return group->fail(program, error);
    std::cerr << fmt::format("{}: error: {}\n", program, error.what());  // before MPI started
    return 1;
  }
}

std::string fingerprint(std::string_view bytes) {
  return fmt::format("{:016x}", XXH3_64bits(bytes.data(), bytes.size()));
}

}  // namespace rnnc
