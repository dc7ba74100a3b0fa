#!/usr/bin/python3
"""flowlog on a terminal (a pseudo-terminal for stdout and stderr): colour
for verdicts and headers, none with NO_COLOR or --color never; the progress
line shown with --progress, erased before the results, silenced by --quiet.

usage: term.py FLOWLOG EXAMPLES_DIR   (TAP output)"""
import os
import pty
import subprocess
import sys


def on_tty(argv, env_extra=None):
    """Run argv with a pseudo-terminal as stdout and stderr; all it wrote."""
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm")
    env.pop("NO_COLOR", None)
    env.update(env_extra or {})
    p = subprocess.Popen(argv, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait()
    os.close(master)
    return p.returncode, out.decode("utf-8", "replace")


def main():
    flowlog, ex = sys.argv[1], sys.argv[2]
    log = os.path.join(ex, "lambda-rds-nacl-return.log")
    diag = [flowlog, "diagnose", "--client", "10.0.1.25", "--server", "10.0.2.10", "--port", "3306", log]
    query = [flowlog, "query", "--progress", 'filter action = "REJECT" | stats count(*) as n by dstPort', log]
    checks = []
    rc, out = on_tty(diag)
    checks.append(("the verdict is red on a terminal", rc == 0 and "verdict:  \x1b[1;31mreturn-blocked\x1b[0m" in out))
    checks.append(("headers are bold on a terminal", "\x1b[1mevidence" in out))
    rc, out = on_tty(diag, {"NO_COLOR": "1"})
    checks.append(("NO_COLOR turns colour off", rc == 0 and "\x1b[" not in out and "verdict:  return-blocked" in out))
    rc, out = on_tty(diag[:1] + ["--color", "never"] + diag[1:])
    checks.append(("--color never turns colour off", rc == 0 and "\x1b[" not in out))
    rc, out = on_tty(query)
    last_clear = out.rfind("\r\x1b[K")
    checks.append(("--progress shows records/s on a terminal", rc == 0 and "records/s" in out))
    checks.append(("the progress line is erased before the results",
                   last_clear >= 0 and "dstPort" in out[last_clear:] and "records/s" not in out[last_clear:]))
    rc, out = on_tty(query[:1] + ["--quiet"] + query[1:])
    checks.append(("--quiet silences the progress line", rc == 0 and "records/s" not in out and "dstPort" in out))
    p = subprocess.run(query, capture_output=True, text=True)
    checks.append(("never a progress line or colour on a pipe",
                   p.returncode == 0 and "records/s" not in p.stderr and "\x1b[" not in p.stdout))
    for i, (name, good) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if good else "not ok", i, name))
    print("1..%d" % len(checks))
    return 0 if all(g for _, g in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
