#!/usr/bin/env python3
"""Times the explorer as a user sees it: start the release binary in a pseudo-terminal,
and report when its first frame reaches the terminal and when the loaded view (the trace
list or the span tree) appears; then send a few keys and time each redraw; then quit.

Usage: first_frame.py BINARY FILE [COLS ROWS]
Prints: first_frame_ms=N ready_ms=N key_ms=N rss_mb=N (key_ms: slowest of the keys sent;
rss_mb: the explorer's peak resident memory)
"""
import os
import pty
import select
import struct
import sys
import time
import fcntl
import re
import termios

ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
MOVES = re.compile(rb"\x1b\[[0-9;]*H")


def plain(data):
    """Screen text from terminal output: cursor moves (ratatui skips unchanged cells, even
    spaces) become a space, other escape sequences go."""
    return ESCAPES.sub(b"", MOVES.sub(b" ", data))


def read_until(fd, needles, deadline, buf, start=None, raw=False):
    """Reads output until one of `needles` appears in `buf` after `start` (by default,
    after what `buf` already held)."""
    start = len(buf) if start is None else start
    see = (lambda b: bytes(b)) if raw else plain
    text = see(buf[start:])
    if any(n in text for n in needles):
        return time.monotonic()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.005)
        if ready:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                return None
            if not chunk:
                return None
            buf.extend(chunk)
            text = see(buf[start:])
            if any(n in text for n in needles):
                return time.monotonic()
    return None


def main():
    binary, path = sys.argv[1], sys.argv[2]
    cols, rows = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (160, 48)
    t0 = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(binary, [binary, path])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    buf = bytearray()
    # The header line is drawn on every frame, loading or not.
    first = read_until(fd, [b"spanlens"], t0 + 10, buf)
    # The loaded view: the header then counts the spans ("· 510 spans ·").
    ready = read_until(fd, [b"spans \xc2\xb7"], t0 + 600, buf, start=0)
    slowest = 0.0
    for key in [b"j", b"j", b"G", b"g", b"s", b"\r"]:
        sent = time.monotonic()
        os.write(fd, key)
        done = read_until(fd, [b"\x1b"], sent + 5, buf, raw=True)
        if done:
            slowest = max(slowest, done - sent)
        time.sleep(0.05)
    os.write(fd, b"q")
    # Keep reading: a child blocked writing a frame to a full terminal never sees the q.
    while read_until(fd, [b"\x00never"], time.monotonic() + 5, buf) is not None:
        pass
    _, _, usage = os.wait4(pid, 0)
    ms = lambda t: "NA" if t is None else f"{(t - t0) * 1000:.0f}"
    print(f"first_frame_ms={ms(first)} ready_ms={ms(ready)} key_ms={slowest * 1000:.1f} "
          f"rss_mb={usage.ru_maxrss * 1024 / 1e6:.0f}")


if __name__ == "__main__":
    main()
