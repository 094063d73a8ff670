#!/usr/bin/python3
# dnsstub.py - a DNS server that fails on purpose, for the answer table's
# row 3 (design.md "Policy life cycle": SERVFAIL and timeout).
#
#   tests/integration/dnsstub.py ADDR servfail|silent
#
# Listens on ADDR port 53 (UDP). servfail answers every query with rcode
# SERVFAIL; silent reads queries and never answers. Runs until killed.
import socket
import sys

addr, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
while True:
    q, peer = s.recvfrom(4096)
    if mode != "servfail" or len(q) < 12:
        continue
    # the query's id and RD bit, QR set, rcode 2; its question, no records
    s.sendto(q[:2] + bytes([0x80 | (q[2] & 0x01), 0x02]) + q[4:6] + bytes(6) + q[12:], peer)
