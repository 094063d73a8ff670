# exim_lib.sh - a private mtastsd and sending Exims with the shipped MTA-STS
# configuration, inside the test world (source it after tests/lib.sh, with
# the world's exports in the environment; the t_exim_*.sh tests use it).
#
#   el_daemon_start [KEY=VALUE]...  start mtastsd -f in the world's namespace
#       (socket $EL_SOCK, state under $EL_TOP), configured for the world;
#       waits until it answers ping
#   el_daemon_stop                  SIGTERM, wait (SIGKILL if it lingers)
#   el_ask LINE                     one request on $EL_SOCK, prints the answer
#   el_fake_start NAME MODE         a fake daemon on $EL_TOP/NAME.sock that
#       answers every request with garbage (MODE=garbage), the status
#       tempfail (MODE=tempfail), never (MODE=silent), or "ok n=REQUESTS
#       conn=CONNECTIONS req=REQUEST" (MODE=echo; MODE=oneshot closes the
#       connection after each answer)
#   el_exim NAME KIND [MACRO=VALUE]...  a sending Exim: Debian's split
#       configuration (update-exim4.conf -d) from /etc/exim4/conf.d plus
#       packaging/exim/ as the guide says, in $EL_TOP/NAME. KIND is module
#       (the module-capable Exim and mtasts_lookup.so) or readsocket
#       (Debian's /usr/sbin/exim4). MACRO=VALUE lines go into
#       conf.d/main/000_localmacros (DC_SMARTHOST=HOST makes it a Debian
#       "smarthost" configuration, SPLIT=no an unsplit one, EXIM_SED=EXPR
#       edits the generated configuration with sed, RESOLVER=ADDR gives
#       that Exim a resolv.conf of its own naming ADDR).
#   el_send NAME TAG RCPT...        submit one message (sender TAG@sender...)
#       and deliver it at once (-odi); sets EL_ID to its message id
#   el_smtp NAME FROM RCPT...       one message over SMTP (exim -bs -odi,
#       so the rcpt and data ACLs run: cutthrough delivery, callouts),
#       FROM as envelope sender; EL_SMTP_ARGS adds exim options (-oMa ADDR:
#       as if from that host), EL_SMTP_HEADERS header lines; the session's
#       answers are in $EL_TOP/NAME/smtp.out, EL_ID is the message's id
#   el_retry NAME                   run the queue once, forcing (-qff)
#   el_log NAME                     the instance's main log
#   el_lines NAME ID                the main log lines of one message
#   el_mx_has SERVER RCPT           MX server SERVER stored a message for RCPT
#   el_mx_contacted SERVER SINCE    SERVER saw a connection after line SINCE
#                                   of its events.log (el_mx_mark SERVER)
#   el_retrydb NAME                 exim_dumpdb retry of the instance
# The EXIT trap stops every server started here and removes $EL_TOP.
: "${BUILD:=build}"
EL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case $BUILD in /*) EL_BUILD=$BUILD ;; *) EL_BUILD=$EL_REPO/$BUILD ;; esac
EL_TOP=$(mktemp -d /tmp/mtasts-exim-test.XXXXXX)
chmod 0755 "$EL_TOP"
# Exim rereads its configuration, and what that includes, after dropping to
# Debian-exim: a copy of packaging/exim/ it can read wherever the checkout
# lies (a clone in /root is closed to Debian-exim).
EL_PK=$EL_TOP/packaging-exim
cp -r "$EL_REPO/packaging/exim" "$EL_PK"
chmod -R a+rX "$EL_PK"
EL_SOCK=$EL_TOP/mtastsd.sock
EL_DPID=
EL_PIDS=()
EL_SENDER_DOMAIN=sender.example.test

# el_cleanup - stop what was started, remove the directory
el_cleanup() {
    local p
    el_daemon_stop >/dev/null 2>&1
    for p in "${EL_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${EL_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$EL_TOP"
}
trap el_cleanup EXIT

# el_need - fail the whole test at once when the world is missing something
el_need() {
    local v
    for v in WORLD_NETNS WORLD_EXIM_MODULES WORLD_EXIM_STOCK WORLD_EXIM_LOOKUP_MODULE_DIR \
             WORLD_UNBOUND_CONF WORLD_CA_FILE WORLD_MX_DIR; do
        if [ -z "${!v:-}" ]; then
            fail exim-test-world "the test world does not export $v"
            exit 1
        fi
    done
}
el_need

el_in() { ip netns exec "$WORLD_NETNS" "$@"; }

# el_ask - one request line on a socket (default $EL_SOCK); prints the answer
el_ask() { /usr/bin/python3 "$EL_REPO/tests/integration/mtclient.py" "${2:-$EL_SOCK}" "$1"; }

# el_daemon_conf - mtastsd.conf for the world (WORLD_MTASTSD_CONF when the
# world provides one, else built from the world's exports)
el_daemon_conf() {
    local f=$EL_TOP/mtastsd.conf
    if [ -n "${WORLD_MTASTSD_CONF:-}" ]; then
        cp "$WORLD_MTASTSD_CONF" "$f"
    else
        {
            echo "unbound_config = $WORLD_UNBOUND_CONF"
            [ -n "${WORLD_TRUST_ANCHOR:-}" ] && echo "trust_anchor_file = $WORLD_TRUST_ANCHOR"
            echo "ca_file = $WORLD_CA_FILE"
            if [ -n "${WORLD_CONNECT_TO_FILE:-}" ]; then
                sed 's/^/connect_to = /' "$WORLD_CONNECT_TO_FILE"
            fi
            echo "fetch_allow_address = 127.0.0.0/8"
        } > "$f"
    fi
    echo "$f"
}

# el_daemon_start - a private mtastsd for this test, in the world
el_daemon_start() {
    local conf args=() kv
    conf=$(el_daemon_conf)
    for kv in "$@"; do args+=(-o "$kv"); done
    mkdir -p "$EL_TOP/state"
    # not through el_in: a function run in the background is a subshell,
    # and $! would be that shell, not the daemon (el_daemon_stop would
    # leave the daemon running); ip netns exec execs the daemon itself
    ip netns exec "$WORLD_NETNS" "$EL_BUILD/mtastsd" -f -c "$conf" -o "socket=$EL_SOCK" \
        -o "socket_mode=0666" -o "state_dir=$EL_TOP/state" "${args[@]}" >>"$EL_TOP/mtastsd.log" 2>&1 &
    EL_DPID=$!
    for _ in $(seq 200); do
        if [ -S "$EL_SOCK" ] && el_ask ping 2>/dev/null | grep -q '^ok'; then
            return 0
        fi
        kill -0 "$EL_DPID" 2>/dev/null || break
        sleep 0.05
    done
    echo "mtastsd did not start:" >&2
    tail -n 20 "$EL_TOP/mtastsd.log" >&2
    return 1
}

# el_daemon_stop - stop the private mtastsd
el_daemon_stop() {
    [ -n "$EL_DPID" ] || return 0
    kill -TERM "$EL_DPID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$EL_DPID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$EL_DPID" 2>/dev/null
    wait "$EL_DPID" 2>/dev/null
    EL_DPID=
    rm -f "$EL_SOCK"
}

# el_fake_start - a fake daemon that answers badly (see the header)
el_fake_start() {
    local sock=$EL_TOP/$1.sock
    rm -f "$sock"
    /usr/bin/python3 - "$sock" "$2" >>"$EL_TOP/$1.log" 2>&1 <<'EOF' &
import os, socket, sys, threading, time
path, mode = sys.argv[1], sys.argv[2]
answers = {"garbage": b"HTTP/1.0 200 OK mode=enforce allowed=.*\n",
           "tempfail": b"tempfail reason=fake\n"}
count = {"req": 0, "conn": 0}
srv = socket.socket(socket.AF_UNIX)
srv.bind(path + ".tmp")
os.chmod(path + ".tmp", 0o666)
os.rename(path + ".tmp", path)
srv.listen(64)
def serve(c):
    f = c.makefile("rb")
    for line in f:
        count["req"] += 1
        if mode == "silent":
            time.sleep(3600)
        if mode in ("echo", "oneshot"):
            req = line.rstrip(b"\n").replace(b" ", b"_")
            c.sendall(b"ok n=%d conn=%d req=%s\n" % (count["req"], count["conn"], req))
            if mode == "oneshot":
                break
        else:
            c.sendall(answers[mode])
    c.close()
while True:
    c, _ = srv.accept()
    count["conn"] += 1
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
    EL_PIDS+=($!)
    for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
    return 1
}

# el_exim - a sending Exim with Debian's configuration and ours (header)
el_exim() {
    local name=$1 kind=$2 d=$EL_TOP/$1 exim split=true smarthost="" kv ask sedx=()
    shift 2
    case $kind in
        module) exim=$WORLD_EXIM_MODULES; ask=mtasts-ask-module.conf
                install -m 0644 "$EL_BUILD/mtasts_lookup.so" "$WORLD_EXIM_LOOKUP_MODULE_DIR/" ;;
        readsocket) exim=$WORLD_EXIM_STOCK; ask=mtasts-ask-readsocket.conf ;;
        *) echo "el_exim: unknown kind $kind" >&2; return 1 ;;
    esac
    rm -rf "$d"
    mkdir -p "$d/etc" "$d/spool" "$d/log"
    cp -r /etc/exim4/conf.d /etc/exim4/exim4.conf.template "$d/etc/"
    chown -R Debian-exim:Debian-exim "$d/spool" "$d/log"
    chmod 0755 "$d" "$d/etc"
    local macros=$d/etc/conf.d/main/000_localmacros
    local -A mv=([SPOOLDIR]="$d/spool" [MAIN_HARDCODE_PRIMARY_HOSTNAME]="$EL_SENDER_DOMAIN"
        [ROUTER_DNSLOOKUP_IGNORE_TARGET_HOSTS]="<; 0.0.0.0 ; 255.255.255.255"
        [MTASTS_SOCKET]="$EL_SOCK" [MTASTS_CA_CERTIFICATES]="$WORLD_CA_FILE")
    local order=(SPOOLDIR MAIN_HARDCODE_PRIMARY_HOSTNAME ROUTER_DNSLOOKUP_IGNORE_TARGET_HOSTS
        MTASTS_SOCKET MTASTS_CA_CERTIFICATES)
    for kv in "$@"; do
        case $kv in
            SPLIT=no) split=false ;;
            DC_SMARTHOST=*) smarthost=${kv#DC_SMARTHOST=} ;;
            EXIM_SED=*) sedx+=(-e "${kv#EXIM_SED=}") ;;
            RESOLVER=*) printf 'nameserver %s\noptions edns0 trust-ad\n' "${kv#RESOLVER=}" > "$d/resolv.conf" ;;
            *) [ -n "${mv[${kv%%=*}]+x}" ] || order+=("${kv%%=*}"); mv[${kv%%=*}]=${kv#*=} ;;
        esac
    done
    {
        echo "# the test's settings (the guide's /etc/exim4/exim4.conf.localmacros)"
        for kv in "${order[@]}"; do echo "$kv = ${mv[$kv]}"; done
        echo "log_file_path = $d/log/%slog"
    } > "$macros"
    cat > "$d/etc/update-exim4.conf.conf" <<EOF
dc_eximconfig_configtype='$( [ -n "$smarthost" ] && echo smarthost || echo internet)'
dc_other_hostnames='$EL_SENDER_DOMAIN'
dc_local_interfaces='127.0.0.1'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets=''
dc_smarthost='$smarthost'
CFILEMODE='644'
dc_use_split_config='$split'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
EOF
    local pk=$EL_PK
    if [ "$split" = true ]; then
        # as README.md's "Debian, split configuration" says
        cat "$pk/mtasts-main.conf" "$pk/$ask" > "$d/etc/conf.d/main/05_mtasts"
        if [ -n "$smarthost" ]; then
            cp "$pk/mtasts-routers-smarthost.conf" "$d/etc/conf.d/router/190_mtasts"
        else
            cp "$pk/mtasts-routers.conf" "$d/etc/conf.d/router/190_mtasts"
        fi
        cp "$pk/mtasts-transports.conf" "$d/etc/conf.d/transport/40_mtasts"
        cp "$pk/mtasts-retry.conf" "$d/etc/conf.d/retry/25_mtasts"
    else
        # README.md's "Debian, unsplit configuration": .include lines
        el_unsplit "$d" "$pk" "$ask" "$smarthost"
    fi
    update-exim4.conf -d "$d/etc" -o "$d/exim4.conf" >"$d/update.log" 2>&1 || {
        cat "$d/update.log" >&2; return 1; }
    # Debian sets exim_path = /usr/sbin/exim4; the module-capable binary
    # must re-execute itself (continued connections), not the stock one.
    sed -i -e "s|^exim_path = .*|exim_path = $exim|" "${sedx[@]}" "$d/exim4.conf"
    echo "$exim" > "$d/exim-binary"
    el_in "$exim" -C "$d/exim4.conf" -bV >"$d/bV.log" 2>&1 || { cat "$d/bV.log" >&2; return 1; }
}

# el_unsplit - the unsplit template with the guide's .include lines
el_unsplit() {
    local d=$1 pk=$2 ask=$3 smarthost=$4 t=$1/etc/exim4.conf.template routers
    routers=$pk/mtasts-routers.conf
    [ -n "$smarthost" ] && routers=$pk/mtasts-routers-smarthost.conf
    cat "$d/etc/conf.d/main/000_localmacros" > "$t.new"
    /usr/bin/python3 - "$t" "$pk" "$ask" "$routers" >>"$t.new" <<'EOF'
import sys
t, pk, ask, routers = sys.argv[1:]
out = []
for line in open(t):
    s = line.strip()
    if s == "begin acl":
        out.append(".include %s/mtasts-main.conf\n.include %s/%s\n" % (pk, pk, ask))
    out.append(line)
    if s == "begin routers":
        out.append(".include %s\n" % routers)
    elif s == "begin transports":
        out.append(".include %s/mtasts-transports.conf\n" % pk)
    elif s == "begin retry":
        out.append(".include %s/mtasts-retry.conf\n" % pk)
sys.stdout.write("".join(out))
EOF
    mv "$t.new" "$t"
}

el_bin() { cat "$EL_TOP/$1/exim-binary"; }

# el_run NAME ARGS... - the instance's Exim with its configuration, in the
# world (under its own resolv.conf when it has one)
el_run() {
    local d=$EL_TOP/$1 exim
    exim=$(el_bin "$1")
    shift
    if [ -f "$d/resolv.conf" ]; then
        el_in unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
            "$d/resolv.conf" "$exim" -C "$d/exim4.conf" "$@"
    else
        el_in "$exim" -C "$d/exim4.conf" "$@"
    fi
}

# el_send - submit and deliver one message now; EL_ID is its id
el_send() {
    local name=$1 tag=$2 d=$EL_TOP/$1 exim
    shift 2
    exim=$(el_bin "$name")
    printf 'From: %s@%s\nTo: %s\nSubject: exim-mtasts test %s\n\nmessage %s\n' \
        "$tag" "$EL_SENDER_DOMAIN" "$*" "$tag" "$tag" |
        el_run "$name" -odi -f "$tag@$EL_SENDER_DOMAIN" "$@" 2>>"$d/send.err"
    EL_ID=$(sed -n "s/^.* \([0-9A-Za-z]\{6\}-[0-9A-Za-z]\{6\}-[0-9A-Za-z]\{2\}\) <= $tag@$EL_SENDER_DOMAIN .*/\1/p" \
        "$d/log/mainlog" | tail -n 1)
    [ -n "$EL_ID" ]
}

# el_smtp - one message over SMTP on exim -bs (see the header)
el_smtp() {
    local name=$1 from=$2 d=$EL_TOP/$1 r
    shift 2
    {
        printf 'EHLO client.example.test\r\nMAIL FROM:<%s>\r\n' "$from"
        for r; do printf 'RCPT TO:<%s>\r\n' "$r"; done
        printf 'DATA\r\nFrom: %s\r\nTo: %s\r\nSubject: exim-mtasts test over SMTP\r\n' "$from" "$1"
        [ -n "${EL_SMTP_HEADERS:-}" ] && printf '%s\r\n' "$EL_SMTP_HEADERS"
        printf '\r\nmessage over SMTP\r\n.\r\nQUIT\r\n'
    } | el_run "$name" -bs -odi ${EL_SMTP_ARGS:-} > "$d/smtp.out" 2>>"$d/send.err"
    EL_ID=$(sed -n 's/^250 OK id=\([0-9A-Za-z-]*\).*/\1/p' "$d/smtp.out" | tr -d '\r' | tail -n 1)
    [ -n "$EL_ID" ]
}

el_retry() {
    local d=$EL_TOP/$1
    el_run "$1" -qff 2>>"$d/send.err"
}

el_log() { cat "$EL_TOP/$1/log/mainlog" 2>/dev/null; }
el_lines() { grep -F " $2 " "$EL_TOP/$1/log/mainlog" 2>/dev/null; }

el_mx_has() {
    grep -lF "\"$2\"" "$WORLD_MX_DIR/$1"/*.json >/dev/null 2>&1
}
el_mx_mark() { { wc -l < "$WORLD_MX_DIR/$1/events.log"; } 2>/dev/null || echo 0; }
# (mxd.py's lines are "TIME connect PEER", "TIME starttls ...", "TIME message N")
el_mx_contacted() {
    tail -n +"$(( $2 + 1 ))" "$WORLD_MX_DIR/$1/events.log" 2>/dev/null | grep -qE '^([0-9.]+ )?connect '
}

el_retrydb() {
    local d=$EL_TOP/$1 dump
    dump=$(dirname "$(el_bin "$1")")/exim_dumpdb
    [ -x "$dump" ] || dump=/usr/sbin/exim_dumpdb
    "$dump" "$d/spool" retry 2>/dev/null
}
