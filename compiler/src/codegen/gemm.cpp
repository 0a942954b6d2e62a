#include "codegen/gemm.h"

#include "codegen/loops.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/MCSubtargetInfo.h>

#include "rnnc/internal_error.h"

namespace rnnc {

GemmSchedule choose_gemm_schedule(const llvm::TargetMachine& machine) {
  const llvm::MCSubtargetInfo* info = machine.getMCSubtargetInfo();
  if (machine.getTargetTriple().isX86() && info) {
    if (info->checkFeatures("+avx512f")) return gemm_schedule_for_width(16);
    if (info->checkFeatures("+avx")) return gemm_schedule_for_width(8);
  }
  return gemm_schedule_for_width(4);
}

namespace {

// The most rows of a tile below MR (for_each_tile): 4 × 2 AVX-512 vectors
// are 8 accumulators, and a batch of 16 rows is one 12-row tile and one of 4.
constexpr int kTailRows = 4;

void check_schedule(const GemmSchedule& s) {
  RNNC_ASSERT((s.vector_width == 4 || s.vector_width == 8 || s.vector_width == 16) && s.tile_rows >= 1 &&
                  s.tile_vectors >= 1 && s.row_panels >= 1 && s.k_block >= 1 && s.m_block >= s.tile_rows &&
                  s.m_block % s.tile_rows == 0 && s.prefetch_panels >= 0 && s.few_rows_k_block >= 1 &&
                  s.few_rows >= 0,
              "invalid GEMM schedule");
}

// Emits the body of one of the shared functions; `b` is positioned in it.
class GemmEmitter {
 public:
  GemmEmitter(llvm::IRBuilder<>& b, llvm::Function* f, const GemmSchedule& schedule)
      : b_(b), f_(f), context_(f->getContext()), schedule_(schedule) {
    f32_ = b_.getFloatTy();
    i64_ = b_.getInt64Ty();
    vector_ = llvm::FixedVectorType::get(f32_, unsigned(schedule.vector_width));
  }

  // pack(W, packed, n, k, row_stride, k_stride): row j of W (element kk at
  // W + j·row_stride + kk·k_stride) becomes column j % NR of panel j / NR;
  // the columns of the last panel beyond n are zero. Each panel is written
  // in order, k step by k step, so that at most NR lines of W are being read
  // whichever of its strides is 1. When row_stride is 1 a k step of a panel
  // is NR consecutive floats of W, copied as (masked) vectors; otherwise
  // float by float.
  void pack(llvm::Value* w, llvm::Value* packed, llvm::Value* n, llvm::Value* k, llvm::Value* row_stride,
            llvm::Value* k_stride) {
    const std::int64_t nr = schedule_.panel_width();
    const int width = schedule_.vector_width;
    llvm::Value* panels = b_.CreateUDiv(b_.CreateAdd(n, i64(nr - 1)), i64(nr));
    loop(panels, "pack_panel", [&](llvm::Value* panel) {
      llvm::Value* first_row = b_.CreateMul(panel, i64(nr));
      llvm::Value* destination = at(packed, b_.CreateMul(first_row, k));
      llvm::Value* columns = b_.CreateSub(n, first_row);
      columns = b_.CreateSelect(b_.CreateICmpSLT(columns, i64(nr)), columns, i64(nr));
      llvm::BasicBlock* contiguous = block("pack_contiguous"), *strided = block("pack_strided"),
                        *done = block("pack_panel_done");
      b_.CreateCondBr(b_.CreateICmpEQ(row_stride, i64(1)), contiguous, strided);
      b_.SetInsertPoint(contiguous);
      std::vector<llvm::Value*> masks;  // the lanes of each vector below `columns`
      for (std::int64_t v = 0; v < nr / width; ++v) {
        llvm::Value* remaining = b_.CreateSub(columns, i64(v * width));
        remaining = b_.CreateSelect(b_.CreateICmpSGT(remaining, i64(0)), remaining, i64(0));
        masks.push_back(emit_lane_mask(b_, remaining, width));
      }
      loop(k, "pack_k", [&](llvm::Value* kk) {
        llvm::Value* source = at(w, b_.CreateAdd(first_row, b_.CreateMul(kk, k_stride)));
        llvm::Value* step = at(destination, b_.CreateMul(kk, i64(nr)));
        for (std::int64_t v = 0; v < nr / width; ++v) {
          llvm::Value* values = b_.CreateMaskedLoad(vector_, at(source, i64(v * width)), llvm::Align(4),
                                                    masks[std::size_t(v)], llvm::Constant::getNullValue(vector_));
          b_.CreateAlignedStore(values, at(step, i64(v * width)), llvm::Align(4));
        }
      });
      b_.CreateBr(done);
      b_.SetInsertPoint(strided);
      loop(k, "pack_k_strided", [&](llvm::Value* kk) {
        llvm::Value* source = at(w, b_.CreateAdd(b_.CreateMul(first_row, row_stride), b_.CreateMul(kk, k_stride)));
        llvm::Value* step = at(destination, b_.CreateMul(kk, i64(nr)));
        loop(columns, "pack_column", [&](llvm::Value* c) {
          llvm::Value* value = b_.CreateAlignedLoad(f32_, at(source, b_.CreateMul(c, row_stride)), llvm::Align(4));
          b_.CreateAlignedStore(value, at(step, c), llvm::Align(4));
        });
        loop(b_.CreateSub(i64(nr), columns), "pack_zero_column", [&](llvm::Value* c) {
          b_.CreateAlignedStore(llvm::ConstantFP::get(f32_, 0.0), at(step, b_.CreateAdd(columns, c)), llvm::Align(4));
        });
      });
      b_.CreateBr(done);
      b_.SetInsertPoint(done);
    });
  }

  // gemm(M, A, a_stride, packed, C, c_stride, n, k, accumulate). The tail
  // panel (columns [n - n % NR, n)) goes through a zeroed MR × NR stack
  // tile, so that every tile runs the same unmasked code.
  void gemm(llvm::Value* m_count, llvm::Value* a_base, llvm::Value* a_stride, llvm::Value* a_k_stride,
            llvm::Value* packed, llvm::Value* c_base, llvm::Value* c_stride, llvm::Value* n, llvm::Value* k,
            llvm::Value* segments, llvm::Value* segment_stride, llvm::Value* accumulate) {
    a_base_ = a_base;
    a_stride_ = a_stride;
    a_k_stride_ = a_k_stride;
    c_base_ = c_base;
    c_stride_ = c_stride;
    const std::int64_t nr = schedule_.panel_width(), kc = schedule_.k_block, mc = schedule_.m_block;
    auto* tile_type = llvm::ArrayType::get(f32_, std::uint64_t(schedule_.tile_rows * nr));
    llvm::AllocaInst* spill = b_.CreateAlloca(tile_type);
    spill->setAlignment(llvm::Align(64));
    spill_ = spill;
    // One mc × kc block of A, packed tile by tile (pack_a_block).
    const std::int64_t widest_kc = std::max(kc, schedule_.few_rows_k_block);
    llvm::AllocaInst* a_block = b_.CreateAlloca(llvm::ArrayType::get(f32_, std::uint64_t(mc * widest_kc)));
    a_block->setAlignment(llvm::Align(64));
    a_packed_ = a_block;
    // Zeroed, so that its padding columns stay finite.
    for (std::int64_t i = 0; i < schedule_.tile_rows * nr; i += schedule_.vector_width) {
      b_.CreateAlignedStore(llvm::Constant::getNullValue(vector_), at(spill_, i64(i)), llvm::Align(4));
    }

    llvm::Value* full_panels = b_.CreateUDiv(n, i64(nr));
    llvm::Value* panels = b_.CreateUDiv(b_.CreateAdd(n, i64(nr - 1)), i64(nr));
    tail_columns_ = b_.CreateSub(n, b_.CreateMul(full_panels, i64(nr)));
    llvm::Value* panel_floats = b_.CreateMul(k, i64(nr));
    panel_floats_ = panel_floats;
    // ceil(k / kc) blocks of equal length (the last one shorter by less
    // than the number of blocks): no short remainder block.
    llvm::Value* k_block =
        b_.CreateSelect(b_.CreateICmpSLT(m_count, i64(schedule_.few_rows)), i64(schedule_.few_rows_k_block), i64(kc));
    llvm::Value* k_blocks = b_.CreateUDiv(b_.CreateAdd(k, b_.CreateSub(k_block, i64(1))), k_block);
    llvm::Value* divisor = b_.CreateSelect(b_.CreateICmpEQ(k_blocks, i64(0)), i64(1), k_blocks);  // k = 0
    llvm::Value* block_length = b_.CreateUDiv(b_.CreateAdd(k, b_.CreateSub(k_blocks, i64(1))), divisor);
    llvm::Value* m_blocks = b_.CreateSDiv(b_.CreateAdd(m_count, i64(mc - 1)), i64(mc));
    loop(m_blocks, "gemm_m_block", [&](llvm::Value* block) {
      llvm::Value* m0 = b_.CreateMul(block, i64(mc));
      llvm::Value* m_end = b_.CreateAdd(m0, i64(mc));
      m_end = b_.CreateSelect(b_.CreateICmpSLT(m_end, m_count), m_end, m_count);
      loop(k_blocks, "gemm_k_block", [&](llvm::Value* kb) {
        llvm::Value* k0 = b_.CreateMul(kb, block_length);
        llvm::Value* k_left = b_.CreateSub(k, k0);
        llvm::Value* k_length = b_.CreateSelect(b_.CreateICmpSLT(k_left, block_length), k_left, block_length);
        llvm::Value* from_c = b_.CreateOr(accumulate, b_.CreateICmpNE(kb, i64(0)));
        pack_a_block(m0, m_end, k0, k_length);
        loop(segments, "gemm_segment", [&](llvm::Value* segment) {
          // The segment's first column starts a panel (segment_stride % NR == 0).
          llvm::Value* first_column = b_.CreateMul(segment, segment_stride);
          llvm::Value* segment_panels = at(packed, b_.CreateMul(first_column, k));
          auto panel_at = [&](llvm::Value* p) {
            return Panel{
                at(segment_panels, b_.CreateAdd(b_.CreateMul(p, panel_floats), b_.CreateMul(k0, i64(nr)))),
                b_.CreateAdd(first_column, b_.CreateMul(p, i64(nr))), b_.CreateICmpEQ(p, full_panels)};
          };
          // A single row (a step at batch 1) reads W at the speed of
          // memory: row_panels panels at a time are that many streams and
          // independent chains of multiply-adds instead of one.
          llvm::Value* single_row = b_.CreateICmpEQ(b_.CreateSub(m_end, m0), i64(1));
          const std::int64_t row_panels = schedule_.row_panels;
          llvm::Value* grouped = b_.CreateSelect(
              single_row, b_.CreateMul(b_.CreateUDiv(full_panels, i64(row_panels)), i64(row_panels)), i64(0));
          loop(b_.CreateUDiv(grouped, i64(row_panels)), "gemm_row_panels", [&](llvm::Value* group) {
            row_tile(m0, b_.CreateMul(group, i64(row_panels)), panel_at, k_length, a_tile(m0, m0, k_length), from_c);
          });
          loop(b_.CreateSub(panels, grouped), "gemm_panel", [&](llvm::Value* i) {
            Panel panel = panel_at(b_.CreateAdd(grouped, i));
            for_each_tile(m0, m_end, [&](llvm::Value* m, int rows) {
              tile(m, rows, panel, k_length, a_tile(m0, m, k_length), from_c);
            });
          });
        });
      });
    });
  }

 private:
  // One panel of packed W for one k block: NR floats per k step from
  // `base`; its column 0 is column `column` of C; `tail`: the last, partial
  // panel, whose tiles go through the stack tile.
  struct Panel {
    llvm::Value* base;
    llvm::Value* column;
    llvm::Value* tail;
  };

  // Calls body(m, rows) for the tiles of [m0, m_end): tiles of MR rows,
  // then tiles of the largest power of two below MR, at most kTailRows,
  // while they fit, then one of each smaller power of two that is needed
  // (MR 12: 12, then 4, 4, 2, 1 rows; MR 6: 6, then 4, 2, 1).
  void for_each_tile(llvm::Value* m0, llvm::Value* m_end, const std::function<void(llvm::Value*, int)>& body) {
    const int mr = schedule_.tile_rows;
    llvm::Value* rows = b_.CreateSub(m_end, m0);
    llvm::Value* tiles = b_.CreateUDiv(rows, i64(mr));
    loop(tiles, "gemm_tile", [&](llvm::Value* t) { body(b_.CreateAdd(m0, b_.CreateMul(t, i64(mr))), mr); });
    llvm::Value* m = b_.CreateAdd(m0, b_.CreateMul(tiles, i64(mr)));
    llvm::Value* left = b_.CreateSub(rows, b_.CreateMul(tiles, i64(mr)));
    int largest = 1;
    while (largest * 2 < mr && largest * 2 <= kTailRows) largest *= 2;
    if (largest < mr) {
      llvm::Value* repeats = b_.CreateUDiv(left, i64(largest));
      loop(repeats, "gemm_tail_tile",
           [&](llvm::Value* t) { body(b_.CreateAdd(m, b_.CreateMul(t, i64(largest))), largest); });
      m = b_.CreateAdd(m, b_.CreateMul(repeats, i64(largest)));
      left = b_.CreateSub(left, b_.CreateMul(repeats, i64(largest)));
    }
    for (int part = largest / 2; part >= 1; part /= 2) {
      llvm::Value* taken = b_.CreateAnd(left, i64(part));
      emit_if_then(b_, b_.CreateICmpNE(taken, i64(0)), "gemm_tail_rows", [&] { body(m, part); });
      m = b_.CreateAdd(m, taken);
    }
  }

  // The packed tile of A whose first row is m: the tiles of the block are
  // side by side, each k step of a tile its `rows` values together, so the
  // micro-kernel reads one stream of A instead of one per row.
  llvm::Value* a_tile(llvm::Value* m0, llvm::Value* m, llvm::Value* k_length) {
    return at(a_packed_, b_.CreateMul(b_.CreateSub(m, m0), k_length));
  }

  // Packs rows [m0, m_end), columns [k0, k0 + k_length) of A.
  void pack_a_block(llvm::Value* m0, llvm::Value* m_end, llvm::Value* k0, llvm::Value* k_length) {
    for_each_tile(m0, m_end, [&](llvm::Value* m, int rows) {
      llvm::Value* tile = a_tile(m0, m, k_length);
      std::vector<llvm::Value*> sources;
      for (int r = 0; r < rows; ++r) {
        sources.push_back(at(a_base_, b_.CreateAdd(b_.CreateMul(b_.CreateAdd(m, i64(r)), a_stride_),
                                                   b_.CreateMul(k0, a_k_stride_))));
      }
      loop(k_length, "gemm_pack_a", [&](llvm::Value* kk) {
        llvm::Value* step = at(tile, b_.CreateMul(kk, i64(rows)));
        llvm::Value* k_offset = b_.CreateMul(kk, a_k_stride_);
        for (int r = 0; r < rows; ++r) {
          llvm::Value* value = b_.CreateAlignedLoad(f32_, at(sources[std::size_t(r)], k_offset), llvm::Align(4));
          b_.CreateAlignedStore(value, at(step, i64(r)), llvm::Align(4));
        }
      });
    });
  }

  // One register tile: rows [m, m + rows) × NR columns, over the k_length
  // >= 1 k steps of the block, from the packed tile a_tile of A and from
  // panel.base.
  // The accumulators start at zero; C's lines are prefetched first and
  // added (when from_c) after the k loop, so that their cache misses
  // overlap the loop instead of stalling its start. A full tile also
  // prefetches into L2, k step by k step, the same k block of the panel
  // prefetch_panels ahead (GemmSchedule), which the hardware prefetcher
  // would find only page by page.
  void tile(llvm::Value* m, int rows, const Panel& panel, llvm::Value* k_length, llvm::Value* a_tile,
            llvm::Value* from_c) {
    const int width = schedule_.vector_width, vectors = schedule_.tile_vectors;
    const std::int64_t nr = schedule_.panel_width();
    std::vector<llvm::Value*> c_direct;
    llvm::Value* c_tile = at(c_base_, b_.CreateAdd(b_.CreateMul(m, c_stride_), panel.column));
    for (int r = 0; r < rows; ++r) c_direct.push_back(at(c_tile, b_.CreateMul(i64(r), c_stride_)));
    // Prefetch for writing, every 64 bytes and the last float of each row
    // (a prefetch never faults, even past the end of C).
    llvm::Function* prefetch =
        llvm::Intrinsic::getDeclaration(f_->getParent(), llvm::Intrinsic::prefetch, {b_.getPtrTy()});
    for (int r = 0; r < rows; ++r) {
      for (std::int64_t offset = 0; offset < nr + 15; offset += 16) {
        llvm::Value* address = at(c_direct[std::size_t(r)], i64(std::min(offset, nr - 1)));
        b_.CreateCall(prefetch, {address, b_.getInt32(1), b_.getInt32(3), b_.getInt32(1)});
      }
    }
    const std::size_t count = std::size_t(rows) * std::size_t(vectors);
    auto index = [&](int r, int v) { return std::size_t(r) * std::size_t(vectors) + std::size_t(v); };

    // The k loop: broadcast A[r][kk], multiply-add with the panel's vectors.
    llvm::Function* fmuladd = llvm::Intrinsic::getDeclaration(f_->getParent(), llvm::Intrinsic::fmuladd, {vector_});
    using Accumulators = std::vector<llvm::Value*>;
    auto step = [&](const std::vector<llvm::Value*>& pointers, const Accumulators& accumulators) {
      llvm::Value* b_row = pointers[0];
      std::vector<llvm::Value*> b_vectors;
      for (int v = 0; v < vectors; ++v) {
        b_vectors.push_back(b_.CreateAlignedLoad(vector_, at(b_row, i64(std::int64_t(v) * width)), llvm::Align(4)));
      }
      std::vector<llvm::Value*> next(count);
      llvm::Value* a_step = pointers[1];
      for (int r = 0; r < rows; ++r) {
        llvm::Value* a = b_.CreateAlignedLoad(f32_, at(a_step, i64(r)), llvm::Align(4));
        llvm::Value* splat = b_.CreateVectorSplat(unsigned(width), a);
        for (int v = 0; v < vectors; ++v) {
          next[index(r, v)] = b_.CreateCall(fmuladd, {splat, b_vectors[std::size_t(v)], accumulators[index(r, v)]});
        }
      }
      return next;
    };
    const bool full = rows == schedule_.tile_rows, prefetching = full && schedule_.prefetch_panels > 0;
    std::vector<KStream> streams = {{panel.base, nr}, {a_tile, rows}};
    if (prefetching) {
      streams.push_back({at(panel.base, b_.CreateMul(panel_floats_, i64(schedule_.prefetch_panels))), nr});
    }
    auto step_and_prefetch = [&](const std::vector<llvm::Value*>& pointers, const Accumulators& accumulators) {
      if (prefetching) {
        for (std::int64_t offset = 0; offset < nr; offset += 16) {  // each 64-byte line of the k step
          b_.CreateCall(prefetch, {at(pointers[2], i64(offset)), b_.getInt32(0), b_.getInt32(2), b_.getInt32(1)});
        }
      }
      return step(pointers, accumulators);
    };
    std::vector<llvm::Value*> sums = k_loop("gemm_k", count, k_length, streams, step_and_prefetch, full);

    // The tail panel goes through the stack tile.
    std::vector<llvm::Value*> c_rows;
    for (int r = 0; r < rows; ++r) {
      c_rows.push_back(b_.CreateSelect(panel.tail, at(spill_, i64(r * nr)), c_direct[std::size_t(r)]));
    }
    // Add C when from_c.
    llvm::BasicBlock* sum_end = b_.GetInsertBlock();
    llvm::BasicBlock* add = block("gemm_add_c");
    llvm::BasicBlock* join = block("gemm_store_c");
    b_.CreateCondBr(from_c, add, join);
    b_.SetInsertPoint(add);
    emit_if_then(b_, panel.tail, "gemm_tail_in", [&] { copy_tail(c_tile, rows, /*into_spill=*/true); });
    std::vector<llvm::Value*> added;
    for (int r = 0; r < rows; ++r) {
      for (int v = 0; v < vectors; ++v) {
        llvm::Value* address = at(c_rows[std::size_t(r)], i64(std::int64_t(v) * width));
        llvm::Value* c = b_.CreateAlignedLoad(vector_, address, llvm::Align(4));
        added.push_back(b_.CreateFAdd(c, sums[index(r, v)]));
      }
    }
    llvm::BasicBlock* add_end = b_.GetInsertBlock();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    std::vector<llvm::Value*> results;
    for (std::size_t i = 0; i < count; ++i) {
      llvm::PHINode* result = b_.CreatePHI(vector_, 2);
      result->addIncoming(sums[i], sum_end);
      result->addIncoming(added[i], add_end);
      results.push_back(result);
    }
    for (int r = 0; r < rows; ++r) {
      for (int v = 0; v < vectors; ++v) {
        llvm::Value* address = at(c_rows[std::size_t(r)], i64(std::int64_t(v) * width));
        b_.CreateAlignedStore(results[index(r, v)], address, llvm::Align(4));
      }
    }
    emit_if_then(b_, panel.tail, "gemm_tail_out", [&] { copy_tail(c_tile, rows, /*into_spill=*/false); });
  }

  // A stream the k loop reads: from `start`, `stride` floats per k step.
  struct KStream {
    llvm::Value* start;
    std::int64_t stride;
  };
  using KStep = std::function<std::vector<llvm::Value*>(const std::vector<llvm::Value*>& pointers,
                                                        const std::vector<llvm::Value*>& accumulators)>;

  // A loop over k_length >= 1 k steps carrying `count` vector accumulators
  // from zero: step(pointers, accumulators), with each stream's pointer at
  // the step's k, returns their next values. The pointers advance by
  // additions, not k·stride: the loop's own instructions share the ports of
  // the multiply-adds, and loop strength reduction, which would do that, is
  // off (target.h). With `pairs`, two steps per iteration (half the loop's
  // instructions per multiply-add, the step's code twice): an odd k_length
  // enters the loop at its second step, so no third copy is needed. Only
  // the full tile pairs its steps: pairing every tile ran no faster and made
  // the LSTM's cold compile 7 % slower. Returns the accumulators' values
  // after the last step.
  std::vector<llvm::Value*> k_loop(const char* name, std::size_t count, llvm::Value* k_length,
                                   const std::vector<KStream>& streams, const KStep& step, bool pairs) {
    const std::size_t stream_count = streams.size();
    auto advance = [&](const std::vector<llvm::Value*>& pointers, std::int64_t steps) {
      std::vector<llvm::Value*> next;
      for (std::size_t i = 0; i < stream_count; ++i) next.push_back(at(pointers[i], i64(streams[i].stride * steps)));
      return next;
    };
    std::vector<llvm::Value*> starts;
    for (const KStream& stream : streams) starts.push_back(stream.start);
    llvm::Value* zero = llvm::Constant::getNullValue(vector_);

    // One block per step of an iteration; each starts with the phis of its
    // k step (iteration number, stream pointers, accumulators).
    struct Stage {
      llvm::BasicBlock* block;
      llvm::PHINode* iteration;
      std::vector<llvm::PHINode*> pointers, accumulators;
    };
    llvm::BasicBlock* preheader = b_.GetInsertBlock();
    const int stage_count = pairs ? 2 : 1;
    std::vector<Stage> stages;
    for (int i = 0; i < stage_count; ++i) {
      Stage stage{block(std::string(name) + (i == 0 ? "" : "_second")), nullptr, {}, {}};
      b_.SetInsertPoint(stage.block);
      stage.iteration = b_.CreatePHI(i64_, 2, "k_iteration");
      for (std::size_t j = 0; j < stream_count; ++j) stage.pointers.push_back(b_.CreatePHI(b_.getPtrTy(), 2));
      for (std::size_t j = 0; j < count; ++j) stage.accumulators.push_back(b_.CreatePHI(vector_, 2, "acc"));
      stages.push_back(std::move(stage));
    }
    llvm::BasicBlock* done = block(std::string(name) + "_done");
    auto enter = [&](Stage& stage, llvm::BasicBlock* from, llvm::Value* iteration,
                     const std::vector<llvm::Value*>& pointers, const std::vector<llvm::Value*>& accumulators) {
      stage.iteration->addIncoming(iteration, from);
      for (std::size_t j = 0; j < stream_count; ++j) stage.pointers[j]->addIncoming(pointers[j], from);
      for (std::size_t j = 0; j < count; ++j) stage.accumulators[j]->addIncoming(accumulators[j], from);
    };

    // Entry: k steps ceil(k_length / 2) iterations; an odd count starts at
    // the second stage, its pointers one step back.
    b_.SetInsertPoint(preheader);
    llvm::Value* iterations = k_length;
    const std::vector<llvm::Value*> zeros(count, zero);
    if (pairs) {
      iterations = b_.CreateLShr(b_.CreateAdd(k_length, i64(1)), i64(1));
      llvm::Value* odd = b_.CreateICmpNE(b_.CreateAnd(k_length, i64(1)), i64(0));
      std::vector<llvm::Value*> one_back = advance(starts, -1);
      b_.CreateCondBr(odd, stages[1].block, stages[0].block);
      enter(stages[1], preheader, i64(0), one_back, zeros);
    } else {
      b_.CreateBr(stages[0].block);
    }
    enter(stages[0], preheader, i64(0), starts, zeros);

    std::vector<llvm::Value*> sums;
    for (int i = 0; i < stage_count; ++i) {
      Stage& stage = stages[std::size_t(i)];
      b_.SetInsertPoint(stage.block);
      // A stage after the first reads one step after the pointers it got.
      std::vector<llvm::Value*> pointers(stage.pointers.begin(), stage.pointers.end());
      if (i > 0) pointers = advance(pointers, i);
      sums = step(pointers, std::vector<llvm::Value*>(stage.accumulators.begin(), stage.accumulators.end()));
      if (i + 1 < stage_count) {
        b_.CreateBr(stages[std::size_t(i) + 1].block);
        enter(stages[std::size_t(i) + 1], b_.GetInsertBlock(), stage.iteration,
              std::vector<llvm::Value*>(stage.pointers.begin(), stage.pointers.end()), sums);
      }
    }
    Stage& last = stages.back();
    llvm::Value* next_iteration = b_.CreateAdd(last.iteration, i64(1));
    std::vector<llvm::Value*> next_pointers =
        advance(std::vector<llvm::Value*>(last.pointers.begin(), last.pointers.end()), stage_count);
    b_.CreateCondBr(b_.CreateICmpSLT(next_iteration, iterations), stages[0].block, done);
    enter(stages[0], b_.GetInsertBlock(), next_iteration, next_pointers, sums);
    b_.SetInsertPoint(done);
    return sums;
  }

  // Row m × row_panels full panels from first_panel: like tile() with one
  // row, over several panels at once.
  void row_tile(llvm::Value* m, llvm::Value* first_panel, const std::function<Panel(llvm::Value*)>& panel_at,
                llvm::Value* k_length, llvm::Value* a_tile, llvm::Value* from_c) {
    const int width = schedule_.vector_width, vectors = schedule_.tile_vectors;
    const std::int64_t nr = schedule_.panel_width();
    const int row_panels = schedule_.row_panels;
    const std::size_t count = std::size_t(row_panels) * std::size_t(vectors);
    std::vector<Panel> group;
    for (int g = 0; g < row_panels; ++g) group.push_back(panel_at(b_.CreateAdd(first_panel, i64(g))));
    llvm::Function* fmuladd = llvm::Intrinsic::getDeclaration(f_->getParent(), llvm::Intrinsic::fmuladd, {vector_});
    // Streams: A's row, then each panel of the group.
    std::vector<KStream> streams = {{a_tile, 1}};
    for (const Panel& panel : group) streams.push_back({panel.base, nr});
    auto step = [&](const std::vector<llvm::Value*>& pointers, const std::vector<llvm::Value*>& accumulators) {
      llvm::Value* a = b_.CreateAlignedLoad(f32_, pointers[0], llvm::Align(4));
      llvm::Value* splat = b_.CreateVectorSplat(unsigned(width), a);
      std::vector<llvm::Value*> next(count);
      for (int g = 0; g < row_panels; ++g) {
        llvm::Value* b_row = pointers[std::size_t(g) + 1];
        for (int v = 0; v < vectors; ++v) {
          std::size_t i = std::size_t(g * vectors + v);
          llvm::Value* w = b_.CreateAlignedLoad(vector_, at(b_row, i64(std::int64_t(v) * width)), llvm::Align(4));
          next[i] = b_.CreateCall(fmuladd, {splat, w, accumulators[i]});
        }
      }
      return next;
    };
    std::vector<llvm::Value*> sums = k_loop("gemm_row_k", count, k_length, streams, step, false);

    llvm::Value* c_row = at(c_base_, b_.CreateMul(m, c_stride_));
    auto address = [&](int g, int v) {
      return at(c_row, b_.CreateAdd(group[std::size_t(g)].column, i64(std::int64_t(v) * width)));
    };
    emit_if_then(b_, from_c, "gemm_row_add_c", [&] {
      for (int g = 0; g < row_panels; ++g) {
        for (int v = 0; v < vectors; ++v) {
          llvm::Value* c = b_.CreateAlignedLoad(vector_, address(g, v), llvm::Align(4));
          b_.CreateAlignedStore(b_.CreateFAdd(c, sums[std::size_t(g * vectors + v)]), address(g, v), llvm::Align(4));
        }
      }
    });
    emit_if_then(b_, b_.CreateNot(from_c), "gemm_row_store_c", [&] {
      for (int g = 0; g < row_panels; ++g) {
        for (int v = 0; v < vectors; ++v) {
          b_.CreateAlignedStore(sums[std::size_t(g * vectors + v)], address(g, v), llvm::Align(4));
        }
      }
    });
  }

  // Copies the tail panel's real columns of `rows` rows between C (row 0 at
  // c_tile) and the stack tile.
  void copy_tail(llvm::Value* c_tile, int rows, bool into_spill) {
    const std::int64_t nr = schedule_.panel_width();
    loop(i64(rows), "gemm_tail_row", [&](llvm::Value* r) {
      llvm::Value* c_row = at(c_tile, b_.CreateMul(r, c_stride_));
      llvm::Value* spill_row = at(spill_, b_.CreateMul(r, i64(nr)));
      loop(tail_columns_, "gemm_tail_column", [&](llvm::Value* j) {
        llvm::Value* from = at(into_spill ? c_row : spill_row, j);
        llvm::Value* to = at(into_spill ? spill_row : c_row, j);
        b_.CreateAlignedStore(b_.CreateAlignedLoad(f32_, from, llvm::Align(4)), to, llvm::Align(4));
      });
    });
  }

  void loop(llvm::Value* count, const char* name, const std::function<void(llvm::Value*)>& body) {
    emit_loop(b_, count, name, body);
  }

  llvm::BasicBlock* block(const llvm::Twine& name) { return llvm::BasicBlock::Create(context_, name, f_); }
  llvm::Value* at(llvm::Value* base, llvm::Value* floats) { return b_.CreateGEP(f32_, base, floats); }
  llvm::Value* i64(std::int64_t value) { return llvm::ConstantInt::get(i64_, value); }

  llvm::IRBuilder<>& b_;
  llvm::Function* f_;
  llvm::LLVMContext& context_;
  const GemmSchedule& schedule_;
  llvm::Type* f32_;
  llvm::Type* i64_;
  llvm::FixedVectorType* vector_;
  llvm::Value *a_base_ = nullptr, *a_stride_ = nullptr, *a_k_stride_ = nullptr, *c_base_ = nullptr,
              *c_stride_ = nullptr;
  llvm::Value *spill_ = nullptr, *tail_columns_ = nullptr, *a_packed_ = nullptr, *panel_floats_ = nullptr;
};

std::string schedule_suffix(const GemmSchedule& s) {
  return std::to_string(s.vector_width) + "_" + std::to_string(s.tile_rows) + "x" + std::to_string(s.tile_vectors) +
         "_r" + std::to_string(s.row_panels) + "_k" + std::to_string(s.k_block) + "_m" + std::to_string(s.m_block) +
         "_p" + std::to_string(s.prefetch_panels) + "_f" + std::to_string(s.few_rows) + "k" +
         std::to_string(s.few_rows_k_block);
}

// The module's shared function `name` of type `type`, emitted by `emit` the
// first time it is asked for.
llvm::Function* shared_function(llvm::Module& module, const std::string& name, llvm::FunctionType* type,
                                const std::function<void(llvm::Function*)>& emit) {
  if (llvm::Function* existing = module.getFunction(name)) {
    RNNC_ASSERT(existing->getFunctionType() == type, "GEMM helper " + name + " has an unexpected type");
    return existing;
  }
  auto* f = llvm::Function::Create(type, llvm::Function::InternalLinkage, name, module);
  f->addFnAttr(llvm::Attribute::NoInline);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  // Calls nothing: LLVM must not turn its copy and zeroing loops into
  // memcpy and memset calls.
  f->addFnAttr("no-builtins");
  emit(f);
  return f;
}

}  // namespace

llvm::Function* gemm_pack_function(llvm::Module& module, const GemmSchedule& schedule) {
  check_schedule(schedule);
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr, ptr, i64, i64, i64, i64}, false);
  return shared_function(module, "rnnc.gemm_pack." + std::to_string(schedule.panel_width()), type,
                         [&](llvm::Function* f) {
                           f->addParamAttr(0, llvm::Attribute::NoAlias);
                           f->addParamAttr(1, llvm::Attribute::NoAlias);
                           llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", f));
                           GemmEmitter(b, f, schedule)
                               .pack(f->getArg(0), f->getArg(1), f->getArg(2), f->getArg(3), f->getArg(4),
                                     f->getArg(5));
                           b.CreateRetVoid();
                         });
}

llvm::Function* gemm_function(llvm::Module& module, const GemmSchedule& schedule) {
  check_schedule(schedule);
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  llvm::Type* params[] = {i64, ptr, i64, i64, ptr, ptr, i64, i64, i64, i64, i64, llvm::Type::getInt1Ty(context)};
  auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context), params, false);
  return shared_function(module, "rnnc.gemm." + schedule_suffix(schedule), type, [&](llvm::Function* f) {
    f->addParamAttr(5, llvm::Attribute::NoAlias);  // C overlaps neither A nor packed
    if (schedule.vector_width * 32 > 256) {
      f->addFnAttr("min-legal-vector-width", std::to_string(schedule.vector_width * 32));
    }
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", f));
    GemmEmitter(b, f, schedule)
        .gemm(f->getArg(0), f->getArg(1), f->getArg(2), f->getArg(3), f->getArg(4), f->getArg(5), f->getArg(6),
              f->getArg(7), f->getArg(8), f->getArg(9), f->getArg(10), f->getArg(11));
    b.CreateRetVoid();
  });
}

void emit_pack_weights(llvm::IRBuilder<>& b, llvm::Function* f, llvm::Value* W, llvm::Value* packed, std::int64_t n,
                       std::int64_t k, const GemmSchedule& schedule, bool transposed) {
  RNNC_ASSERT(n >= 1 && k >= 1, "GEMM needs n >= 1 and k >= 1");
  llvm::Function* pack = gemm_pack_function(*f->getParent(), schedule);
  // W [n][k] is stored row-major, or as its transpose [k][n].
  std::int64_t row_stride = transposed ? 1 : k, k_stride = transposed ? n : 1;
  b.CreateCall(pack, {W, packed, b.getInt64(std::uint64_t(n)), b.getInt64(std::uint64_t(k)),
                      b.getInt64(std::uint64_t(row_stride)), b.getInt64(std::uint64_t(k_stride))});
}

void emit_gemm(llvm::IRBuilder<>& b, llvm::Function* f, llvm::Value* M, llvm::Value* a_base, llvm::Value* a_stride,
               llvm::Value* a_k_stride, llvm::Value* packed, llvm::Value* c_base, llvm::Value* c_stride, std::int64_t n,
               std::int64_t k, bool accumulate, const GemmSchedule& schedule) {
  RNNC_ASSERT(n >= 1 && k >= 1, "GEMM needs n >= 1 and k >= 1");
  RNNC_ASSERT(b.GetInsertBlock()->getParent() == f, "a GEMM call outside the function being emitted");
  emit_gemm_call(b, schedule,
                 {M, a_base, a_stride, a_k_stride, packed, c_base, c_stride, b.getInt64(std::uint64_t(n)),
                  b.getInt64(std::uint64_t(k)), nullptr, nullptr, accumulate});
}

void emit_gemm_call(llvm::IRBuilder<>& b, const GemmSchedule& schedule, const GemmCall& call) {
  b.CreateCall(gemm_function(*b.GetInsertBlock()->getModule(), schedule),
               {call.rows, call.a, call.a_stride, call.a_k_stride, call.packed, call.c, call.c_stride, call.n, call.k,
                call.segments ? call.segments : b.getInt64(1), call.segment_stride ? call.segment_stride : b.getInt64(0),
                b.getInt1(call.accumulate)});
}

}  // namespace rnnc
