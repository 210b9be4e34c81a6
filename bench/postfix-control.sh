#!/usr/bin/env bash
# Control run for bench/relay.mjs's Postfix figure. Copied from the project's shared peer recipe
# shared/peers/postfix-relay-bench.sh (written outside the Petrel code base, measured on these
# machines: see shared/peers/README.md), so that readers can check that relay.mjs does not handicap
# Postfix. Changes to the recipe, nothing else: the ports come from the environment (the machine is
# shared: fixed ports 2525/2526 may be taken), the work directory may be given (so that relay.mjs
# can check that the instance's processes are gone afterwards), and an optional 5th argument sets
# recipients per message (smtp-source -r), and the last line also says how many queue files were
# left when the wait for an empty queue gave up (left=, 0 for a complete run).
#
# Baseline: smtp-source -> Postfix relay (127.0.0.1:$RELAY_PORT) -> smtp-sink (127.0.0.1:$SINK_PORT).
# Prints relay throughput (messages fully delivered to the sink per second).
# usage: [SINK_PORT=2525 RELAY_PORT=2526 WORK_DIR=dir] postfix-control.sh MESSAGES SESSIONS SIZE [reuse|-] [RCPTS]
set -u
M=${1:-20000}; S=${2:-20}; L=${3:-1000}; REUSE=${4:-}; R=${5:-1}
[ "$REUSE" = - ] && REUSE=
SP=${SINK_PORT:-2525}; RP=${RELAY_PORT:-2526}
W=${WORK_DIR:-$(mktemp -d)}
chmod 755 $W; mkdir -p $W/etc $W/spool $W/data; chown postfix $W/data
cat > $W/etc/main.cf <<CF
compatibility_level = 3.6
queue_directory = $W/spool
data_directory = $W/data
mail_owner = postfix
setgid_group = postdrop
myhostname = pfx.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains = relay.test
transport_maps = inline:{ relay.test=smtp:[127.0.0.1]:$SP }
default_transport = error:outbound disabled in test
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
maillog_file = $W/data/maillog
maillog_file_prefixes = $(dirname "$W")
alias_maps =
alias_database =
default_destination_concurrency_limit = 20
CF
cp /etc/postfix/master.cf $W/etc/master.cf
sed -i "s/^smtp      inet.*/127.0.0.1:$RP inet n - n - - smtpd/" $W/etc/master.cf
grep -q "^127.0.0.1:$RP" $W/etc/master.cf || echo "127.0.0.1:$RP inet n - n - - smtpd" >> $W/etc/master.cf
smtp-sink -u nobody -c 127.0.0.1:$SP 1024 > $W/sink.out 2>&1 &
SINK=$!
script -qc "postfix -c $W/etc start" /dev/null >/dev/null 2>&1
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$RP) 2>/dev/null && break; sleep 0.2; done
t0=$(date +%s.%N)
smtp-source -s $S -m $M -l $L -r $R $REUSE -M test.local -f sender@test.local -t rcpt@relay.test 127.0.0.1:$RP
t1=$(date +%s.%N)
# wait until the queue is empty (at most 300 s)
for i in $(seq 3000); do
  n=$(find $W/spool/incoming $W/spool/active $W/spool/deferred $W/spool/maildrop -type f 2>/dev/null | wc -l)
  [ "$n" = 0 ] && break; sleep 0.1
done
t2=$(date +%s.%N)
dq=$(find $W/spool/deferred -type f 2>/dev/null | wc -l)
kill $(head -1 $W/spool/pid/master.pid) 2>/dev/null
sleep 1; kill $SINK 2>/dev/null; wait $SINK 2>/dev/null
tail -c 300 $W/sink.out | tr "\r" "\n" | tail -2
echo "postfix relay: M=$M S=$S L=$L R=$R $REUSE accept=$(echo "$M/($t1-$t0)"|bc) msg/s end-to-end=$(echo "$M/($t2-$t0)"|bc) msg/s deferred=$dq left=$n"
rm -rf $W
