// Data-parallel training over MPI (rnnc/data_parallel.h), through char_rnn's
// training step in tests/data_parallel/trainer.cpp: two ranks reading half
// of every batch end where one process reading all of it does; a killed or
// silent rank stops the other within a bound; ranks that disagree are
// refused. Every run goes through mpirun on this machine (shared memory).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "model_checkpoint.h"
#include "rnnc/checkpoint.h"
#include "support/temporary_directory.h"

namespace {

using rnnc::testing::TemporaryDirectory;

struct Finished {
  int status;  // the exit status; 124 when `timeout` had to end it
  std::string output;
};

// A survivor still running after this long has hung: a bound on the fault
// behaviour, far above the second or so it takes.
constexpr int kBoundSeconds = 60;

Finished run_shell(const std::string& command, const TemporaryDirectory& directory) {
  const std::string log = directory.file("output.log");
  const int status = std::system(fmt::format("timeout {} {} > {} 2>&1", kBoundSeconds, command, log).c_str());
  std::ifstream in(log);
  std::string output(std::istreambuf_iterator<char>(in), {});
  UNSCOPED_INFO(command << "\n" << output);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), output};
}

// mpirun as CI can run it: as root, two ranks on however few cores, over
// shared memory only (no network). Under the sanitizers, OpenMPI's own
// leaks are suppressed (see data_parallel/openmpi.supp); without them the
// variables change nothing. `environment`: more NAME=VALUE for the ranks.
std::string mpirun(const std::string& environment = "") {
  return fmt::format("env {} OMPI_MCA_mca_base_component_disable_dlclose=1 "
                     "LSAN_OPTIONS=suppressions={}/tests/data_parallel/openmpi.supp:fast_unwind_on_malloc=0 {} "
                     "--allow-run-as-root --oversubscribe --bind-to none "
                     "--mca btl self,vader --mca oob_tcp_if_include lo",
                     environment, RNNC_SOURCE_DIR, RNNC_MPIEXEC);
}

std::string trainer(const std::string& arguments) { return std::string(RNNC_DATA_PARALLEL_TRAINER) + " " + arguments; }

const rnnc::CheckpointTensor& tensor_named(const rnnc::Checkpoint& checkpoint, const std::string& name) {
  auto tensor = std::ranges::find(checkpoint.tensors, name, &rnnc::CheckpointTensor::name);
  REQUIRE(tensor != checkpoint.tensors.end());
  return *tensor;
}

// The largest |a - b| / (1 + |a|) over every value of every tensor of `a`
// (parameters and the optimizer's state, or the parameters only).
double largest_difference(const rnnc::Checkpoint& a, const rnnc::Checkpoint& b, bool parameters_only = false) {
  REQUIRE(a.tensors.size() == b.tensors.size());
  double largest = 0;
  for (const rnnc::CheckpointTensor& tensor : a.tensors) {
    if (parameters_only && tensor.name.starts_with("optimizer.")) continue;
    const std::vector<float>& other = tensor_named(b, tensor.name).data;
    REQUIRE(other.size() == tensor.data.size());
    for (std::size_t i = 0; i < other.size(); ++i) {
      const double difference = std::abs(double(tensor.data[i]) - other[i]) / (1 + std::abs(double(tensor.data[i])));
      largest = std::max(largest, std::isnan(difference) ? INFINITY : difference);
    }
  }
  return largest;
}

// Float sums in another order (each rank's half, then the allreduce) over
// a few steps: what separates two ranks from one process.
// Seen: at most 4.5e-7 (Adam; 6e-8 with SGD).
constexpr double kTolerance = 1e-5;

void check_two_ranks_match_one_process(const std::string& cell, const std::string& optimizer) {
  TemporaryDirectory directory;
  const std::string options = fmt::format("--cell {} --optimizer {} --batch 8", cell, optimizer);
  REQUIRE(run_shell(trainer(options + " --steps 5 --save " + directory.file("one.ckpt")), directory).status == 0);
  REQUIRE(run_shell(trainer(options + " --steps 0 --save " + directory.file("initial.ckpt")), directory).status == 0);
  REQUIRE(run_shell(mpirun() + " -np 2 " +
                        trainer(options + " --steps 5 --save-every-rank --save " + directory.file("two.ckpt")),
                    directory)
              .status == 0);
  const rnnc::Checkpoint one = rnnc::load_checkpoint(directory.file("one.ckpt"));
  const rnnc::Checkpoint two = rnnc::load_checkpoint(directory.file("two.ckpt"));
  const rnnc::Checkpoint replica = rnnc::load_checkpoint(directory.file("two.ckpt.rank1"));
  const rnnc::Checkpoint initial = rnnc::load_checkpoint(directory.file("initial.ckpt"));
  const double difference = largest_difference(one, two);
  const double training_moved = largest_difference(one, initial, true);
  WARN(fmt::format("{} {}: two ranks vs one process {:.3g}, training moved the parameters by {:.3g}", cell, optimizer,
                   difference, training_moved));
  CHECK(difference <= kTolerance);
  CHECK(training_moved > 100 * kTolerance);  // so the comparison above could fail
  CHECK(largest_difference(two, replica) == 0);  // the replicas are the same, bit for bit
  CHECK(char_rnn::step_of(two) == 5);
}

}  // namespace

TEST_CASE("data parallel: two ranks with half batches match one process (lstm sgd)", "[data_parallel]") {
  check_two_ranks_match_one_process("lstm", "sgd");
}

TEST_CASE("data parallel: two ranks with half batches match one process (lstm adam)", "[data_parallel]") {
  check_two_ranks_match_one_process("lstm", "adam");
}

TEST_CASE("data parallel: two ranks with half batches match one process (gru sgd)", "[data_parallel]") {
  check_two_ranks_match_one_process("gru", "sgd");
}

TEST_CASE("data parallel: two ranks with half batches match one process (gru adam)", "[data_parallel]") {
  check_two_ranks_match_one_process("gru", "adam");
}

TEST_CASE("data parallel: a killed rank ends the job and the last checkpoint loads", "[data_parallel]") {
  TemporaryDirectory directory;
  const std::string train =
      trainer("--steps 100000 --checkpoint-step 2 --die-step 4 --save " + directory.file("run.ckpt"));
  SECTION("mpirun sees the rank die and ends the others") {
    const Finished run = run_shell(mpirun() + " -np 2 " + train, directory);
    CHECK(run.status != 0);
    CHECK(run.status != 124);  // the survivor did not outlive the bound
  }
  SECTION("with mpirun told to keep the others running the survivor gives up after RNNC_MPI_TIMEOUT") {
    // (mpirun itself then exits 0: recovery mode reports no failure.)
    const Finished run = run_shell(mpirun("RNNC_MPI_TIMEOUT=3") + " --enable-recovery -np 2 " + train, directory);
    CHECK(run.status != 124);
    CHECK_THAT(run.output,
               Catch::Contains("rank 0: no answer from the other ranks in the gradient allreduce after 3 s"));
  }
  const rnnc::Checkpoint checkpoint = rnnc::load_checkpoint(directory.file("run.ckpt.step2"));
  CHECK(char_rnn::step_of(checkpoint) == 2);
  CHECK_FALSE(std::filesystem::exists(directory.file("run.ckpt")));
}

TEST_CASE("data parallel: ranks that disagree are refused at start-up", "[data_parallel]") {
  TemporaryDirectory directory;
  const std::string save = " --save " + directory.file("never.ckpt");
  // Rank 0 and rank 1 started with other options (mpirun's MPMD form).
  const auto ranks_with = [&](const std::string& rank0, const std::string& rank1) {
    return run_shell(mpirun() + " -np 1 " + trainer(rank0 + save) + " : -np 1 " + trainer(rank1 + save), directory);
  };
  SECTION("a dimension") {
    const Finished run = ranks_with("--hidden 12", "--hidden 10");
    CHECK(run.status == 1);
    CHECK_THAT(run.output,
               Catch::Contains("error: the ranks disagree: rank 1 has hidden=10 where rank 0 has hidden=12"));
  }
  SECTION("the cell") {
    const Finished run = ranks_with("--cell lstm", "--cell gru");
    CHECK(run.status == 1);
    CHECK_THAT(run.output, Catch::Contains("rank 1 has cell=gru where rank 0 has cell=lstm"));
  }
  SECTION("a batch the ranks do not divide") {
    const Finished run = run_shell(mpirun() + " -np 2 " + trainer("--batch 7" + save), directory);
    CHECK(run.status == 1);
    CHECK_THAT(run.output, Catch::Contains("error: the batch 7 does not divide over 2 ranks"));
  }
  CHECK_FALSE(std::filesystem::exists(directory.file("never.ckpt")));
}
