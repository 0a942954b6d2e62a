#!/usr/bin/env python3
"""Runs bench_rnn and prints a markdown table: GFLOP/s per implementation
and the rnnc/oneDNN and rnnc/libtorch ratios for every cell, pass and
shape, then the compile times, then the exact command that produced them.

  bench/report.py --quick                  lstm and gru, H = 256, B in {1, 16} (~2 minutes)
  bench/report.py                          the whole sweep (hours on 2 cores)
  bench/report.py --filter 'REGEX'         any --benchmark_filter
  bench/report.py --from-json FILE         a table from an earlier run's JSON

The benchmark runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from
its environment (in that command only) so that OpenBLAS picks its kernel and
blocking itself; --keep-openblas-env leaves them. --cpu N pins the run to
CPU N with taskset. Only the Python standard library is used.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys

QUICK_FILTER = r"^((lstm|gru)/[^/]+/[^/]+/H:256/B:(1|16)|compile/(lstm|gru)/rnnc/H:256)/"
IMPLS = ["rnnc", "onednn", "loop", "blas", "torch"]
IMPL_TITLES = {"rnnc": "rnnc", "onednn": "oneDNN", "loop": "C++ loop", "blas": "C++ + OpenBLAS", "torch": "libtorch"}
# The peers that get an rnnc / peer column when they ran.
RATIO_PEERS = ["onednn", "torch"]
CELLS = ["rnn", "lstm", "gru", "gru_classic", "layernorm_lstm"]
PASSES = ["fwd-infer", "fwd-train", "fwd+bwd"]
SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_binary():
    for build in ("build-bench", "build"):
        candidate = os.path.join(ROOT, build, "bench", "bench_rnn")
        if os.access(candidate, os.X_OK):
            return os.path.relpath(candidate)
    sys.exit("report.py: no bench_rnn found in build-bench/ or build/; build it or pass --binary")


def command_line(args):
    command = []
    if not args.keep_openblas_env:
        command += ["env", "-u", "OPENBLAS_CORETYPE", "-u", "OPENBLAS_L2_SIZE"]
    if args.cpu is not None:
        if not shutil.which("taskset"):
            sys.exit("report.py: --cpu needs taskset (util-linux)")
        command += ["taskset", "-c", str(args.cpu)]
    command += [args.binary or find_binary(), "--benchmark_format=json"]
    if args.filter:
        command.append("--benchmark_filter=" + args.filter)
    if args.min_time is not None:
        command.append("--benchmark_min_time=" + args.min_time)
    if args.repetitions > 1:
        command += ["--benchmark_repetitions=%d" % args.repetitions, "--benchmark_report_aggregates_only=true"]
    return command


def run(command):
    """Runs the benchmark, naming each result on stderr as it arrives."""
    print("running: " + shlex.join(command), file=sys.stderr, flush=True)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        stripped = line.strip()
        if stripped.startswith('"name":'):
            print("  done " + stripped[len('"name":'):].strip(' ",'), file=sys.stderr, flush=True)
    if process.wait() != 0:
        sys.exit("report.py: bench_rnn exited with status %d" % process.returncode)
    return json.loads("".join(lines))


def label_fields(benchmark):
    return dict(field.split("=", 1) for field in benchmark.get("label", "").split() if "=" in field)


def gflops(benchmark, time):
    """FLOPS is bench_rnn's rate counter (real time); FLOP its FLOPs per iteration."""
    if time == "real":
        return benchmark["FLOPS"] * 1e-9 if "FLOPS" in benchmark else None
    seconds = benchmark["cpu_time"] * SECONDS[benchmark.get("time_unit", "ns")]
    return benchmark["FLOP"] * 1e-9 / seconds if "FLOP" in benchmark and seconds > 0 else None


def selected(benchmarks):
    """One entry per benchmark: the median when repetitions were asked for."""
    if any(b.get("run_type") == "aggregate" for b in benchmarks):
        return [b for b in benchmarks if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"]
    return [b for b in benchmarks if b.get("run_type", "iteration") == "iteration"]


def order(value, known):
    return known.index(value) if value in known else len(known)


def number(value, digits=1):
    return "—" if value is None else ("%.*f" % (digits, value))


def tables(report, time, command):
    passes, compiles, errors = {}, [], []
    for benchmark in selected(report.get("benchmarks", [])):
        fields = label_fields(benchmark)
        if benchmark.get("error_occurred"):
            errors.append("%s: %s" % (benchmark["name"], benchmark.get("error_message", "error")))
            continue
        if fields.get("pass") == "compile":
            milliseconds = benchmark["real_time"] * SECONDS[benchmark.get("time_unit", "ns")] * 1e3
            compiles.append((fields["cell"], int(fields["H"]), milliseconds))
            continue
        if "impl" not in fields:
            continue
        key = (fields["cell"], fields["pass"], int(fields["H"]), int(fields["B"]), int(fields["T"]))
        passes.setdefault(key, {})[fields["impl"]] = gflops(benchmark, time)

    out = []
    context = report.get("context", {})
    out.append("bench_rnn, %s, %s CPUs at %s MHz, load average %s; oneDNN %s; %s; oneDNN OpenMP threads: %s."
               % (context.get("date", "?"), context.get("num_cpus", "?"), context.get("mhz_per_cpu", "?"),
                  " ".join("%.2f" % x for x in context.get("load_avg", [])) or "?", context.get("onednn", "?"),
                  "OpenBLAS: " + context.get("openblas", "?") if not context.get("openblas", "").startswith("OpenBLAS")
                  else context["openblas"], context.get("onednn_omp_max_threads", "?")))
    out.append("rnnc kernels for: %s; oneDNN ISA limit: %s."
               % (context.get("rnnc_target", "?"), context.get("onednn_max_cpu_isa", "?")))
    load = context.get("load_avg", [])
    if time == "real" and load and load[0] > 1.5:
        out.append("")
        out.append("Note: load average %.1f at the start: other processes shared the CPUs, so wall-clock rates are "
                   "low for every implementation and noisy; ratios (same process) suffer less; --time cpu gives the "
                   "rates per CPU second of the benchmark thread." % load[0])
    out.append("")
    if passes:
        impls = [i for i in IMPLS if any(i in row for row in passes.values())]
        impls += sorted({i for row in passes.values() for i in row} - set(impls))
        out.append("GFLOP/s (benchdnn FLOP count, %s time), T = %d, I = H; higher is better."
                   % ("wall-clock" if time == "real" else "CPU", next(iter(passes))[4]))
        out.append("")
        peers = [i for i in RATIO_PEERS if i in impls]
        titles = [IMPL_TITLES.get(i, i) for i in impls] + ["rnnc / " + IMPL_TITLES[i] for i in peers]
        out.append("| cell | pass | H | B | " + " | ".join(titles) + " |")
        out.append("|---|---|--:|--:|" + "--:|" * len(titles))
        for key in sorted(passes, key=lambda k: (order(k[0], CELLS), order(k[1], PASSES), k[2], k[3])):
            row = passes[key]
            rnnc = row.get("rnnc")
            ratios = [rnnc / row[i] if rnnc and row.get(i) else None for i in peers]
            cells = [number(row.get(i)) for i in impls] + [number(ratio, 2) for ratio in ratios]
            out.append("| %s | %s | %d | %d | " % key[:4] + " | ".join(cells) + " |")
        out.append("")
    if compiles:
        out.append("rnnc compile time (parse to JIT-compiled kernels), ms:")
        out.append("")
        out.append("| cell | H | ms |")
        out.append("|---|--:|--:|")
        for cell, hidden, milliseconds in sorted(compiles, key=lambda c: (order(c[0], CELLS), c[1])):
            out.append("| %s | %d | %.0f |" % (cell, hidden, milliseconds))
        out.append("")
    for error in errors:
        out.append("- error: " + error)
    if errors:
        out.append("")
    out.append("Command: `%s`" % command)
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", help="bench_rnn to run (default: build-bench/bench/bench_rnn, then build/)")
    parser.add_argument("--filter", help="--benchmark_filter regex")
    parser.add_argument("--quick", action="store_true", help="filter " + QUICK_FILTER)
    parser.add_argument("--min-time", help="--benchmark_min_time, seconds (Google Benchmark 1.7: a number)")
    parser.add_argument("--repetitions", type=int, default=1, help="repeat each benchmark, report the median")
    parser.add_argument("--time", choices=["real", "cpu"], default="real",
                        help="GFLOP/s from wall-clock time (default) or from the benchmark thread's CPU time "
                             "(steadier on a shared machine; every peer runs on that one thread)")
    parser.add_argument("--cpu", type=int, help="pin the run to this CPU with taskset")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="leave OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in the benchmark's environment")
    parser.add_argument("--json", help="also save the benchmark's JSON output here")
    parser.add_argument("--from-json", help="make the tables from this JSON instead of running")
    args = parser.parse_args()
    if args.quick:
        if args.filter:
            parser.error("--quick and --filter exclude each other")
        args.filter = QUICK_FILTER

    if args.from_json:
        with open(args.from_json) as source:
            report = json.load(source)
        command = report.get("report_command", "(from %s)" % args.from_json)
    else:
        command_list = command_line(args)
        report = run(command_list)
        command = shlex.join(command_list)
        if args.json:
            with open(args.json, "w") as sink:
                json.dump(dict(report, report_command=command), sink, indent=1)
    print(tables(report, args.time, command))


if __name__ == "__main__":
    main()
