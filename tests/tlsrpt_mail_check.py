#!/usr/bin/python3
# tlsrpt_mail_check.py - check a mailed TLS-RPT report against RFC 8460 §5.3
# (and its JSON against §4.4 through tlsrpt_schema.py), and verify its DKIM
# signature with python3-dkim against a public key given on the command line.
#
#   tests/tlsrpt_mail_check.py MESSAGE [--dkim-txt FILE] [--domain D]
#                              [--submitter S] [--json-out FILE]
#
# --dkim-txt FILE holds "selector._domainkey.domain TXT-data" lines (the
# records a DNS zone would publish); without it the signature is not
# checked, but it must be present. Prints "ok" or the problems; exit 1 on
# any problem.
import argparse
import gzip
import os
import re
import sys
from email import message_from_bytes, policy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tlsrpt_schema  # noqa: E402

FILENAME = re.compile(r"^(?P<sub>[^!]+)!(?P<dom>[^!]+)!(?P<b>\d+)!(?P<e>\d+)(!(?P<id>[A-Za-z0-9]+))?\.json\.gz$")
SUBJECT = re.compile(r"^Report\s+Domain:\s+(?P<dom>\S+)\s+Submitter:\s+(?P<sub>\S+)\s+Report-ID:\s+<(?P<id>[^@<>\s]+@[^@<>\s]+)>\s*$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("message")
    ap.add_argument("--dkim-txt")
    ap.add_argument("--domain")
    ap.add_argument("--submitter")
    ap.add_argument("--json-out")
    a = ap.parse_args()
    raw = open(a.message, "rb").read()
    errs = []
    msg = message_from_bytes(raw, policy=policy.default)

    dom = msg.get("TLS-Report-Domain")
    sub = msg.get("TLS-Report-Submitter")
    if not dom:
        errs.append("no TLS-Report-Domain header (RFC 8460 §5.3: MUST)")
    if not sub:
        errs.append("no TLS-Report-Submitter header (RFC 8460 §5.3: MUST)")
    if a.domain and dom != a.domain:
        errs.append(f"TLS-Report-Domain {dom}, want {a.domain}")
    if a.submitter and sub != a.submitter:
        errs.append(f"TLS-Report-Submitter {sub}, want {a.submitter}")
    subj = " ".join(str(msg.get("Subject", "")).split())
    m = SUBJECT.match(subj)
    if not m:
        errs.append(f"Subject is not 'Report Domain: D Submitter: S Report-ID: <id>': {subj!r}")
    elif m.group("dom") != dom or m.group("sub") != sub:
        errs.append("Subject names another domain or submitter than the headers")
    ct = msg.get_content_type()
    if ct != "multipart/report":
        errs.append(f"Content-Type {ct}, want multipart/report")
    if msg.get_param("report-type") != "tlsrpt":
        errs.append("report-type is not \"tlsrpt\"")
    parts = list(msg.iter_parts()) if msg.is_multipart() else []
    if len(parts) < 2:
        errs.append(f"{len(parts)} MIME parts, want a text part and the report")
    report = None
    if parts:
        if not parts[0].get_content_type().startswith("text/"):
            errs.append("the first part is not human-readable text")
        att = [p for p in parts if p.get_content_type() in ("application/tlsrpt+gzip", "application/tlsrpt+json")]
        if len(att) != 1:
            errs.append("no (or more than one) application/tlsrpt+gzip part")
        else:
            p = att[0]
            fn = p.get_filename() or ""
            fm = FILENAME.match(fn)
            if not fm:
                errs.append(f"attachment file name is not RFC 8460 §5.1's: {fn!r}")
            else:
                if fm.group("dom") != dom or fm.group("sub") != sub:
                    errs.append("file name names another domain or submitter")
                if int(fm.group("e")) <= int(fm.group("b")):
                    errs.append("file name end timestamp is not after its begin")
            data = p.get_payload(decode=True)
            if p.get_content_type() == "application/tlsrpt+gzip":
                try:
                    data = gzip.decompress(data)
                except OSError as e:
                    errs.append(f"attachment is not gzip: {e}")
                    data = None
            if data is not None:
                import json
                try:
                    report = json.loads(data.decode("utf-8"))
                except ValueError as e:
                    errs.append(f"attachment is not JSON: {e}")
            if report is not None:
                errs += ["report: " + e for e in tlsrpt_schema.check(report)]
                if m and report.get("report-id") != m.group("id"):
                    errs.append("Subject's Report-ID is not the JSON report-id")
                for pol in report.get("policies", []):
                    if pol.get("policy", {}).get("policy-domain") != dom:
                        errs.append("a policy-domain differs from TLS-Report-Domain")
                if a.json_out:
                    open(a.json_out, "wb").write(data)

    sigs = msg.get_all("DKIM-Signature") or []
    if not sigs:
        errs.append("no DKIM-Signature (RFC 8460 §5.3: MUST)")
    for s in sigs:
        if re.search(r"(^|;)\s*l\s*=", str(s)):
            errs.append("DKIM signature with l= (RFC 8460 §5.3: must not)")
        h = re.search(r"(?:^|;)\s*h\s*=\s*([^;]*)", str(s))
        hl = [re.sub(r"\s+", "", x).lower() for x in (h.group(1) if h else "").split(":")]
        for need in ("tls-report-domain", "tls-report-submitter", "from", "subject"):
            if need not in hl:
                errs.append(f"DKIM signature does not cover {need}")
    if a.dkim_txt and sigs:
        import dkim
        recs = {}
        for line in open(a.dkim_txt):
            if line.strip():
                name, txt = line.split(None, 1)
                recs[name.rstrip(".").lower() + "."] = txt.strip().encode()

        def dnsfunc(name, timeout=5):
            n = name.decode() if isinstance(name, bytes) else name
            return recs.get(n.rstrip(".").lower() + ".")

        if not dkim.verify(raw, dnsfunc=dnsfunc):
            errs.append("DKIM signature does not verify")
    if errs:
        for e in errs:
            print(e)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
