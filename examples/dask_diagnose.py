#!/usr/bin/python3
"""Diagnose, sweep or query flow logs on a Dask cluster.

    dask_diagnose.py [--scheduler ADDRESS | --workers N] diagnose --client A --server B --port P
                     [--protocol tcp] PATH...
    dask_diagnose.py [--scheduler ADDRESS | --workers N] sweep PATH...
    dask_diagnose.py [--scheduler ADDRESS | --workers N] query 'QUERY' PATH...

Each file (a directory gives its flow-log files, in name order) is read on a
worker into a partial state with the Python binding; the client merges the
states in file order, which gives exactly what one pass over every file
gives, and prints the report: a diagnosis as `flowlog diagnose` prints it
(the merged state is handed to `flowlog diagnose --load-state`), a sweep's
problems and a query's rows as CSV.

Without --scheduler a local cluster of --workers processes (default 2) is
started. The workers need what the client has: the flowlog package on their
PYTHONPATH and libflowlog (FLOWLOG_LIBRARY, or installed).
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile

import flowlog

LOG_SUFFIXES = (".log", ".log.gz", ".gz", ".txt", ".csv", ".ndjson")


def log_files(paths):
    """Files of paths, a directory's flow-log files in name order."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                out.extend(os.path.join(root, f) for f in sorted(files)
                           if f.endswith(LOG_SUFFIXES) and not f.startswith("."))
        else:
            out.append(p)
    return out


def partial_state(kind, spec, path):
    """One file read into a state (bytes): runs on a worker."""
    if kind == "diagnose":
        return flowlog.diagnose(spec["client"], spec["server"], spec["port"], spec["protocol"], paths=path).serialize()
    if kind == "sweep":
        return flowlog.sweep(paths=path).serialize()
    with flowlog.Query(spec["query"]) as q:
        return q.feed(path).serialize()


def merge_states(kind, spec, states):
    """The states merged in order: a Diagnosis, a Sweep or a Query."""
    if kind == "diagnose":
        whole = flowlog.Diagnosis(spec["client"], spec["server"], spec["port"], spec["protocol"])
    elif kind == "sweep":
        whole = flowlog.Sweep()
    else:
        whole = flowlog.Query(spec["query"])
    for state in states:
        whole.merge(flowlog.Diagnosis.deserialize(state) if kind == "diagnose"
                    else flowlog.Sweep.deserialize(state) if kind == "sweep" else state)
    return whole


def run_on(client, kind, spec, files):
    """Map the files to states on the cluster, merge them on the client."""
    futures = client.map(partial_state, [kind] * len(files), [spec] * len(files), files, pure=False)
    return merge_states(kind, spec, client.gather(futures))


def run_here(kind, spec, files):
    """The same, in this process: what the cluster must equal."""
    return merge_states(kind, spec, [partial_state(kind, spec, f) for f in files])


def report(kind, spec, whole, out=sys.stdout):
    if kind == "diagnose":
        cli = os.environ.get("FLOWLOG_CLI") or shutil.which("flowlog")
        if cli:
            with tempfile.NamedTemporaryFile(suffix=".state") as f:
                f.write(whole.serialize())
                f.flush()
                done = subprocess.run([cli, "diagnose", "--client", spec["client"], "--server", spec["server"],
                                       "--port", str(spec["port"]), "--protocol", str(spec["protocol"]),
                                       "--load-state", f.name], stdout=out, check=False)
                return done.returncode
        print(f"verdict:  {whole.verdict}\nside:     {whole.side}\n\n{whole.explanation}", file=out)
        return 0 if whole.complete else 3
    writer = csv.writer(out, lineterminator="\n")
    rows = whole.results if kind == "sweep" else whole.result()
    if rows:
        writer.writerow(rows[0].keys())
    for row in rows:
        writer.writerow(row.values())
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="flow logs on a Dask cluster, through libflowlog's states")
    ap.add_argument("--scheduler", help="a Dask scheduler's address (default: a local cluster)")
    ap.add_argument("--workers", type=int, default=2, help="processes of the local cluster (default 2)")
    sub = ap.add_subparsers(dest="kind", required=True)
    d = sub.add_parser("diagnose")
    d.add_argument("--client", required=True)
    d.add_argument("--server", required=True)
    d.add_argument("--port", type=int, required=True)
    d.add_argument("--protocol", default="tcp")
    d.add_argument("paths", nargs="+")
    s = sub.add_parser("sweep")
    s.add_argument("paths", nargs="+")
    q = sub.add_parser("query")
    q.add_argument("query")
    q.add_argument("paths", nargs="+")
    args = ap.parse_args(argv)
    spec = {k: v for k, v in vars(args).items() if k in ("client", "server", "port", "protocol", "query")}
    files = log_files(args.paths)
    if not files:
        print("dask_diagnose: no flow-log files in " + " ".join(args.paths), file=sys.stderr)
        return 2
    from distributed import Client, LocalCluster
    if args.scheduler:
        with Client(args.scheduler) as client:
            whole = run_on(client, args.kind, spec, files)
    else:
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            whole = run_on(client, args.kind, spec, files)
    return report(args.kind, spec, whole)


if __name__ == "__main__":
    sys.exit(main())
