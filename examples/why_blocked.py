#!/usr/bin/python3
"""Why can't the Lambda reach its database? The bundled scenario, from Python.

    FLOWLOG_LIBRARY=/usr/local/lib/x86_64-linux-gnu/libflowlog.so.1 PYTHONPATH=bindings/python \\
        examples/why_blocked.py 10.0.1.25 10.0.2.10 3306 examples/data/lambda-rds-nacl-inbound.log
"""
import sys

import flowlog


def main(argv):
    if len(argv) < 5:
        print("usage: why_blocked.py CLIENT SERVER PORT PATH...", file=sys.stderr)
        return 2
    client, server, port, paths = argv[1], argv[2], int(argv[3]), argv[4:]
    try:
        d = flowlog.diagnose(client, server, port, paths=paths)
    except flowlog.FlowlogError as e:
        print(f"why_blocked: {e}", file=sys.stderr)
        return 2
    with d:
        if not d.complete:
            print("evidence incomplete: " + ", ".join(f"{i['path']} ({i['status']})" for i in d.inputs()
                                                      if i["status"] != "complete" or i["errors"]))
        print(f"{d.verdict} (recorded at: {d.side})")
        for miss in d.near_misses:
            print(f"  near miss: {miss['kind']} {miss['client']} -> {miss['server']}:{miss['port']} "
                  f"({miss['records']} records)")
        print(d.explanation)
        return 0 if d.complete else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
