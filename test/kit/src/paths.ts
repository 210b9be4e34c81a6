import { fileURLToPath } from 'node:url';

/** test/peers (the peer scripts and the DNS zone), from test/kit/dist. */
export const PEERS_DIR = fileURLToPath(new URL('../../peers/', import.meta.url));
export const AIO_SERVER = `${PEERS_DIR}aio-server.py`;
export const DNS_ZONE = `${PEERS_DIR}dnsmasq-test-zone.conf`;
/** Debian's Exim daemon, unpacked by test/peers/install.sh (the exim4 package conflicts with postfix). */
export const EXIM = '/opt/petrel-peers/exim4/usr/sbin/exim4';
/** Debian's OpenSMTPD, unpacked by test/peers/install.sh (the opensmtpd package conflicts with postfix). */
export const OPENSMTPD = '/opt/petrel-peers/opensmtpd/usr/sbin/smtpd';
