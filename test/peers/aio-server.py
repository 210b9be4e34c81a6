#!/usr/bin/python3
"""Independent SMTP test server on Debian's aiosmtpd (python3-aiosmtpd 1.4.3).

Usage: /usr/bin/python3 aio-server.py PORT [--host ADDR] [--tls CERT KEY] [--auth USER:PASS] [--dump DIR]
                                      [--stats FILE] [--defer-file FILE]

Per-recipient scripted replies (lets a test drive one message into mixed outcomes):
  rcpt local part starting with  'hard'  -> 550 5.1.1
                                 'soft'  -> 451 4.3.0
                                 'slow'  -> 250 after 2 s
Message containing 'X-Reject-Data: 5' -> 554 at end of DATA; 'X-Reject-Data: 4' -> 452.
--stats FILE: after every connect and disconnect, FILE holds JSON {connections, current, max_concurrent,
  opened: [epoch seconds of each connect], mails: [epoch seconds of each MAIL FROM accepted]}.
--defer-file FILE: while FILE exists, MAIL FROM is answered with its first line (e.g. a provider's
  "421 4.7.0 [TS01] ..."), so a test can make the MX defer and heal without a restart.
Stops on SIGTERM/SIGINT.
"""
import asyncio, json, os, signal, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

args = sys.argv[1:]
port = int(args.pop(0))
tls_ctx = None; creds = None; dump = None; host = '127.0.0.1'; stats_file = None; defer_file = None
while args:
    a = args.pop(0)
    if a == '--tls':
        cert, key = args.pop(0), args.pop(0)
        tls_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_ctx.load_cert_chain(cert, key)
    elif a == '--auth':
        u, p = args.pop(0).split(':', 1); creds = (u.encode(), p.encode())
    elif a == '--host':
        host = args.pop(0)
    elif a == '--dump':
        dump = args.pop(0); os.makedirs(dump, exist_ok=True)
    elif a == '--stats':
        stats_file = args.pop(0)
    elif a == '--defer-file':
        defer_file = args.pop(0)

stats = {'connections': 0, 'current': 0, 'max_concurrent': 0, 'opened': [], 'mails': []}

def write_stats():
    if stats_file:
        tmp = stats_file + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(stats, f)
        os.replace(tmp, stats_file)

count = 0

class CountingSMTP(SMTP):
    """Counts connections as the MX sees them (for connection limits, suspensions, rates)."""
    def connection_made(self, transport):
        stats['connections'] += 1; stats['current'] += 1
        stats['max_concurrent'] = max(stats['max_concurrent'], stats['current'])
        stats['opened'].append(time.time()); write_stats()
        super().connection_made(transport)

    def connection_lost(self, exc):
        stats['current'] -= 1; write_stats()
        super().connection_lost(exc)

class Handler:
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if defer_file and os.path.exists(defer_file):
            with open(defer_file) as f:
                return f.readline().strip()
        stats['mails'].append(time.time()); write_stats()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return '250 OK'

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        lp = address.split('@')[0].lower()
        if lp.startswith('hard'):
            return '550 5.1.1 <%s>: user unknown' % address
        if lp.startswith('soft'):
            return '451 4.3.0 <%s>: try later' % address
        if lp.startswith('slow'):
            await asyncio.sleep(2)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return '250 2.1.5 OK'

    async def handle_DATA(self, server, session, envelope):
        global count
        body = envelope.original_content or envelope.content
        if b'X-Reject-Data: 5' in body:
            return '554 5.7.1 rejected by test'
        if b'X-Reject-Data: 4' in body:
            return '452 4.3.1 insufficient storage (test)'
        count += 1
        if dump:
            # Written under a dot name, then renamed: a reader never sees a half-written message.
            name = '%d.%d.eml' % (time.time_ns(), count)
            tmp = os.path.join(dump, '.' + name)
            with open(tmp, 'wb') as f:
                f.write(('X-Env-From: %s %s\r\nX-Env-To: %s\r\n' % (
                    envelope.mail_from, ' '.join(envelope.mail_options),
                    ' '.join(envelope.rcpt_tos))).encode())
                f.write(body)
            os.replace(tmp, os.path.join(dump, name))
        return '250 2.0.0 OK queued as %d' % count

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == creds
    return AuthResult(success=ok, handled=False)

kw = dict(hostname=host, port=port, enable_SMTPUTF8=True, decode_data=False)
if tls_ctx:
    kw.update(tls_context=tls_ctx, require_starttls=False)
if creds:
    kw.update(authenticator=authenticator, auth_require_tls=bool(tls_ctx))
else:
    kw.update(auth_exclude_mechanism=['LOGIN', 'PLAIN'])
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
class CountingController(Controller):
    def factory(self):
        return CountingSMTP(self.handler, **self.SMTP_kwargs)

ctl = CountingController(Handler(), server_hostname='aio.test', **kw)
write_stats()
ctl.start()
print('listening %s:%d pid %d' % (host, port, os.getpid()), flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
ctl.stop()
print('stopped; accepted %d messages' % count, flush=True)
