#!/usr/bin/python3
# NAME
#	peer.py - run postfix-mta-sts-resolver with a warm cache, offline
# SYNOPSIS
#	peer.py config SOCKET CACHE_DB > mta-sts-daemon.yml
#	peer.py seed-sqlite CACHE_DB DOMAIN_FILE
#	peer.py run-internal CONFIG DOMAIN_FILE
# DESCRIPTION
#	The benchmark's peer is Debian's postfix-mta-sts-resolver
#	(mta-sts-daemon), answering Postfix socketmap lookups. To compare
#	cached lookups it must hold the same domains as mtastsd, without
#	ever touching the network, so its cache is filled here through its
#	own cache classes (postfix_mta_sts_resolver.sqlite_cache and
#	.internal_cache), with entries exactly as its resolver stores them:
#	CacheEntry(ts, pol_id, pol_body) with the policy parsed into a dict.
#
#	config prints a configuration for a Unix socket and the sqlite
#	cache (Debian's default backend). cache_grace is set to a year:
#	the peer re-resolves an entry inline once it is older than
#	cache_grace (default 60 s), and the benchmark measures cached
#	answers, never DNS; the entries are stamped "now".
#
#	seed-sqlite fills the sqlite cache file that stock mta-sts-daemon
#	then serves unmodified.
#
#	run-internal runs mta-sts-daemon's own main() with its in-memory
#	LRU cache ("type: internal") filled before it starts serving: the
#	peer's fastest configuration, which cannot be filled from outside.
#
#	The policy of domain D is enforce, max_age 604800, mx mx1.D and
#	mx2.D: the same synthetic policy bench/run.sh gives mtastsd.
import asyncio
import sys
import time

from postfix_mta_sts_resolver import daemon, utils
from postfix_mta_sts_resolver.base_cache import CacheEntry
from postfix_mta_sts_resolver.internal_cache import InternalLRUCache
from postfix_mta_sts_resolver.sqlite_cache import SqliteCache

MAX_AGE = 604800
POLICY_ID = "20240101T000000"


def domains(path):
    """the domains of a file: one per line, blank lines and # comments skipped"""
    with open(path, encoding="ascii") as fp:
        for line in fp:
            name = line.split("#", 1)[0].strip()
            if name:
                yield name


def entry(domain, now):
    """the cache entry the peer's resolver would have stored for domain"""
    body = {"version": "STSv1", "mode": "enforce", "max_age": MAX_AGE,
            "mx": ["mx1." + domain, "mx2." + domain]}
    return CacheEntry(now, POLICY_ID, body)


def config(sock, cache_db):
    """a configuration: Unix socket, sqlite cache, no network-triggering staleness"""
    print(f"""path: "{sock}"
shutdown_timeout: 1
cache_grace: 31536000
proactive_policy_fetching:
  enabled: false
default_zone:
  strict_testing: false
  timeout: 4
cache:
  type: sqlite
  options:
    filename: "{cache_db}"
""")


async def seed_sqlite(cache_db, path):
    """store every domain's entry in the sqlite cache"""
    cache = SqliteCache(cache_db)
    await cache.setup()
    now = int(time.time())
    n = 0
    for d in domains(path):
        await cache.set(d, entry(d, now))
        n += 1
    await cache.teardown()
    print(f"peer.py: {n} policies in {cache_db}", file=sys.stderr)


def run_internal(cfg_path, path):
    """mta-sts-daemon's main() with a pre-filled internal cache"""
    names = list(domains(path))
    now = int(time.time())

    def create_cache(kind, options):
        cache = InternalLRUCache(max(len(names), 1))
        for d in names:
            cache._cache[d] = entry(d, now)  # pylint: disable=protected-access
        return cache

    utils.create_cache = create_cache
    sys.argv = ["mta-sts-daemon", "-c", cfg_path, "-v", "warn"]
    daemon.main()


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "config":
        config(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "seed-sqlite":
        asyncio.run(seed_sqlite(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "run-internal":
        run_internal(sys.argv[2], sys.argv[3])
    else:
        print(__doc__ or "usage: peer.py config|seed-sqlite|run-internal ...", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
