#!/usr/bin/env python3
"""Times follow mode as a user sees it: run `spanlens -f FILE` in a pseudo-terminal, append
one-span lines to FILE (a copy of PRELOAD, or empty), and time each from its write until
its span's name is drawn on the terminal. Each appended trace starts earlier than all
before it, so it is drawn on the trace list's first row.

Usage: follow_latency.py BINARY [PRELOAD]
Prints: follow_ms median=N max=N all=... (of 20 lines, one every 0.30-0.35 s)
"""
import fcntl
import random
import os
import pty
import shutil
import signal
import struct
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from first_frame import read_until  # noqa: E402


def line(i):
    # Every character differs from the last line's: ratatui redraws only changed cells.
    name = chr(ord("A") + i % 26) * 12
    trace = "%032x" % (0xFEED0000 + i)
    span = "%016x" % (0xBEEF + i)
    start = 10_000 - i
    return name, (
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%s",'
        '"name":"%s","startTimeUnixNano":"%d","endTimeUnixNano":"%d"}]}]}]}\n'
        % (trace, span, name, start, start + 1)
    )


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="spanlens-follow-latency-")
    path = os.path.join(tmp, "follow.jsonl")
    if len(sys.argv) > 2:
        shutil.copyfile(sys.argv[2], path)
    else:
        open(path, "wb").close()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(binary, [binary, "-f", path])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
    buf = bytearray()
    if read_until(fd, [b"live"], time.monotonic() + 120, buf, start=0) is None:
        sys.exit("the live view never appeared")
    # Let a preloaded file's first snapshot land before timing appends.
    time.sleep(2.0 if len(sys.argv) > 2 else 0.3)
    read_until(fd, [b"\x00never"], time.monotonic() + 0.2, buf)
    samples = []
    for i in range(20):
        name, text = line(i)
        start = len(buf)
        with open(path, "a") as f:
            f.write(text)
        t0 = time.monotonic()
        t1 = read_until(fd, [name.encode()], t0 + 10, buf, start=start)
        if t1 is None:
            sys.exit("line %d never appeared" % i)
        samples.append((t1 - t0) * 1000)
        # A random phase against the 50 ms poll, as a real writer has.
        time.sleep(0.3 + random.random() * 0.05)
    os.write(fd, b"q")
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    shutil.rmtree(tmp, ignore_errors=True)
    samples.sort()
    print("follow_ms median=%.0f max=%.0f all=%s" % (
        samples[len(samples) // 2], samples[-1], ",".join("%.0f" % s for s in samples)))


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
