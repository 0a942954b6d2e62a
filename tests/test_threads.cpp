// What the runtime promises to threads (rnnc/cell.h): Cells compile and run
// concurrently from different threads, also Cells of the same file; one
// Cell used by two threads at once refuses the second call.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "rnnc/verify.h"
#include "support/cells.h"

using rnnc::testing::all_dimensions;

TEST_CASE("threads: Cells compile and run concurrently from several threads", "[runtime][threads]") {
  // Four threads, two of them on the same cell and dimensions (one compile,
  // shared kernels), each checking its kernels against the interpreter.
  const std::string dsl = std::string(RNNC_SOURCE_DIR) + "/dsl/";
  const std::vector<std::pair<std::string, std::int64_t>> jobs = {
      {dsl + "lstm.cell", 9}, {dsl + "gru.cell", 7}, {dsl + "lstm.cell", 9}, {dsl + "layernorm_lstm.cell", 5}};
  std::vector<double> worst(jobs.size(), -1);
  std::vector<std::string> errors(jobs.size());
  std::vector<std::thread> threads;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    threads.emplace_back([&, j] {
      try {
        rnnc::Cell cell = rnnc::Cell::from_file(jobs[j].first, all_dimensions(jobs[j].first, jobs[j].second));
        double job_worst = 0;
        for (int round = 0; round < 3; ++round) {
          for (const rnnc::VerifiedBuffer& buffer : rnnc::verify_cell(cell, 4, 3, 5 + round)) {
            job_worst = std::max(job_worst, buffer.worst_error);
          }
        }
        worst[j] = job_worst;
      } catch (const std::exception& error) {
        errors[j] = error.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    INFO(jobs[j].first << ": " << errors[j]);
    CHECK(errors[j].empty());
    CHECK(worst[j] >= 0);
    CHECK(worst[j] <= rnnc::kVerifyTolerance);
  }
}

TEST_CASE("threads: a Cell called from two threads at once refuses the second call", "[runtime][threads]") {
  const std::string path = std::string(RNNC_SOURCE_DIR) + "/dsl/lstm.cell";
  rnnc::Cell cell = rnnc::Cell::from_file(path, all_dimensions(path, 64));
  // A forward pass long enough that the second thread's attempts, which
  // start once the first thread is about to call, overlap it.
  const std::int64_t steps = 400, batch = 8;
  std::vector<float> x(std::size_t(steps * batch * 64), 0.1f), y(x.size()), h0(batch * 64), c0(h0.size()),
      h(h0.size()), c(h0.size());
  rnnc::ForwardArgs args{steps, batch, {x}, {h0, c0}, {y}, {h, c}};
  // Whichever call finds the other running is refused (the second
  // thread's short calls, almost always).
  std::atomic<bool> started = false, finished = false, refused = false;
  std::string refusals[2];
  auto call = [&](const rnnc::ForwardArgs& call_args, std::string& refusal) {
    try {
      cell.forward_inference(call_args);
      return true;
    } catch (const rnnc::RuntimeError& error) {
      refusal = error.what();
      refused = true;
      return false;
    }
  };
  std::thread second([&] {
    while (!started) std::this_thread::yield();
    std::vector<float> x2(64, 0.1f), y2(64), h2(64), c2(64), h02(64), c02(64);
    rnnc::ForwardArgs small{1, 1, {x2}, {h02, c02}, {y2}, {h2, c2}};
    while (!finished && !refused) call(small, refusals[1]);
  });
  started = true;
  int runs = 0;
  bool completed = false;
  while (!refused && runs++ < 50) completed = call(args, refusals[0]) || completed;  // each run is a chance
  finished = true;
  second.join();
  INFO(runs << " long runs");
  REQUIRE(refused);
  CHECK_THAT(refusals[0] + refusals[1], Catch::Contains("called from two threads at once"));
  if (!completed) return;  // the long call was the refused one, and never ran
  // The refused call left the cell usable, and its first caller's results
  // are what a lone call computes.
  std::vector<float> alone(y.size());
  rnnc::ForwardArgs again{steps, batch, {x}, {h0, c0}, {alone}, {h, c}};
  cell.forward_inference(again);
  CHECK(alone == y);
}
