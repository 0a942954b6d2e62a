// Data-parallel training over MPI (OpenMPI), as Horovod does it: every
// process (rank) holds a full replica of the model and reads its own slice
// of every global batch; rank 0's initial parameters are broadcast, the
// gradients are averaged with MPI_Allreduce in buckets of a few MB after
// each backward, and every rank then takes the same optimizer step.
//
// A process not started by mpirun (no OMPI_COMM_WORLD_SIZE in its
// environment) is a group of one that never calls MPI: it trains exactly
// as it would without this file.
//
// Every collective call waits at most RNNC_MPI_TIMEOUT seconds (default
// 300) for the other ranks; past that it prints a one-line error and ends
// the job with MPI_Abort, so a rank that hangs or whose machine vanished
// does not keep the others waiting forever. (A rank that dies is caught
// sooner by mpirun itself, which then ends the job.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rnnc/cell.h"
#include "rnnc/optimizer.h"

namespace rnnc {

// An error that every rank raises alike (their configurations differ, or
// they do not divide a batch), so that each can stop without waiting for
// the others.
class GroupError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

// The configuration the ranks must agree on, as ordered "key=value" pairs
// (the cell, the dimensions, model options, a loaded checkpoint's fingerprint).
using Configuration = std::vector<std::pair<std::string, std::string>>;

// A contiguous part of `count` items: [first, first + count).
struct Slice {
  std::int64_t first = 0, count = 0;
};

class DataParallel {
 public:
  static constexpr std::size_t default_bucket_bytes = std::size_t(4) << 20;

  // Joins the job when launched by mpirun (MPI_Init); `bucket_bytes` is the
  // most each MPI_Allreduce call carries. Throws RuntimeError for a bad
  // RNNC_MPI_TIMEOUT.
  explicit DataParallel(std::size_t bucket_bytes = default_bucket_bytes);
  ~DataParallel();  // MPI_Finalize
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  // Rank 0: the one that prints, writes checkpoints and curves.
  bool leads() const { return rank_ == 0; }

  // This rank's share of a global batch of `global_batch` items; throws
  // GroupError naming `what` when the ranks do not divide it.
  std::int64_t local_batch(std::int64_t global_batch, std::string_view what) const;
  // This rank's part of `count` items cut into ranks() nearly equal parts
  // (the first ones one shorter when they do not divide it).
  Slice slice_of(std::int64_t count) const;
  // The seed of this rank's random streams (dropout, shuffling): `seed`
  // itself on rank 0, another stream on each other rank.
  std::uint64_t seed_for_rank(std::uint64_t seed) const;

  // Compares every rank's configuration with rank 0's; throws
  // GroupError on every rank, naming the first rank and key that
  // differ, when any does.
  void require_same_configuration(const Configuration& configuration);

  // Copies rank 0's contents of every tensor into every other rank's.
  void broadcast_from_leader(std::span<const std::span<float>> tensors);
  // Replaces every rank's gradients by the sum over ranks of
  // `share` · gradient, where `share` is this rank's fraction of the global
  // batch (1 / ranks() for equal slices): for losses that are means over
  // the batch, the gradient of the global batch's mean. Returns `loss`
  // combined the same way. A group of one changes nothing.
  double combine_gradients(std::span<const TrainableTensor> tensors, double loss, double share);
  // The element-wise sum of `values` over ranks, in place.
  void sum(std::span<double> values);
  // Ranks other than 0 wait until rank 0 has done `work`, then do it
  // themselves: for preparing data into a shared cache (rank 0 fills it,
  // the others find it filled). No time limit: it may take minutes.
  template <typename Work>
  void leader_first(Work&& work) {
    if (leads()) work();
    barrier();
    if (!leads()) work();
  }

  // Seconds spent in combine_gradients (packing, the allreduce and waiting
  // for the slowest rank), and the number of MPI_Allreduce calls it made.
  double gradient_seconds() const { return gradient_seconds_; }
  std::int64_t allreduce_calls() const { return allreduce_calls_; }

 private:
  friend int run_data_parallel(std::string_view, const std::function<int(DataParallel&)>&, std::size_t);
  // Prints "PROGRAM: error: WHAT" (a GroupError on rank 0 only, since every
  // rank has the same) and returns 1; for any other error in a job of
  // several ranks, which the others may be waiting on, ends the whole job
  // with MPI_Abort.
  int fail(std::string_view program, const std::exception& error);
  void barrier();
  // One non-blocking collective per bucket of buffer_, all in flight at
  // once, then waits for them; returns how many.
  template <typename Post>
  std::int64_t in_buckets(std::string_view what, Post post);

  int rank_ = 0, ranks_ = 1;
  std::size_t bucket_floats_;
  double timeout_seconds_;
  std::vector<float> buffer_;
  double gradient_seconds_ = 0;
  std::int64_t allreduce_calls_ = 0;
};

// A training program's main body: joins the job (DataParallel), silences
// std::cout on every rank but 0, and returns what `train` returns; after an
// error, prints "PROGRAM: error: WHAT" and returns 1 (or ends the whole job,
// see DataParallel::fail).
int run_data_parallel(std::string_view program, const std::function<int(DataParallel&)>& train,
                      std::size_t bucket_bytes = DataParallel::default_bucket_bytes);

// A short fingerprint (XXH3 64 in hex) of `bytes`, for a configuration
// entry that stands for data too long to compare, such as a checkpoint file.
std::string fingerprint(std::string_view bytes);

}  // namespace rnnc
