#!/usr/bin/env python3
"""The cspipe chain on Apache Spark: the same binaries, one shell command per shard.

    spark_chain.py --bin .build/release --as-of 2026-11-15 --work build/spark/run \\
        --master 'local[2]' exports/*.csv exports/*.xml

Spark schedules the work; every record is read and written by the cspipe binaries, on files in
the work folder (shared storage on a cluster). No record passes through Python: a task is a list
of arguments for one binary, and its exit status is checked (a failed task fails the job, and the
driver exits 1). The stages, each a Spark stage of independent tasks (docs/SCALE.md):

  0. a checksum per export: an export saved twice is read once, as one ingest reads it
  1. ingest, one task per export; its raw records are cut into shards of --shard-records lines
  2. normalise --survey, one task per shard: what each shard knows of identity and duplicates
  3. the surveys concatenated (one task)
  4. normalise --identity surveys, one task per shard: canonical records as one run gives them
  5. segment --partial, one task per shard; then segment --merge (one task): accounts.ndjson
  6. score and stage on the accounts (one task each; they read accounts, not events)

The result is byte for byte what `ingest | normalise | segment | score | stage` gives over the
same exports in one process (`make spark` checks it). On a real cluster the binaries must be at
the same path on every executor, and --work and the exports on storage every executor reads.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time


def run_task(task):
    """Runs one task on an executor: a list of (argv, stdout_path or None; "-" returns the
    output, for a checksum). Returns its name, timing and that output.

    Runs with an explicit environment (Spark's pipe() gives none; neither do some executors),
    and raises with the command's own error text on a non-zero exit.
    """
    name, commands = task
    started = time.monotonic()
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
    output = b""
    for argv, stdout_path in commands:
        to_file = stdout_path not in (None, "-")
        stdout = open(stdout_path, "wb") if to_file else subprocess.PIPE if stdout_path == "-" else subprocess.DEVNULL
        try:
            done = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, env=env)
        finally:
            if to_file:
                stdout.close()
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{name}: {' '.join(argv)} exited {done.returncode}:\n{message}")
        if stdout_path == "-":
            output += done.stdout
    return name, time.monotonic() - started, output


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exports", nargs="+", help="export files (CSV, XML, …), as ingest takes them")
    parser.add_argument("--bin", required=True, help="folder of the cspipe binaries (the same path on every executor)")
    parser.add_argument("--as-of", required=True, help="the day the results describe (passed to every stage)")
    parser.add_argument("--work", required=True, help="work folder on shared storage; emptied first")
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    parser.add_argument("--shard-records", type=int, default=0,
                        help="cut each export's raw records into shards of this many lines (0: one shard per export)")
    parser.add_argument("--aliases", help="normalise --aliases")
    parser.add_argument("--mappings", action="append", default=[], help="normalise --mappings (repeatable)")
    parser.add_argument("--timezone", action="append", default=[], help="normalise --timezone (repeatable)")
    parser.add_argument("--segment-config", help="segment --config")
    parser.add_argument("--rates", help="segment --rates")
    parser.add_argument("--model", help="score --model (with --journey: run score and stage)")
    parser.add_argument("--journey", help="stage --journey")
    parser.add_argument("--through", choices=["segment", "score", "stage"], default="stage",
                        help="the last stage to run (default stage)")
    args = parser.parse_args()

    binaries = os.path.abspath(args.bin)
    tool = {name: os.path.join(binaries, name) for name in ["ingest", "normalise", "segment", "score", "stage"]}
    for name, path in tool.items():
        if not os.access(path, os.X_OK):
            sys.exit(f"spark_chain: {path} is not an executable (build with: swift build -c release)")
    split = shutil.which("split") or sys.exit("spark_chain: coreutils split not found")
    sha256sum = shutil.which("sha256sum") or sys.exit("spark_chain: coreutils sha256sum not found")
    work = os.path.abspath(args.work)
    if os.path.isdir(work):
        shutil.rmtree(work)
    for folder in ["raw", "shards", "surveys", "canonical", "partials", "out"]:
        os.makedirs(os.path.join(work, folder))
    # Paths as given: they are the `file` of every record, and so part of the output.
    exports = args.exports
    as_of = ["--as-of", args.as_of]
    normalise_flags = as_of + (["--aliases", os.path.abspath(args.aliases)] if args.aliases else [])
    for mapping in args.mappings:
        normalise_flags += ["--mappings", os.path.abspath(mapping)]
    for zone in args.timezone:
        normalise_flags += ["--timezone", zone]
    segment_flags = as_of + (["--config", os.path.abspath(args.segment_config)] if args.segment_config else [])
    segment_flags += ["--rates", os.path.abspath(args.rates)] if args.rates else []

    from pyspark import SparkConf, SparkContext

    conf = SparkConf().setAppName("cspipe").setMaster(args.master).set("spark.ui.enabled", "false")
    conf = conf.set("spark.ui.showConsoleProgress", "false")
    context = SparkContext(conf=conf)
    context.setLogLevel("ERROR")
    timings = {}

    def stage(label, tasks):
        """One Spark stage: every task on its own partition, all checked."""
        started = time.monotonic()
        if tasks:
            results = context.parallelize(tasks, len(tasks)).map(run_task).collect()
            slowest = max(seconds for _, seconds, _ in results)
        else:
            results, slowest = [], 0.0
        timings[label] = (len(tasks), time.monotonic() - started, slowest)
        print(f"spark_chain: {label}: {len(tasks)} task(s), {timings[label][1]:.2f} s (slowest task {slowest:.2f} s)",
              file=sys.stderr)
        return [output for _, _, output in results]

    def path(folder, name):
        return os.path.join(work, folder, name)

    try:
        started = time.monotonic()
        # ingest reads an export saved twice once (the first named); its tasks cannot see each
        # other, so the driver drops repeats by checksum first, as one ingest would.
        sums = stage("checksums", [(f"checksum {export}", [([sha256sum, export], "-")]) for export in exports])
        seen = {}
        for export, line in zip(exports, sums):
            digest = line.split(b" ", 1)[0].lstrip(b"\\")
            if digest in seen:
                print(f"spark_chain: {export} has the same content as {seen[digest]}: read once", file=sys.stderr)
            else:
                seen[digest] = export
        exports = list(seen.values())
        ingest_tasks = []
        for index, export in enumerate(exports):
            raw = path("raw", f"{index:04d}.ndjson")
            commands = [([tool["ingest"], "-q", export, "-o", raw, "--rejects", path("raw", f"{index:04d}.rejects.ndjson")], None)]
            if args.shard_records > 0:
                commands.append(([split, "-l", str(args.shard_records), "-d", "-a", "4", "--additional-suffix=.ndjson",
                                  raw, path("shards", f"{index:04d}-")], None))
            else:
                commands.append((["/bin/cp", raw, path("shards", f"{index:04d}-0000.ndjson")], None))
            ingest_tasks.append((f"ingest {export}", commands))
        stage("ingest", ingest_tasks)

        shards = sorted(name[:-len(".ndjson")] for name in os.listdir(path("shards", "")) if name.endswith(".ndjson"))
        stage("normalise --survey", [
            (f"survey {shard}", [([tool["normalise"], "-q", "--survey", path("shards", shard + ".ndjson"),
                                   "-o", path("surveys", shard + ".ndjson")] + normalise_flags, None)])
            for shard in shards])
        surveys = path("out", "surveys.ndjson")
        stage("surveys", [("concatenate surveys", [(["/bin/cat"] + [path("surveys", s + ".ndjson") for s in shards], surveys)])])
        stage("normalise", [
            (f"normalise {shard}", [([tool["normalise"], "-q", "--identity", surveys, path("shards", shard + ".ndjson"),
                                      "-o", path("canonical", shard + ".ndjson"),
                                      "--rejects", path("canonical", shard + ".rejects.ndjson"),
                                      "--unmatched", path("canonical", shard + ".unmatched.ndjson")] + normalise_flags, None)])
            for shard in shards])
        stage("segment --partial", [
            (f"segment {shard}", [([tool["segment"], "-q", "--partial", path("canonical", shard + ".ndjson"),
                                    "-o", path("partials", shard + ".ndjson")] + segment_flags, None)])
            for shard in shards])
        accounts = path("out", "accounts.ndjson")
        stage("segment --merge", [("merge", [([tool["segment"], "-q", "--merge"]
                                              + [path("partials", s + ".ndjson") for s in shards]
                                              + ["-o", accounts] + segment_flags, None)])])
        final = accounts
        if args.through in ("score", "stage"):
            scored = path("out", "scored.ndjson")
            model = ["--model", os.path.abspath(args.model)] if args.model else []
            stage("score", [("score", [([tool["score"], "-q", accounts, "-o", scored] + as_of + model, None)])])
            final = scored
        if args.through == "stage":
            staged = path("out", "staged.ndjson")
            journey = ["--journey", os.path.abspath(args.journey)] if args.journey else []
            stage("stage", [("stage", [([tool["stage"], "-q", scored, "-o", staged,
                                          "--cohorts", path("out", "cohorts.ndjson")] + as_of + journey, None)])])
            final = staged
        total = time.monotonic() - started
        print(f"spark_chain: {len(exports)} export(s), {len(shards)} shard(s), {total:.2f} s in all: {final}",
              file=sys.stderr)
    except Exception as error:  # a task's failure arrives wrapped in Spark's own exception
        text = str(error)
        marker = text.find("RuntimeError: ")
        print("spark_chain: failed: " + (text[marker + 14:marker + 2014] if marker >= 0 else text[:2000]), file=sys.stderr)
        sys.exit(1)
    finally:
        context.stop()


if __name__ == "__main__":
    main()
