#!/usr/bin/python3
# dnsstub.py - DNS servers for the daemon's tests: ones that fail on purpose
# (the answer table's row 3, design.md "Policy life cycle") and a forwarder
# that logs every question (one TXT lookup for a herd of clients).
#
#   tests/integration/dnsstub.py ADDR servfail|silent
#   tests/integration/dnsstub.py ADDR forward UPSTREAM LOGFILE
#
# Listens on ADDR port 53 (UDP). servfail answers every query with rcode
# SERVFAIL; silent reads queries and never answers; forward relays each
# query to UPSTREAM port 53 and appends "NAME TYPE" to LOGFILE. Runs until
# killed.
import socket
import sys
import threading

addr, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))


def question(q):
    """The query's name and numeric type, or None when it does not parse."""
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    if i + 3 > len(q):
        return None
    return ".".join(labels).lower(), int.from_bytes(q[i + 1:i + 3], "big")


def relay(q, peer, upstream):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    try:
        u.sendto(q, (upstream, 53))
        s.sendto(u.recv(65535), peer)
    except OSError:
        pass
    finally:
        u.close()


while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    if mode == "servfail":
        # the query's id and RD bit, QR set, rcode 2; its question, no records
        s.sendto(q[:2] + bytes([0x80 | (q[2] & 0x01), 0x02]) + q[4:6] + bytes(6) + q[12:], peer)
    elif mode == "forward":
        qn = question(q)
        with open(sys.argv[4], "a") as f:
            f.write("%s %d\n" % qn if qn else "? ?\n")
        threading.Thread(target=relay, args=(q, peer, sys.argv[3]), daemon=True).start()
