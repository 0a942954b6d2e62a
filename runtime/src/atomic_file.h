// Replacing a file so that readers — and the file system after a crash —
// see either the old contents or the new ones, never a mix: write a
// temporary file in the same directory, fsync it, rename it over the
// target, fsync the directory.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace rnnc {

// Throws RuntimeError("PATH: reason") and removes the temporary file on any
// failure; the file at `path` is not touched before the rename.
void write_file_atomically(const std::string& path, std::string_view contents);

// For tests: each system call the write makes, in order. write happens once
// per chunk of at most atomic_write_chunk_bytes.
enum class AtomicWriteStep { open_temporary, write, sync_file, close, rename, sync_directory };
constexpr std::size_t atomic_write_chunk_bytes = 1 << 16;

// For tests: called before each step with the bytes written so far; a hook
// that throws simulates a failure there, one that calls _exit a crash. An
// empty function removes the hook.
void set_atomic_write_fault_hook(std::function<void(AtomicWriteStep, std::size_t bytes_written)> hook);

}  // namespace rnnc
