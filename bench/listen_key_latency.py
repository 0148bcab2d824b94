#!/usr/bin/env python3
"""Times a key in the live view while `spanlens listen` ingests OTLP/HTTP: runs
`spanlens listen --addr ADDR --save TMP` in a pseudo-terminal, starts
`otlp-ingest-bench REQUESTS 3 ADDR` against it, and while that sends, presses `?` (help)
and times each until the help is drawn, then closes it; 20 presses, 0.3 s apart.

Usage: listen_key_latency.py SPANLENS OTLP_INGEST_BENCH [REQUESTS]
Prints: key_ms median=N max=N during ingest, and the bench's own spans/s line.
"""
import fcntl
import os
import pty
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from first_frame import read_until  # noqa: E402


def main():
    spanlens, bench = sys.argv[1], sys.argv[2]
    requests = sys.argv[3] if len(sys.argv) > 3 else "3000"
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    addr = "127.0.0.1:%d" % s.getsockname()[1]
    s.close()
    tmp = tempfile.mkdtemp(prefix="spanlens-listen-latency-")
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(spanlens, [spanlens, "listen", "--addr", addr, "--save", os.path.join(tmp, "s.jsonl")])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
    buf = bytearray()
    if read_until(fd, [b"waiting for spans"], time.monotonic() + 60, buf, start=0) is None:
        sys.exit("the live view never appeared")
    client = subprocess.Popen([bench, requests, "3", addr], stdout=subprocess.PIPE, text=True)
    read_until(fd, [b"total"], time.monotonic() + 10, buf)
    samples = []
    for _ in range(20):
        if client.poll() is not None:
            break
        start = len(buf)
        os.write(fd, b"?")
        t0 = time.monotonic()
        t1 = read_until(fd, [b"show / hide this help"], t0 + 10, buf, start=start)
        if t1 is None:
            sys.exit("the help never appeared")
        samples.append((t1 - t0) * 1000)
        os.write(fd, b"\x1b")
        read_until(fd, [b"\x00never"], time.monotonic() + 0.3, buf)
    out, _ = client.communicate()
    os.kill(pid, signal.SIGTERM)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    shutil.rmtree(tmp, ignore_errors=True)
    samples.sort()
    if not samples:
        sys.exit("the client finished before any key was timed; send more requests")
    print("key_ms median=%.0f max=%.0f (%d keys during ingest)" % (samples[len(samples) // 2], samples[-1], len(samples)))
    print(out.strip())


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
