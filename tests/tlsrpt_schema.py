#!/usr/bin/python3
# tlsrpt_schema.py - check a TLS-RPT aggregate report against RFC 8460 §4.4,
# field by field.
#
#   tests/tlsrpt_schema.py FILE...      (JSON, or gzip-compressed JSON)
#
# Prints "ok FILE" or one line per problem; exits 1 when any file is wrong.
# Unknown keys are errors: a misspelt field name is the bug this exists to
# catch. The field names here were typed from RFC 8460 §4.4, not from our C.
import gzip
import ipaddress
import json
import re
import sys

RESULT_TYPES = {  # RFC 8460 §4.3, the IANA registry of §6.4
    "starttls-not-supported", "certificate-host-mismatch",
    "certificate-not-trusted", "certificate-expired", "validation-failure",
    "tlsa-invalid", "dnssec-invalid", "dane-required",
    "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
}
POLICY_TYPES = {"tlsa", "sts", "no-policy-found"}
# RFC 3339 §5.6 date-time; we always write UTC ("Z")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9_]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")


def check(rep):
    errs = []

    def need(obj, key, kind, where):
        if key not in obj:
            errs.append(f"{where}: missing \"{key}\"")
            return None
        if not isinstance(obj[key], kind) or (kind is int and isinstance(obj[key], bool)):
            errs.append(f"{where}: \"{key}\" is not a {kind.__name__}")
            return None
        return obj[key]

    def only(obj, allowed, where):
        for k in obj:
            if k not in allowed:
                errs.append(f"{where}: unknown field \"{k}\"")

    if not isinstance(rep, dict):
        return ["the report is not a JSON object"]
    only(rep, {"organization-name", "date-range", "contact-info", "report-id", "policies"}, "report")
    need(rep, "organization-name", str, "report")
    dr = need(rep, "date-range", dict, "report")
    if dr is not None:
        only(dr, {"start-datetime", "end-datetime"}, "date-range")
        for k in ("start-datetime", "end-datetime"):
            v = need(dr, k, str, "date-range")
            if v is not None and not DATETIME.match(v):
                errs.append(f"date-range: \"{k}\" is not an RFC 3339 date-time: {v}")
    need(rep, "contact-info", str, "report")
    rid = need(rep, "report-id", str, "report")
    if rid is not None and not rid:
        errs.append("report: empty report-id")
    pols = need(rep, "policies", list, "report")
    for i, p in enumerate(pols or []):
        w = f"policies[{i}]"
        if not isinstance(p, dict):
            errs.append(f"{w}: not an object")
            continue
        only(p, {"policy", "summary", "failure-details"}, w)
        pol = need(p, "policy", dict, w)
        if pol is not None:
            only(pol, {"policy-type", "policy-string", "policy-domain", "mx-host"}, w + ".policy")
            t = need(pol, "policy-type", str, w + ".policy")
            if t is not None and t not in POLICY_TYPES:
                errs.append(f"{w}.policy: bad policy-type {t}")
            for k in ("policy-string", "mx-host"):
                if k in pol and (not isinstance(pol[k], list) or not all(isinstance(x, str) for x in pol[k])):
                    errs.append(f"{w}.policy: \"{k}\" is not an array of strings")
            d = need(pol, "policy-domain", str, w + ".policy")
            if d is not None and not DOMAIN.match(d):
                errs.append(f"{w}.policy: policy-domain is not a domain name: {d}")
            if t == "no-policy-found" and ("policy-string" in pol or "mx-host" in pol):
                errs.append(f"{w}.policy: no-policy-found with a policy-string or mx-host")
        s = need(p, "summary", dict, w)
        total_fail = None
        if s is not None:
            only(s, {"total-successful-session-count", "total-failure-session-count"}, w + ".summary")
            for k in ("total-successful-session-count", "total-failure-session-count"):
                v = need(s, k, int, w + ".summary")
                if v is not None and v < 0:
                    errs.append(f"{w}.summary: negative {k}")
            total_fail = s.get("total-failure-session-count")
        fd = p.get("failure-details", [])
        if not isinstance(fd, list):
            errs.append(f"{w}: failure-details is not an array")
            fd = []
        sum_fail = 0
        for j, f in enumerate(fd):
            wf = f"{w}.failure-details[{j}]"
            if not isinstance(f, dict):
                errs.append(f"{wf}: not an object")
                continue
            only(f, {"result-type", "sending-mta-ip", "receiving-mx-hostname", "receiving-mx-helo",
                     "receiving-ip", "failed-session-count", "additional-information",
                     "failure-reason-code"}, wf)
            rt = need(f, "result-type", str, wf)
            if rt is not None and rt not in RESULT_TYPES:
                errs.append(f"{wf}: unknown result-type {rt}")
            n = need(f, "failed-session-count", int, wf)
            if n is not None:
                if n <= 0:
                    errs.append(f"{wf}: failed-session-count {n}")
                sum_fail += n
            for k in ("sending-mta-ip", "receiving-ip"):
                if k in f:
                    try:
                        ipaddress.ip_address(f[k])
                    except (ValueError, TypeError):
                        errs.append(f"{wf}: {k} is not an IP address: {f[k]!r}")
            for k in ("receiving-mx-hostname", "receiving-mx-helo", "failure-reason-code",
                      "additional-information"):
                if k in f and not isinstance(f[k], str):
                    errs.append(f"{wf}: {k} is not a string")
        if isinstance(total_fail, int) and sum_fail != total_fail:
            errs.append(f"{w}: failure-details add up to {sum_fail}, summary says {total_fail}")
    return errs


def load(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data.decode("utf-8"))


def main(argv):
    bad = 0
    for path in argv[1:]:
        try:
            errs = check(load(path))
        except (OSError, ValueError) as e:
            errs = [f"cannot read: {e}"]
        if errs:
            bad = 1
            for e in errs:
                print(f"{path}: {e}")
        else:
            print(f"ok {path}")
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
