#!/usr/bin/python3
"""mtclient.py - a small client for mtastsd's socket, for integration tests.

  mtclient.py SOCKET LINE...          one connection, each LINE a request;
                                      prints one answer line per request
  mtclient.py SOCKET --oneshot DATA   send DATA as is, shut down the write
                                      side (Exim's ${readsocket}), print all
  mtclient.py SOCKET --raw DATA       send DATA as is (\\n etc. escapes
                                      allowed), print what comes back within
                                      a second and whether the daemon closed
  mtclient.py SOCKET --abuse          the abuse scenario (see abuse())
  mtclient.py SOCKET --herd N LINE    N connections at once each send LINE;
                                      prints a count of each answer
  mtclient.py SOCKET --burst LINE...  one connection per LINE, all at once;
                                      prints "LINE => ANSWER" as answers come
                                      (flushed; "<lost>" when the daemon dies)
  mtclient.py SOCKET --burst-kill PID K LINE...
                                      as --burst, and SIGKILL to PID the
                                      moment the K-th answer is read
"""
import os
import resource
import select
import socket
import sys
import threading
import time


def connect(path, timeout=15.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_lines(s, n):
    data = b""
    while data.count(b"\n") < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def requests(path, lines):
    s = connect(path)
    s.sendall(b"".join(l.encode() + b"\n" for l in lines))
    out = read_lines(s, len(lines))
    s.close()
    sys.stdout.write(out.decode("latin-1"))


def oneshot(path, data):
    s = connect(path)
    s.sendall(data.encode().decode("unicode_escape").encode("latin-1"))
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    sys.stdout.write(out.decode("latin-1"))
    sys.stdout.write("<EOF>\n")


def raw(path, data):
    s = connect(path, 2.0)
    s.sendall(data.encode().decode("unicode_escape").encode("latin-1"))
    out = b""
    closed = False
    end = time.time() + 1.0
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 0.1)
        if r:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
    sys.stdout.write(out.decode("latin-1"))
    sys.stdout.write("<CLOSED>\n" if closed else "<OPEN>\n")


def ping_ms(path):
    t = time.time()
    s = connect(path, 5.0)
    s.sendall(b"ping\n")
    ans = read_lines(s, 1)
    s.close()
    if not ans.startswith(b"ok version="):
        raise SystemExit("bad ping answer %r" % ans)
    return (time.time() - t) * 1000


def abuse(path):
    """Half-open, slow, binary, over-long and 1000 idle clients at once; a
    well-behaved client must keep getting its answer quickly."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    worst = 0.0
    held = []
    # 1000 connections that say nothing (half-open clients)
    for _ in range(1000):
        held.append(connect(path))
    worst = max(worst, ping_ms(path))
    # a slow client: one byte of a request every 20 ms, in a thread
    stop = threading.Event()

    def slow():
        s = connect(path)
        while not stop.is_set():
            for b in b"policy slow":
                if stop.is_set():
                    break
                s.send(bytes([b]))
                time.sleep(0.02)
        s.close()
    t = threading.Thread(target=slow)
    t.start()
    # a client that writes requests but never reads its answers
    hog = connect(path)
    hog.setblocking(False)
    try:
        for _ in range(20000):
            hog.send(b"ping\n" * 200)
    except (BlockingIOError, OSError):
        pass
    # binary junk and an over-long line on their own connections
    junk = connect(path)
    junk.sendall(bytes(range(256)) + b"\n")
    longl = connect(path)
    try:
        longl.sendall(b"x" * 5000)
    except OSError:
        pass
    for _ in range(20):
        worst = max(worst, ping_ms(path))
        time.sleep(0.02)
    junk_ans = read_lines(junk, 1)
    long_ans = read_lines(longl, 1)
    stop.set()
    t.join()
    for s in held:
        s.close()
    print("worst_ping_ms=%.1f" % worst)
    print("junk=%s" % junk_ans.decode("latin-1").strip())
    print("long=%s" % long_ans.decode("latin-1").strip())


def herd(path, n, line):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    socks = [connect(path, 30.0) for _ in range(n)]
    for s in socks:
        s.sendall(line.encode() + b"\n")
    counts = {}
    for s in socks:
        a = read_lines(s, 1).decode("latin-1").strip()
        word = a.split(" ")[0] if a else "<none>"
        counts[word] = counts.get(word, 0) + 1
        s.close()
    for k in sorted(counts):
        print("%s=%d" % (k, counts[k]))


def burst(path, lines, kill_pid=0, kill_after=0):
    answers = 0
    socks = []
    for l in lines:
        s = connect(path, 30.0)
        s.sendall(l.encode() + b"\n")
        socks.append((l, s))
    pending = dict((s.fileno(), (l, s, b"")) for l, s in socks)
    while pending:
        r, _, _ = select.select([v[1] for v in pending.values()], [], [], 30)
        if not r:
            break
        for s in r:
            l, _, data = pending[s.fileno()]
            try:
                chunk = s.recv(4096)
            except OSError:
                chunk = b""
            data += chunk
            if not chunk or b"\n" in data:
                ans = data.split(b"\n")[0].decode("latin-1") if b"\n" in data else "<lost>"
                if b"\n" in data:
                    answers += 1
                    if kill_pid and answers == kill_after:
                        os.kill(kill_pid, 9)  # before anything else: the next commit is racing
                print("%s => %s" % (l, ans), flush=True)
                del pending[s.fileno()]
                s.close()
            else:
                pending[s.fileno()] = (l, s, data)


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    path, what = sys.argv[1], sys.argv[2]
    if what == "--oneshot":
        oneshot(path, sys.argv[3])
    elif what == "--raw":
        raw(path, sys.argv[3])
    elif what == "--abuse":
        abuse(path)
    elif what == "--burst":
        burst(path, sys.argv[3:])
    elif what == "--burst-kill":
        burst(path, sys.argv[5:], int(sys.argv[3]), int(sys.argv[4]))
    elif what == "--herd":
        herd(path, int(sys.argv[3]), sys.argv[4])
    else:
        requests(path, sys.argv[2:])


if __name__ == "__main__":
    main()
