#!/usr/bin/python3
# NAME
#	gen.py - write the test world's files: certificates, zones, policies,
#	server configurations
# SYNOPSIS
#	/usr/bin/python3 gen.py RUNDIR
# DESCRIPTION
#	The one place that says what the world contains (tests/world/README.md
#	explains it): the addresses, the MX servers, the domains and what each
#	one's TXT record, policy host and MX set look like. Called by up.sh,
#	which then signs the zones (ldns) and starts the servers.
#
#	Writes under RUNDIR (0755 directories, 0644 files: Exim drops to
#	Debian-exim and must read them; the keys are test keys):
#	  ca/	 the test CA (ca.crt, ca.key), one leaf per valid host
#		 (HOST.crt, all with leaf.key; mx-dane's with dane.key),
#		 wrong-name.example.test.crt, expired.crt (2020),
#		 selfsigned.crt/.key, dkim.key, openssl.cnf (for `openssl ca`)
#	  dns/	 ZONE/zone (unsigned), ZONE/bogus (owners whose TXT is
#		 edited after signing), nsd.conf, libunbound.conf
#	  unbound/unbound.conf	the namespace's validating resolver
#	  www/DOMAIN.txt	served policies (nginx: alias)
#	  nginx/nginx.conf, nginx/connect-to
#	  mx/servers.json, mx/hosts
#	  world.vars	shell assignments for up.sh
#	One Python process makes every key and certificate: ~50 openssl
#	processes took seconds on a loaded machine, and the world must be up
#	in under 5.
import datetime
import hashlib
import json
import os
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ZONE = "example.test"
NSD_ADDR = "127.0.1.1"
RESOLVER_ADDR = "127.0.0.1"
POLICY_ADDR = "127.0.2.1"
POLICY_TLS11_ADDR = "127.0.2.2"
TLSRPT_ADDR = "127.0.2.3"
REFUSED_ADDR = "127.0.2.9"  # nothing listens there

# MX servers: name, host name, address, TLS kind (see mxd.py)
MX = [
    ("mx1", "mx1", "127.0.3.1", "good"),
    ("mx2", "mx2", "127.0.3.2", "good"),
    ("other", "mx-other", "127.0.3.3", "good"),
    ("implicit", "implicit", "127.0.3.4", "good"),
    ("wrongname", "mx-wrongname", "127.0.3.11", "wrongname"),
    ("expired", "mx-expired", "127.0.3.12", "expired"),
    ("selfsigned", "mx-selfsigned", "127.0.3.13", "selfsigned"),
    ("plain", "mx-plain", "127.0.3.14", "none"),
    ("tls11", "mx-tls11", "127.0.3.15", "tls11"),
    ("dane", "mx-dane", "127.0.3.16", "dane"),
    ("danebad", "mx-danebad", "127.0.3.17", "good"),
    ("reports", "mx-reports", "127.0.3.30", "none"),
]
MX_HOST = {m[0]: "%s.%s" % (m[1], ZONE) for m in MX}

# Domains under example.test ("child" and "insecure" are delegated zones):
# label, TXT kind, HTTPS kind, MX set ("pref:server ..." or "implicit"),
# policy mode, policy mx (server names or patterns), TLS-RPT rua.
DOMAINS = [
    ("enforce", "ok", "ok", "10:mx1 20:mx2", "enforce", "mx1 mx2", "mailto"),
    ("enforce-other-first", "ok", "ok", "10:other 20:mx1", "enforce", "mx1", None),
    ("enforce-nomatch", "ok", "ok", "10:other", "enforce", "mx1", None),
    ("enforce-wildcard", "ok", "ok", "10:mx1", "enforce", "*." + ZONE, None),
    ("enforce-fallback", "ok", "ok", "10:wrongname 20:mx1", "enforce", "wrongname mx1", None),
    ("enforce-wrongname", "ok", "ok", "10:wrongname", "enforce", "wrongname", "mailto"),
    ("enforce-expired", "ok", "ok", "10:expired", "enforce", "expired", None),
    ("enforce-selfsigned", "ok", "ok", "10:selfsigned", "enforce", "selfsigned", None),
    ("enforce-plain", "ok", "ok", "10:plain", "enforce", "plain", None),
    ("enforce-tls11", "ok", "ok", "10:tls11", "enforce", "tls11", None),
    ("implicit", "ok", "ok", "implicit", "enforce", "implicit", None),
    ("testing", "ok", "ok", "10:mx1", "testing", "mx1", "https"),
    ("testing-bad", "ok", "ok", "10:selfsigned", "testing", "selfsigned", "both"),
    ("none", "ok", "ok", "10:mx1", "none", "mx1", None),
    ("notxt", "none", "ok", "10:mx1", "enforce", "mx1", None),
    ("shared", "none", "none", "10:other", None, None, None),
    ("twotxt", "two", "ok", "10:mx1", "enforce", "mx1", None),
    ("split", "split", "ok", "10:mx1", "enforce", "mx1", None),
    ("cname", "cname", "ok", "10:mx1", "enforce", "mx1", None),
    ("badtxt", "invalid", "ok", "10:mx1", "enforce", "mx1", None),
    ("nonsts", "other", "ok", "10:mx1", "enforce", "mx1", None),
    ("bogus", "bogus", "ok", "10:mx1", "enforce", "mx1", None),
    ("change", "ok", "ok", "10:mx1 20:mx2", "enforce", "mx1 mx2", None),
    ("dane", "ok", "ok", "10:dane", "enforce", "dane", None),
    ("dane-nopolicy", "none", "none", "10:dane", None, None, None),
    ("dane-bad", "ok", "ok", "10:danebad", "enforce", "danebad", "mailto"),
    ("dane-outside", "ok", "ok", "10:dane 20:mx1", "enforce", "mx1", None),
    ("https-ctype", "ok", "ctype", "10:mx1", "enforce", "mx1", None),
    ("https-redirect", "ok", "redirect", "10:mx1", "enforce", "mx1", None),
    ("https-notfound", "ok", "notfound", "10:mx1", "enforce", "mx1", None),
    ("https-big", "ok", "big", "10:mx1", "enforce", "mx1", None),
    ("https-slow", "ok", "slow", "10:mx1", "enforce", "mx1", None),
    ("https-noheaders", "ok", "noheaders", "10:mx1", "enforce", "mx1", None),
    ("https-expired", "ok", "expired", "10:mx1", "enforce", "mx1", None),
    ("https-wrongname", "ok", "wrongname", "10:mx1", "enforce", "mx1", None),
    ("https-untrusted", "ok", "untrusted", "10:mx1", "enforce", "mx1", None),
    ("https-tls11", "ok", "tls11", "10:mx1", "enforce", "mx1", None),
    ("https-crlf", "ok", "crlf", "10:mx1", "enforce", "mx1", None),
    ("https-invalid", "ok", "invalid", "10:mx1", "enforce", "mx1", None),
    ("https-nohost", "ok", "nohost", "10:mx1", "enforce", "mx1", None),
    ("https-refused", "ok", "refused", "10:mx1", "enforce", "mx1", None),
    ("child", "ok", "ok", "10:mx1", "enforce", "mx1", None),
    ("insecure", "ok", "ok", "10:mx1", "enforce", "mx1", None),
    ("reports", "none", "none", "10:reports", None, None, None),
]
ZONES = [ZONE, "child." + ZONE, "insecure." + ZONE]
BIG_FILLER = 3000  # mx lines: the body passes 64 KiB (RFC 8461 §3.3 limit)
SLOW_FILLER = 40  # mx lines sent at 8 bytes/s after the headers: minutes
RUA_MAILTO = "mailto:tlsrpt@reports." + ZONE
RUA_HTTPS = "https://tlsrpt.%s/report" % ZONE


def write(path, data, mode=0o644):
    """write - create a file (parents too) with text or bytes"""
    mkdir(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.chmod(path, mode)


def mkdir(path):
    """mkdir - a directory and its parents, 0755"""
    if not os.path.isdir(path):
        mkdir(os.path.dirname(path))
        os.mkdir(path)
        os.chmod(path, 0o755)


def pem_key(key):
    """pem_key - a private key as unencrypted PEM"""
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


class CA:
    """CA - the world's test CA and the certificates it issues"""

    def __init__(self, d):
        self.d = d
        self.now = datetime.datetime.now(datetime.timezone.utc)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exim-mtasts test CA")])
        self.name = name
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (x509.CertificateBuilder()
                     .subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(self.now - datetime.timedelta(hours=1))
                     .not_valid_after(self.now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .add_extension(x509.KeyUsage(False, False, False, False, False,
                                                  True, True, False, False), True)
                     .add_extension(ski, False)
                     .sign(self.key, hashes.SHA256()))
        write(os.path.join(d, "ca.key"), pem_key(self.key))
        write(os.path.join(d, "ca.crt"), self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, fname, names, key, selfsigned=False, dates=None):
        """issue - a server certificate for names, valid now (or dates)"""
        start, end = dates or (self.now - datetime.timedelta(hours=1),
                               self.now + datetime.timedelta(days=30))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        b = (x509.CertificateBuilder()
             .subject_name(subject)
             .issuer_name(subject if selfsigned else self.name)
             .public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(start)
             .not_valid_after(end)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
             .add_extension(x509.KeyUsage(True, False, True, False, False,
                                          False, False, False, False), True)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
             .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
        if not selfsigned:
            b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), False)
        cert = b.sign(key if selfsigned else self.key, hashes.SHA256())
        write(os.path.join(self.d, fname), cert.public_bytes(serialization.Encoding.PEM))


def policy_body(mode, pats, filler=0):
    """policy_body - an RFC 8461 policy, LF line ends"""
    lines = ["version: STSv1", "mode: " + mode]
    for p in pats.split():
        lines.append("mx: " + MX_HOST.get(p, p))
    lines.append("max_age: 86400")
    lines += ["mx: filler%05d.%s" % (i, ZONE) for i in range(filler)]
    return "\n".join(lines) + "\n"


def main(rundir):
    d_ca, d_dns, d_www = (os.path.join(rundir, x) for x in ("ca", "dns", "www"))
    mkdir(d_www)
    d_ngx, d_ub, d_mx = (os.path.join(rundir, x) for x in ("nginx", "unbound", "mx"))
    ca = CA(d_ca)
    leaf = ec.generate_private_key(ec.SECP256R1())
    dane = ec.generate_private_key(ec.SECP256R1())
    selfk = ec.generate_private_key(ec.SECP256R1())
    dkim = rsa.generate_private_key(65537, 1024)  # RFC 8301 minimum: a test key, fast
    write(os.path.join(d_ca, "leaf.key"), pem_key(leaf))
    write(os.path.join(d_ca, "dane.key"), pem_key(dane))
    write(os.path.join(d_ca, "selfsigned.key"), pem_key(selfk))
    write(os.path.join(d_ca, "dkim.key"), pem_key(dkim))
    crt = lambda name: os.path.join(d_ca, name + ".crt")  # noqa: E731
    key = lambda name: os.path.join(d_ca, name + ".key")  # noqa: E731

    # certificates of the broken roles
    ca.issue("wrong-name.%s.crt" % ZONE, ["wrong-name." + ZONE], leaf)
    ca.issue("selfsigned.crt", [MX_HOST["selfsigned"], "mta-sts.https-untrusted." + ZONE],
             selfk, selfsigned=True)
    # expired in 2020, like `openssl ca -startdate 20200101000000Z -enddate
    # 20200201000000Z` would make it (one process instead of three)
    utc = datetime.timezone.utc
    ca.issue("expired.crt", [MX_HOST["expired"], "mta-sts.https-expired." + ZONE], leaf,
             dates=(datetime.datetime(2020, 1, 1, tzinfo=utc), datetime.datetime(2020, 2, 1, tzinfo=utc)))
    # for tests that issue more certificates: openssl ca -config ca/openssl.cnf
    write(os.path.join(d_ca, "openssl.cnf"), OPENSSL_CNF.format(dir=d_ca))
    write(os.path.join(d_ca, "index.txt"), "")
    write(os.path.join(d_ca, "serial"), "1000\n")
    os.makedirs(os.path.join(d_ca, "issued"), exist_ok=True)

    # zones
    serial = int(time.time())
    zones = {z: ["$ORIGIN %s." % z, "$TTL 60",
                 "@ IN SOA ns1.%s. hostmaster.%s. ( %d ; serial" % (ZONE, ZONE, serial),
                 "        3600 600 86400 1 )",
                 "@ IN NS ns1.%s." % ZONE] for z in ZONES}
    bogus = []

    def rr(line):
        owner = line.split()[0].rstrip(".")
        for z in sorted(ZONES, key=len, reverse=True):
            if owner == z or owner.endswith("." + z):
                zones[z].append(line)
                return
        raise ValueError(owner)

    rr("ns1.%s. IN A %s" % (ZONE, NSD_ADDR))
    for name, host, addr, kind in MX:
        rr("%s. IN A %s" % (MX_HOST[name], addr))
    rr("tlsrpt.%s. IN A %s" % (ZONE, TLSRPT_ADDR))

    servers, connect_to = [], []
    for label, txt, https, mxset, mode, pats, rua in DOMAINS:
        dom = "%s.%s" % (label, ZONE)
        pid = "".join(c for c in label if c.isalnum()) + "1"
        sts = '"v=STSv1; id=%s;"' % pid
        if txt in ("ok", "bogus"):
            rr("_mta-sts.%s. 1 IN TXT %s" % (dom, sts))
            if txt == "bogus":
                bogus.append("_mta-sts.%s." % dom)
        elif txt == "two":
            rr("_mta-sts.%s. 1 IN TXT %s" % (dom, sts))
            rr('_mta-sts.%s. 1 IN TXT "v=STSv1; id=%sb;"' % (dom, pid))
        elif txt == "split":
            rr('_mta-sts.%s. 1 IN TXT "v=STSv1; " "id=%s;"' % (dom, pid))
        elif txt == "cname":
            rr("_mta-sts.%s. 1 IN CNAME _mta-sts.cname-target.%s." % (dom, ZONE))
            rr("_mta-sts.cname-target.%s. 1 IN TXT %s" % (ZONE, sts))
        elif txt == "invalid":
            rr('_mta-sts.%s. 1 IN TXT "v=STSv1; id=not-valid!;"' % dom)
        elif txt == "other":
            rr('_mta-sts.%s. 1 IN TXT "v=spf1 -all"' % dom)
        for m in mxset.split():
            if m != "implicit":
                pref, srv = m.split(":")
                rr("%s. IN MX %s %s." % (dom, pref, MX_HOST[srv]))
        if rua:
            uris = {"mailto": RUA_MAILTO, "https": RUA_HTTPS,
                    "both": RUA_MAILTO + "," + RUA_HTTPS}[rua]
            rr('_smtp._tls.%s. IN TXT "v=TLSRPTv1; rua=%s"' % (dom, uris))

        host = "mta-sts." + dom
        if https in ("none", "nohost"):
            continue
        if https == "refused":
            rr("%s. IN A %s" % (host, REFUSED_ADDR))
            continue
        addr = POLICY_TLS11_ADDR if https == "tls11" else POLICY_ADDR
        rr("%s. IN A %s" % (host, addr))
        connect_to.append("%s:443:%s:443" % (host, addr))
        pf = os.path.join(d_www, dom + ".txt")
        body = policy_body(mode, pats)
        cert, ckey, extra, loc = crt(host), key("leaf"), "", ""
        if https in ("ok", "ctype", "redirect", "notfound", "big", "slow",
                     "noheaders", "tls11", "crlf", "invalid"):
            ca.issue(host + ".crt", [host], leaf)
        if https == "ctype":
            extra = "default_type text/html;"
        elif https == "redirect":
            loc = "return 301 https://mta-sts.enforce.%s/.well-known/mta-sts.txt;" % ZONE
        elif https == "notfound":
            loc, body = "return 404;", None
        elif https == "big":
            body = policy_body(mode, pats, BIG_FILLER)
        elif https == "slow":
            body, loc = policy_body(mode, pats, SLOW_FILLER), "limit_rate_after 256; limit_rate 8;"
        elif https == "noheaders":
            loc = "echo_sleep 3600; echo never;"
        elif https == "expired":
            cert = crt("expired")
        elif https == "wrongname":
            cert = crt("wrong-name." + ZONE)
        elif https == "untrusted":
            cert, ckey = crt("selfsigned"), key("selfsigned")
        elif https == "crlf":
            body = body.replace("\n", "\r\n")
        elif https == "invalid":
            body = "version: STSv1\nmode: bogus\nmx: %s\nmax_age: 86400\n" % MX_HOST["mx1"]
        elif https == "tls11":
            extra = "ssl_protocols TLSv1.1; ssl_ciphers DEFAULT:@SECLEVEL=0;"
        if body is not None:
            write(pf, body)
            loc = "alias %s; %s" % (pf, loc)
        servers.append(NGX_SERVER.format(addr=addr, host=host, cert=cert, key=ckey,
                                         extra=extra, loc=loc))

    # MX and other host certificates, DANE, DKIM, delegations
    for name, host, addr, kind in MX:
        if kind in ("good", "tls11"):
            ca.issue(MX_HOST[name] + ".crt", [MX_HOST[name]], leaf)
        elif kind == "dane":
            ca.issue(MX_HOST[name] + ".crt", [MX_HOST[name]], dane)
    ca.issue("tlsrpt.%s.crt" % ZONE, ["tlsrpt." + ZONE], leaf)
    spki = lambda k: hashlib.sha256(k.public_key().public_bytes(  # noqa: E731
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()
    rr("_25._tcp.%s. IN TLSA 3 1 1 %s" % (MX_HOST["dane"], spki(dane)))
    rr("_25._tcp.%s. IN TLSA 3 1 1 %s" % (MX_HOST["danebad"], hashlib.sha256(b"no such key").hexdigest()))
    p = __import__("base64").b64encode(dkim.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    rr('tlsrpt._domainkey.reporter.%s. IN TXT "v=DKIM1; k=rsa; " "p=%s" "%s"' % (ZONE, p[:200], p[200:]))
    rr("reporter.%s. IN MX 10 %s." % (ZONE, MX_HOST["reports"]))
    # the delegations: the DS of child is appended by up.sh after keygen
    zones[ZONE] += ["child.%s. IN NS ns1.%s." % (ZONE, ZONE),
                    "insecure.%s. IN NS ns1.%s." % (ZONE, ZONE)]
    for z in ZONES:
        write(os.path.join(d_dns, z, "zone"), "\n".join(zones[z]) + "\n")
    # the insecure delegation is served as it is (up.sh signs the others)
    write(os.path.join(d_dns, "insecure." + ZONE, "zone.signed"),
          "\n".join(zones["insecure." + ZONE]) + "\n")
    write(os.path.join(d_dns, ZONE, "bogus"), "".join(b + "\n" for b in bogus))

    write(os.path.join(d_dns, "nsd.conf"), NSD_CONF.format(d=d_dns, addr=NSD_ADDR, zone=ZONE))
    write(os.path.join(d_ub, "unbound.conf"), UNBOUND_CONF.format(
        d=d_ub, dns=d_dns, addr=RESOLVER_ADDR, nsd=NSD_ADDR, zone=ZONE))
    write(os.path.join(d_dns, "libunbound.conf"), LIBUNBOUND_CONF.format(
        dns=d_dns, nsd=NSD_ADDR, zone=ZONE))
    write(os.path.join(d_ngx, "nginx.conf"), NGINX_CONF.format(
        d=d_ngx, addr=POLICY_ADDR, cert=crt("wrong-name." + ZONE), key=key("leaf"),
        servers="".join(servers)))
    write(os.path.join(d_ngx, "connect-to"), "".join(c + "\n" for c in connect_to))
    for t in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        mkdir(os.path.join(d_ngx, "tmp", t))
    mkdir(os.path.join(rundir, "tlsrpt"))

    conf, hosts = [], []
    for name, host, addr, kind in MX:
        c, k = {"good": (crt(MX_HOST[name]), key("leaf")),
                "tls11": (crt(MX_HOST[name]), key("leaf")),
                "dane": (crt(MX_HOST[name]), key("dane")),
                "wrongname": (crt("wrong-name." + ZONE), key("leaf")),
                "expired": (crt("expired"), key("leaf")),
                "selfsigned": (crt("selfsigned"), key("selfsigned")),
                "none": ("", "")}[kind]
        tls = {"none": "none", "tls11": "tls11"}.get(kind, "modern")
        conf.append({"name": name, "hostname": MX_HOST[name], "addr": addr, "port": 25,
                     "tls": tls, "cert": c, "key": k})
        hosts.append("%s %s %s %s\n" % (name, MX_HOST[name], addr, kind))
        mkdir(os.path.join(d_mx, name))
    tlsrpt = {"addr": TLSRPT_ADDR, "port": 443, "cert": crt("tlsrpt." + ZONE),
              "key": key("leaf"), "outdir": os.path.join(rundir, "tlsrpt")}
    write(os.path.join(d_mx, "servers.json"),
          json.dumps({"mx": conf, "tlsrpt": tlsrpt}, indent=1) + "\n")
    write(os.path.join(d_mx, "hosts"), "".join(hosts))

    v = ["ZONE=" + ZONE, "NSD_ADDR=" + NSD_ADDR, "RESOLVER_ADDR=" + RESOLVER_ADDR,
         "POLICY_ADDR=" + POLICY_ADDR, "POLICY_TLS11_ADDR=" + POLICY_TLS11_ADDR,
         "TLSRPT_ADDR=" + TLSRPT_ADDR, "REFUSED_ADDR=" + REFUSED_ADDR,
         "RUA_HTTPS=" + RUA_HTTPS, "REPORT_RCPT=" + RUA_MAILTO[len("mailto:"):],
         "CONNECT_TO='%s'" % " ".join(connect_to),
         "MX_TABLE=(%s)" % " ".join("'%s %s %s %s'" % (n, MX_HOST[n], a, k) for n, _, a, k in MX),
         "ADDRS='%s'" % " ".join([NSD_ADDR, POLICY_ADDR, POLICY_TLS11_ADDR, TLSRPT_ADDR] + [m[2] for m in MX])]
    write(os.path.join(rundir, "world.vars"), "\n".join(v) + "\n")


OPENSSL_CNF = """\
# `openssl ca -config THIS -extensions leaf_ext` with SAN=DNS:name in the
# environment issues more certificates from the world's test CA
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ leaf_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
[ ca ]
default_ca = testca
[ testca ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/issued
serial = $dir/serial
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
policy = pol_any
unique_subject = no
copy_extensions = none
[ pol_any ]
commonName = supplied
"""

NGX_SERVER = """\
server {{
    listen {addr}:443 ssl;
    server_name {host};
    ssl_certificate {cert};
    ssl_certificate_key {key};
    {extra}
    location = /.well-known/mta-sts.txt {{ {loc} }}
}}
"""

NGINX_CONF = """\
# nginx for the world's policy hosts: one server per host, chosen by SNI
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    types {{ }}
    default_type text/plain;
    charset off;
    server_tokens off;
    keepalive_timeout 5;
    ssl_protocols TLSv1.2 TLSv1.3;
    server {{
        listen {addr}:443 ssl default_server;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        return 421;
    }}
{servers}}}
"""

NSD_CONF = """\
server:
    ip-address: {addr}@53
    do-ip6: no
    username: ""
    chroot: ""
    database: ""
    zonesdir: "{d}"
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    pidfile: "{d}/nsd.pid"
    logfile: "{d}/nsd.log"
    server-count: 1
    verbosity: 1
    hide-version: yes
remote-control:
    control-enable: yes
    control-interface: "{d}/nsd-control.sock"
zone:
    name: "{zone}"
    zonefile: "{zone}/zone.signed"
zone:
    name: "child.{zone}"
    zonefile: "child.{zone}/zone.signed"
zone:
    name: "insecure.{zone}"
    zonefile: "insecure.{zone}/zone.signed"
"""

UNBOUND_CONF = """\
# the namespace's validating resolver (/etc/netns/<ns>/resolv.conf)
server:
    interface: {addr}
    port: 53
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "{d}"
    pidfile: "{d}/unbound.pid"
    use-syslog: no
    logfile: "{d}/unbound.log"
    verbosity: 1
    val-log-level: 2
    num-threads: 1
    # small: starts faster on a loaded machine
    outgoing-range: 64
    num-queries-per-thread: 32
    msg-cache-size: 1m
    rrset-cache-size: 1m
    key-cache-size: 1m
    neg-cache-size: 256k
    so-reuseport: no
    module-config: "validator iterator"
    do-not-query-localhost: no
    local-zone: "test." nodefault
    trust-anchor-file: "{dns}/trust-anchor.ds"
    cache-max-ttl: 60
    cache-max-negative-ttl: 1
remote-control:
    control-enable: yes
    control-interface: "{d}/control.sock"
    control-use-cert: no
stub-zone:
    name: "{zone}."
    stub-addr: {nsd}@53
"""

LIBUNBOUND_CONF = """\
# libunbound configuration for the test world (ub_ctx_config): queries go
# straight to the world's NSD, answers are validated with its trust anchor.
server:
    do-not-query-localhost: no
    local-zone: "test." nodefault
    trust-anchor-file: "{dns}/trust-anchor.ds"
stub-zone:
    name: "{zone}."
    stub-addr: {nsd}@53
"""

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gen.py RUNDIR")
    main(sys.argv[1])
