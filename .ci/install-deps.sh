#!/usr/bin/env bash
# Installs the Debian 12 packages rnnc needs, and only those that are missing.
# Idempotent: a second run installs nothing and does not touch the network.
set -euo pipefail

packages=(
  cmake g++ make
  llvm-19-dev      # JIT and ahead-of-time code generation
  libfmt-dev       # formatting
  libxxhash-dev    # the kernel cache's keys and checksums (XXH3)
  libcli11-dev     # command-line parsing for the rnnc tool
  catch2           # unit tests (v2)
  libbenchmark-dev # bench/
  libdnnl-dev      # oneDNN 2.6: the external oracle in tests, the peer in benchmarks
  ocl-icd-opencl-dev # oneDNN's CMake package requires OpenCL (its GPU runtime), only recommended by libdnnl-dev
  libopenblas-dev  # OpenBLAS: the BLAS baseline in bench/
  clang-19 libclang-rt-19-dev libfuzzer-19-dev # the sanitizer and fuzzing build (tests/run_hardening.sh)
  pkg-config libsndfile1-dev libsamplerate0-dev libfftw3-dev # the speech recognizer: audio files, resampling, FFT
  espeak-ng flite sox       # the speech recognizer's training voices and their variation
  asterisk-core-sounds-en-wav # the real human voice it is tested on
  asterisk-core-sounds-en # its sounds/en link (an alternative), only recommended by the -wav package
  libopenmpi-dev openmpi-bin # data-parallel training over MPI (rnnc/data_parallel.h): the library, mpirun for its tests
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
