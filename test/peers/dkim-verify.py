"""Verifies every DKIM-Signature of a message with Debian's python3-dkim (dkimpy, the library behind
dkimverify), answering its key lookups from a JSON file instead of DNS (tests never use the system
resolver).

Usage: /usr/bin/python3 dkim-verify.py RECORDS.json MESSAGE.eml
RECORDS.json maps "selector._domainkey.domain" to the TXT record text.
Prints a JSON list with one true/false per signature, top to bottom.
"""
import json
import sys

import dkim

records = json.load(open(sys.argv[1]))
message = open(sys.argv[2], 'rb').read()


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode('ascii')
    return records.get(name.rstrip('.').lower())


d = dkim.DKIM(message)
count = sum(1 for k, _ in d.headers if k.lower() == b'dkim-signature')
out = []
for idx in range(count):
    try:
        out.append(bool(d.verify(idx=idx, dnsfunc=dnsfunc)))
    except dkim.DKIMException as e:
        sys.stderr.write('signature %d: %s\n' % (idx, e))
        out.append(False)
print(json.dumps(out))
