#!/usr/bin/python3
# NAME
#	report.py - turn benchmark results into the tables of BENCHMARKS.md
# SYNOPSIS
#	report.py lookups RESULTS COMMANDS BENCHMARKS.md
#	report.py scale FRAGMENT BENCHMARKS.md
# DESCRIPTION
#	RESULTS holds one line of key=value words per measurement (loadgen -k
#	output with server= and round= in front); FRAGMENT is the markdown
#	bench/scale.sh wrote.
#	The tables replace what lies between "<!-- bench:NAME begin -->" and
#	"<!-- bench:NAME end -->" in BENCHMARKS.md (NAME is lookups or
#	scale), so the hand-written text around them survives a new run; a
#	missing part is appended, a missing file created.
#
#	lookups: for every connection count and server, the median over the
#	rounds of throughput and of each latency percentile, the spread of
#	throughput over the rounds, and the CPU time per request of server
#	and client; then the ratios the issue asks for (mtastsd to the peer,
#	mtastsd to the do-nothing server), then the machine and the commands.
import os
import platform
import re
import statistics
import subprocess
import sys
import time

TITLE = ("# Benchmarks\n\nMade by `make bench` (bench/run.sh, then bench/scale.sh);"
         " bench/README.md describes the tools and the method.\n")


def read_results(path):
    """every line of key=value words as a dict"""
    rows = []
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            words = dict(w.split("=", 1) for w in line.split() if "=" in w)
            if words:
                rows.append(words)
    return rows


def med(rows, key):
    """the median of a numeric field over rows, or None"""
    vals = [float(r[key]) for r in rows if key in r]
    return statistics.median(vals) if vals else None


def fmt(v, digits=0):
    """a number for a table cell"""
    if v is None:
        return "–"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def sh(cmd):
    """the first line a command prints, or '?'"""
    try:
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout
        return out.strip().splitlines()[0] if out.strip() else "?"
    except Exception:  # pylint: disable=broad-except
        return "?"


def machine():
    """a few lines about the machine and the software measured"""
    model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    osname = sh(". /etc/os-release && echo $PRETTY_NAME")
    load = sh("cut -d' ' -f1-3 /proc/loadavg")
    ours = sh("git describe --always --dirty 2>/dev/null")
    ccv = sh("cc --version")

    def deb(pkg):
        return sh(f"dpkg-query -W -f='${{Version}}' {pkg}")

    lines = [
        f"- Machine: {model}, {os.cpu_count()} CPUs, {mem} RAM; {platform.system()}"
        f" {platform.release()} ({osname}); load average when the report was written:"
        f" {load} (the machine is shared with other work)",
        f"- exim-mtasts {ours}, built with {ccv}, -O2",
        f"- postfix-mta-sts-resolver {deb('postfix-mta-sts-resolver')}, Python"
        f" {platform.python_version()}, python3-uvloop {deb('python3-uvloop')},"
        f" python3-aiosqlite {deb('python3-aiosqlite')}; liblmdb {deb('liblmdb0')}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    ]
    return "\n".join(lines)


def lookups(results, commands):
    """the cached-lookup tables"""
    rows = read_results(results)
    servers = []
    conns = []
    for r in rows:
        if r["server"] not in servers:
            servers.append(r["server"])
        if int(r["conns"]) not in conns:
            conns.append(int(r["conns"]))
    conns.sort()
    cell = {}
    for c in conns:
        for s in servers:
            sel = [r for r in rows if r["server"] == s and int(r["conns"]) == c]
            if sel:
                cell[(s, c)] = sel
    rounds = max((int(r["round"]) for r in rows), default=0)
    windows = sorted({r["window_s"] for r in rows})
    out = []
    out.append(f"Cached lookups over a Unix socket, {rows[0]['domains']} domains cached in every"
               f" server, {rounds} rounds of {float(windows[0]):.0f} s per cell, servers"
               " interleaved; medians over the rounds (\"spread\" is the lowest and highest"
               " throughput of the rounds). CPU columns: CPU time per answered request of the"
               " server (all its threads) and of the client, and the share of one core each"
               " used during the window: whichever is near 100 % is the bottleneck.\n")
    out.append("| conns | server | req/s | spread | p50 µs | p99 µs | p99.9 µs "
               "| server CPU µs/req | client CPU µs/req | server CPU % | client CPU % |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in conns:
        for s in servers:
            sel = cell.get((s, c))
            if not sel:
                continue
            rps = [float(r["rps"]) for r in sel]
            errs = sum(int(r["errors"]) + int(r["mismatches"]) for r in sel)
            name = s + (f" ({errs} errors)" if errs else "")
            out.append(f"| {c} | {name} | {fmt(med(sel, 'rps'))} | {fmt(min(rps))}–{fmt(max(rps))} "
                       f"| {fmt(med(sel, 'p50_us'), 1)} | {fmt(med(sel, 'p99_us'), 1)} "
                       f"| {fmt(med(sel, 'p999_us'), 1)} | {fmt(med(sel, 'server_cpu_us_per_req'), 2)} "
                       f"| {fmt(med(sel, 'client_cpu_us_per_req'), 2)} "
                       f"| {fmt(med(sel, 'server_cpu_pct'))} | {fmt(med(sel, 'client_cpu_pct'))} |")
    out.append("")

    def m(s, c, k):
        return med(cell[(s, c)], k) if (s, c) in cell else None

    def pr(a, b, c, k, digits=2):
        """the median over rounds of a's k divided by b's k in the same round"""
        if (a, c) not in cell or (b, c) not in cell:
            return "–"
        bs = {r["round"]: float(r[k]) for r in cell[(b, c)] if k in r}
        vals = [float(r[k]) / bs[r["round"]] for r in cell[(a, c)]
                if k in r and bs.get(r["round"])]
        return f"{statistics.median(vals):.{digits}f}×" if vals else "–"

    if "mtastsd" in servers:
        out.append("Ratios: for each round the two servers' values from that round (measured"
                   " seconds apart), then the median over the rounds. Throughput: higher is"
                   " better for mtastsd; p99 and CPU per request: mtastsd's divided by the"
                   " do-nothing server's, 1.00× is the limit. The issue's targets at 32"
                   " connections: throughput ≥ 0.90× and p99 ≤ 1.10× the do-nothing server,"
                   " throughput ≥ 5× the peer.\n")
        out.append("| conns | mtastsd / peer-sqlite req/s | mtastsd / peer-internal req/s "
                   "| mtastsd / null-line req/s | mtastsd / null-line p99 "
                   "| server CPU per request, mtastsd / null-line |")
        out.append("|---:|---:|---:|---:|---:|---:|")
        for c in conns:
            out.append(f"| {c} | {pr('mtastsd', 'peer-sqlite', c, 'rps', 1)} "
                       f"| {pr('mtastsd', 'peer-internal', c, 'rps', 1)} "
                       f"| {pr('mtastsd', 'null-line', c, 'rps')} "
                       f"| {pr('mtastsd', 'null-line', c, 'p99_us')} "
                       f"| {pr('mtastsd', 'null-line', c, 'server_cpu_us_per_req')} |")
        out.append("")
    if "peer-sqlite" in servers and "null-socketmap" in servers:
        out.append("The peer against the do-nothing server speaking its protocol (socketmap):\n")
        out.append("| conns | peer-sqlite / null-socketmap req/s | peer-internal / null-socketmap req/s |")
        out.append("|---:|---:|---:|")
        for c in conns:
            out.append(f"| {c} | {pr('peer-sqlite', 'null-socketmap', c, 'rps')} "
                       f"| {pr('peer-internal', 'null-socketmap', c, 'rps')} |")
        out.append("")
    out.append(machine())
    out.append("")
    out.append("Commands (run directory relative; `make bench` does all of it):\n")
    out.append("```")
    with open(commands, encoding="utf-8") as fp:
        for line in fp:
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind in ("cmd", "cmd-loadgen"):
                out.append(rest.partition(" ")[2])
            else:
                out.append(rest)
    out.append("```")
    return "\n".join(out)


def scale(fragment):
    """the scale part: scale.sh's markdown, then the machine"""
    with open(fragment, encoding="utf-8") as fp:
        text = fp.read().rstrip("\n")
    return text + "\n\n" + machine()


def splice(path, name, body):
    """replace the marked part NAME of the file at path with body"""
    begin, end = f"<!-- bench:{name} begin -->", f"<!-- bench:{name} end -->"
    try:
        with open(path, encoding="utf-8") as fp:
            doc = fp.read()
    except FileNotFoundError:
        doc = TITLE
    block = f"{begin}\n{body}\n{end}"
    pat = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pat.search(doc):
        doc = pat.sub(lambda _: block, doc)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    with open(path + ".tmp", "w", encoding="utf-8") as fp:
        fp.write(doc)
    os.replace(path + ".tmp", path)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "lookups":
        splice(sys.argv[4], "lookups", lookups(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "scale":
        splice(sys.argv[3], "scale", scale(sys.argv[2]))
    else:
        print("usage: report.py lookups RESULTS COMMANDS OUT | scale FRAGMENT OUT", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
