// Phrasings no single corpus row holds: each test states one general behaviour of the shipped rules
// (config/bounce-rules.toml) with replies written for it, so a rule that only knows the corpus's
// exact words fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stage } from '@petrel/core';
import { Classifier } from './classifier.js';

const c = Classifier.load();
const check = (cases: readonly (readonly [string, number])[]): void => {
  const wrong = cases
    .map(([reply, want]) => ({ reply, want, got: c.classify(reply) }))
    .filter((x) => x.got.code !== x.want)
    .map((x) => `${x.reply} → ${x.got.code} (${x.got.rule}), want ${x.want}`);
  assert.deepEqual(wrong, []);
};

test('relaying refused in other words is 54: a relay word beside a refusal, in either order', () => {
  check([
    ['550 Relaying is prohibited', 54],
    ['550 5.7.1 Relaying to <jane@example.org> prohibited by administrator', 54],
    ['550 Relay from your addr 192.0.2.1 is denied', 54],
    ['550 5.7.1 Relay through this server is not allowed', 54],
    ['550 Denied relay', 54],
    ['550 5.7.1 No relay', 54],
    ["550 we don't relay", 54],
    ['550 5.7.1 This server is not an open relay', 54],
    ['530 5.7.1 Authentication required for relay', 54],
    ['550 You must be authenticated to relay', 54],
    ['550 Relay-Zugriff verweigert', 54],
    ['550 Relay no permitido', 54],
    // a relay word that is no refusal of relaying keeps its meaning
    ['550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown in relay recipient table', 10],
    [
      "550 5.7.1 The IP you're using to send mail is not authorized to send email directly to our servers. Please use the SMTP relay at your service provider instead.",
      50,
    ],
    ['450 4.7.1 Relaying temporarily denied', 70],
  ]);
});

test("Outlook.com's documented OU-, SC- and DY-00x codes are a reputation block (51)", () => {
  check([
    ['550 OU-001 Mail rejected by Windows Live Hotmail for policy reasons.', 51],
    ['550 SC-003 Mail rejected by Outlook.com for policy reasons.', 51],
    ['550 DY-002 Mail rejected for policy reasons.', 51],
  ]);
});

test('an x.2.2 code with words about the mailbox is a full mailbox, whatever size words it uses', () => {
  check([
    ['452 4.2.2 Mailbox over the size limit', 22],
    ['552 5.2.2 Mailbox size exceeds the storage limit', 22],
    // without x.2.2 the size words still mean the message
    ['552 5.3.4 Message size exceeds fixed maximum message size', 23],
  ]);
});

test('a full mailbox and a message too large in more words', () => {
  check([
    ['552 Mailbox has exceeded the limit', 22],
    ["550 Recipient's mailbox is overfull", 22],
    ['550 Mailbox is overloaded', 22],
    ['552 This user has exceeded the mailbox limit', 22],
    ['552 Quota exceed the hard limit', 22],
    ['452 User has too many messages on the server', 22],
    ['552 Quota des Empfängers überschritten', 22],
    ['552 La boîte aux lettres du destinataire est pleine', 22],
    ['552 Превышен размер почтового ящика', 22],
    ['552 message exceeds 10485760 bytes', 23],
    ['552 Too many bytes in message', 23],
    ['552 5.3.4 Oversized message', 23],
    // a sending quota is no full mailbox
    ['550 Daily sending quota exceeded', 70],
    ['421 Too many messages from your IP, slow down', 70],
  ]);
});

test('the sender: a sender domain that does not exist and a refused MAIL FROM are 25; a recipient domain stays 21', () => {
  check([
    ['550 5.7.1 Sender domain does not exist', 25],
    ['550 Mail from address rejected', 25],
    ['550 message sending for this account is disabled', 25],
    ['550 Domain does not exist', 21],
    ['554 Unknown domain example.invalid', 21],
  ]);
});

test('a text without reply code that says the connection failed is 70, not a policy refusal', () => {
  check([
    ["Can't connect to mx.example.com", 70],
    [
      'Delivery to the following recipient failed permanently: The recipient server did not accept our requests to connect. [example.com. (10): Connection refused]',
      70,
    ],
    ['Unable to connect to mx.example.com: No route to host', 70],
    // a connection that kept failing until the message expired is a timeout
    [
      'jane@example.com... Deferred: Connection refused by mx.example.com. Message could not be delivered for 5 days',
      24,
    ],
  ]);
});

test('an unknown recipient in German, French, Spanish, Portuguese, Italian, Russian, Japanese and Chinese words', () => {
  check([
    ['550 Postfach nicht vorhanden', 10],
    ['550 Benutzer nicht gefunden', 10],
    ['550 Adresse nicht gefunden', 10],
    ['550 Boîte aux lettres introuvable', 10],
    ['550 Adresse invalide', 10],
    ['550 Buzón no encontrado', 10],
    ['550 Caixa postal não encontrada', 10],
    ["550 L'indirizzo non esiste", 10],
    ['550 Неизвестный получатель', 10],
    ['550 該当するユーザーがいません', 10],
    ['550 無此用戶', 10],
    ['550 收件人地址不存在', 10],
    // blocklists in other words are the source's reputation
    ['554 Votre adresse IP est sur liste noire', 51],
    ['554 Indirizzo IP in lista nera', 51],
  ]);
});

test('too many unknown recipients is a dictionary attack (51), not an unknown recipient', () => {
  check([
    ['550 Excessive userid unknowns', 51],
    ['550 Too many invalid recipients from your host', 51],
    ['550 High rate of unknown users from 192.0.2.1', 51],
  ]);
});

test('a recipient that is not a user of the server or fails verification is 10', () => {
  check([
    ['550 not user of this server', 10],
    ['550 Recipient verification problem', 10],
    ['550 unavailable mail user', 10],
  ]);
});

test('more words for a recipient that is gone, and a lookup that failed for the recipient rather than the domain', () => {
  check([
    ['550 email does not exist', 10],
    ['550 employee no longer with the company', 10],
    ['550 Recipient lookup failed', 10],
    ['Diagnostic-Code: X-Notes; User jane (jane@example.com) not listed in public Name & Address Book', 10],
    // a host lookup that failed stays a DNS failure
    ['550 Host lookup failed', 21],
    ['all host address lookups failed permanently', 21],
  ]);
});

test('a spam score is content (52); a suspected spam source is the source (51)', () => {
  check([
    ['550 Message scored too high', 52],
    ['550 Suspected spam message', 52],
    ['550 Suspected spam ip, please try later', 51],
  ]);
});

test('a bounce text that says the host or domain cannot be found or resolved is 21, with or without a code', () => {
  check([
    ['Host or domain name not found', 21],
    ['<jane@example.invalid>: Host or domain name not found. Name service error for name=example.invalid type=MX', 21],
    ['Unable to resolve the domain example.invalid', 21],
    ["Couldn't resolve MX for example.invalid", 21],
  ]);
});

test('a full mailbox and a directory miss in Spanish, Portuguese and Italian words', () => {
  check([
    ['552 Correo lleno', 22],
    ['552 La casilla del destinatario excedió el límite', 22],
    ['552 A caixa de correio ultrapassou a cota', 22],
    ['552 La casella ha superato il limite', 22],
    ['550 jane no se encuentra en el directorio', 10],
  ]);
});

test('the sender in more words: an unverifiable sender, a sender domain without MX, a From that does not match (25)', () => {
  check([
    ['553 Unable to verify sender address', 25],
    ["550 Sender's domain does not have MX record", 25],
    ['550 Sender domain has no MX', 25],
    ['550 From address does not match authenticated user', 25],
  ]);
});

test('a delivery that ran out of attempts or time is a timeout (24)', () => {
  check([
    ['Maximum delivery attempts reached', 24],
    ['Delivery attempts exhausted', 24],
    ['Could not deliver message in the time limit specified.', 24],
    ['Retries exceeded for jane@example.com', 24],
  ]);
});

test('the receiving server rejecting the message names no failing sender network; a challenge to prove one is human is 100', () => {
  check([
    ['554 Mail server permanently rejected message (#5.3.0)', 40],
    ['550 Your server was rejected', 50],
    ['Please confirm your address to deliver your message: click the link to verify you are human.', 100],
  ]);
});

test('RFC 3463 X.1.1 / X.1.10 name the recipient: a generic refusal in the text does not make them a block', () => {
  check([
    ['550 5.1.1 <jane@example.com>: Recipient address rejected: Access denied', 10],
    ['550 5.1.1 <jane@example.com>... Rejected', 10],
    ['556 5.1.10 <jane@example.com>: Recipient address rejected: refused by the domain', 10],
    // what names a blocklist, spam, relaying, the sender or a policy keeps its own class
    ['550 5.1.1 Client host [192.0.2.1] blocked using zen.spamhaus.org', 51],
    ['550 5.1.1 <jane@example.com>: Relay access denied', 54],
    ['550 5.1.1 Sender address rejected: Domain not found', 25],
    ['552 5.1.1 <jane@example.com> Mailbox delivery restricted by policy error', 50],
  ]);
});

test("Gmail's 'address couldn't be found' bounce text is 10; an Exchange list of failed recipients with no reason is 40", () => {
  check([
    [
      "Your message wasn't delivered to jane@example.com because the address couldn't be found, or is unable to receive mail.",
      10,
    ],
    ['Delivery to the following recipients failed.\n\n       jane@example.com', 40],
  ]);
});

test("AOL's documented codes: RTR/RLY/DYN reputation 51, RLY:SN and DNS 50, HVU content 52, CON thresholds 70; a 4xx stays Soft", () => {
  check([
    ['554 (RTR:GE) http://postmaster.info.aol.com/errors/554rtrge.html', 51],
    ['554 5.7.1 :(RLY:OB) http://postmaster.info.aol.com/errors/554rlyob.html', 51],
    ['554 (DYN:T2) http://postmaster.info.aol.com/errors/554dynt2.html', 51],
    ['554 5.7.1 :(RLY:SN) http://postmaster.info.aol.com/errors/554rlysn.html', 50],
    ['554 5.7.1 :(DNS:P1) http://postmaster.info.aol.com/errors/554dnsp1.html', 50],
    ['554 5.7.1 :(HVU:B2) http://postmaster.info.aol.com/errors/554hvub2.html', 52],
    ['554 5.7.1 :(CON:B2) http://postmaster.info.aol.com/errors/554conb2.html', 70],
    ['421 4.7.1 :(RTR:BL) http://postmaster.info.aol.com/errors/421rtrbl.html', 70],
    // a blocklist named in the plural
    ['554 5.7.1 mx.example.net 192.0.2.1 found on one or more RBLs', 51],
  ]);
});

test('too many messages held in the mailbox and a disk with no space left are a full mailbox (22), not a sending limit', () => {
  check([
    ['452 Too many messages in this mailbox', 22],
    ['552 Too many messages on your mailbox', 22],
    ['552 Recipient is over the maximum number of messages', 22],
    ['cannot append message to /var/mail/jane: No space left on device', 22],
    ['451 write error errno=28', 22],
    // messages per connection or per hour stay a sending limit
    ['421 Too many messages in this connection', 70],
    ['550 Maximum number of messages per hour exceeded', 70],
  ]);
});

test('terse texts of small servers: a few words still carry the meaning', () => {
  check([
    ['550 ip denied', 51],
    ['554 deny ip', 51],
    ['554 ip refused', 51],
    ['550 helo error', 50],
    ['553 from address invalid', 25],
    ['553 invalid from', 25],
    ['553 bad from address', 25],
    ['550 no user', 10],
    ['552 space full', 22],
    ['552 quota full', 22],
    ['550 relay deny', 54],
    ['550 relay reject', 54],
    ['550 too frequent', 70],
    ['550 frequency limit', 70],
    ['550 send too fast', 70],
    ['550 rate exceeded', 70],
    // a HELO syntax error is the protocol (40), and "no user authentication" names no recipient
    ['501 Syntactically invalid HELO argument(s)', 40],
    ['530 5.7.0 No user authentication, please log in', 50],
  ]);
});

test('an address or mailbox that accepts no mail at all is 10; a server that accepts none from you is a block', () => {
  check([
    ['550 This address does not receive mail', 10],
    ['550 This address is not accepting mail', 10],
    ['550 This mailbox does not accept mail', 10],
    ['550 The server is not accepting mail', 50],
    ['550 This address does not accept mail from your domain', 50],
  ]);
});

test('more words for full, too large and a network blocked for spam', () => {
  check([
    ['552 Insufficient disk space for user', 22],
    ['552 Quota limit reached', 22],
    ['552 Message too long', 23],
    ['550 Mail from your network is blocked due to spam', 51],
    // a server short of disk space is transient, and so is a daily quota
    ['452 4.4.5 Insufficient disk space; try again later', 70],
    ['550 Daily quota limit reached', 70],
    ['500 Line too long', 40],
  ]);
});

test('a blocked IP, spam and a full mailbox in German, French, Spanish, Italian, Russian, Japanese and Chinese words', () => {
  check([
    ['554 Ihre IP-Adresse ist gesperrt', 51],
    ['554 Il tuo IP è bloccato', 51],
    ['554 Ваш IP-адрес заблокирован', 51],
    ['554 IPアドレスがブロックされています', 51],
    ['554 发信IP被禁止', 51],
    ['554 您的IP已被封禁', 51],
    ['554 Courriel indésirable refusé', 52],
    ['554 スパムと判定されました', 52],
    ['552 Das Postfach hat sein Speicherlimit erreicht', 22],
    ['552 Mailbox des Empfängers ist voll', 22],
    ['552 La casilla de correo está llena', 22],
    ['552 メールボックスが満杯です', 22],
    // a blocked account is still the recipient's
    ['550 Аккаунт заблокирован', 10],
  ]);
});

test('a relay host name is no refusal of relaying, and a sender address in other languages is the sender (25)', () => {
  check([
    ['550 Message from relay.example.com rejected: SPF fail', 50],
    ['550 relay-01.example.net denied: SPF fail', 50],
    ['550 Absenderadresse ungültig', 25],
    ['550 Dirección del remitente no válida', 25],
    ["550 Adresse de l'expéditeur invalide", 25],
    // the recipient's address in the same words stays 10
    ['550 Empfängeradresse ungültig', 10],
    ['550 Dirección del destinatario no válida', 10],
  ]);
});

test('terse filter texts: a spam list is a blocklist, a dynamic or generic HELO or rDNS name a dynamic IP (51)', () => {
  check([
    ['550 Your IP is on our spam list', 51],
    ['554 Rejected: sender found in spamlist', 51],
    ['550 5.7.1 Your HELO hostname looks dynamic', 51],
    ['554 Generic rDNS not accepted here', 51],
    ['550 Rejected: dynamic PTR record', 51],
    // spam words without a list keep meaning the content
    ['550 Message content rejected, unacceptable content', 52],
  ]);
});

test('a refused bounce (the null sender) is a refused sender (25), like "Null sender is not allowed"', () => {
  check([
    ['550 We do not accept bounces', 25],
    ['550 5.7.1 Bounces are not accepted for this address', 25],
    ['554 Bogus bounce rejected', 25],
    ['550 bounce without a DSN part', 25],
    // too many bounces from the sending IP stays a reputation block
    ['550 Too many bounces from your IP', 51],
  ]);
});

test('relaying, attachments, protocol and HELO in the words of smaller servers', () => {
  check([
    ['554 5.7.1 Attempt to use us as an open relay', 54],
    ['553 You tried to use this mail server as a relay without permission', 54],
    ['550 Disallowed content type: application/zip', 53],
    ['550 Encrypted archives are not accepted', 53],
    ['550 Password-protected archive rejected', 53],
    ['554 5.5.1 You talked before my greeting', 40],
    ['550 Pregreet traffic is not allowed', 40],
    ['550 Bad hostname in HELO', 50],
    ['550 Invalid domain name in EHLO', 50],
    // a 501 about the HELO argument is a syntax error (RFC 5321 §4.2.3)
    ['501 Invalid EHLO hostname', 40],
  ]);
});

test('a 4xx whose DNS lookup timed out is a transient failure (70), not a delivery timeout (24)', () => {
  check([
    ['451 4.3.0 DNS lookup timed out for your domain', 70],
    ['450 Timeout resolving your hostname', 70],
    ['451 4.4.1 Connection timed out', 24],
  ]);
});

test("a small server's own words: an inactive alias or list, a recipient not in its table, a disabled domain (10)", () => {
  check([
    ['550 Mailing list is not active', 10],
    ['550 Alias disabled', 10],
    ['550 User not in database', 10],
    ['550 Recipient not in local table', 10],
    ['550 This domain has been deactivated', 10],
    ['550 A valid e-mail address is required', 10],
    // a forwarding or alias loop is a routing loop (21), like x.4.6
    ['554 Forwarding loop detected', 21],
    ['550 Alias loop for jane@example.com', 21],
    // the sender's address or domain stays the sender's (25)
    ['550 Sender must be specified', 25],
    ['550 5.7.1 Sender domain does not have any A records', 25],
    // bare line feeds break the protocol (RFC 5321 §2.3.8)
    ['554 Bare linefeeds are not allowed', 40],
  ]);
});

test("the SPF project's explanation page in a refusal names an SPF failure (50), whatever code it carries", () => {
  check([
    ['550 5.7.1 Rejected: see http://www.openspf.net/Why?s=mfrom;id=jane@example.com;ip=192.0.2.1', 50],
    ['554 Please see http://www.openspf.org/why.html?sender=jane@example.com&ip=192.0.2.1', 50],
    ['550 4.7.23 Rejected, look at http://www.openspf.org/why.html?sender=a@example.com', 50],
    // a 4xx stays transient (RFC 5321 §4.2.1)
    ['450 4.7.1 Temporary SPF error, see http://www.openspf.net/Why', 70],
  ]);
});

test('a required header field missing or invalid is a policy block (50), like "not RFC 5322 compliant"', () => {
  check([
    ['550 The Date header is missing or invalid', 50],
    ['554 Message rejected: missing a valid Message-ID header', 50],
    ['550 5.7.1 Message lacks a From: header', 50],
    ['550 Sender header field is malformed; please comply with RFC 5322', 50],
    ['550 Rejected: messages must follow RFC 5322', 50],
    // a header error without more, a 5.6.x media code and a header too long keep their classes
    ['550 Header error', 40],
    ['550 5.6.0 Message contains invalid header', 40],
    ['552 Message header size exceeds limit', 23],
  ]);
});

test('a reply code followed by ":" or "," is the same reply (bounce texts and logs write "550: 5.7.1 …")', () => {
  check([
    ['550: 5.7.1 Message rejected due to local policy', 50],
    ['421, "4.7.0", Our system has detected an unusual rate of unsolicited mail from your IP address', 70],
    ['450: Mailbox temporarily unavailable', 20],
    ['552: 5.2.2 Mailbox full', 22],
  ]);
});

test('macros in any form are a prohibited attachment (53): documents that carry code', () => {
  check([
    ['552 MS-Office file containing VBA macros found inside of the email', 53],
    ['550 5.7.1 Macro-enabled documents are not accepted', 53],
    ['554 Message contains macros and was rejected', 53],
  ]);
});

test('sendmail\'s bare "Command rejected" is a filter\'s refusal (50), not a protocol error', () => {
  check([
    ['550 Command rejected', 50],
    ['554 5.7.1 Command rejected.', 50],
    // a named command refused for a stated reason keeps that reason
    ['550 5.5.0 <jane@example.com>: Data command rejected: Multi-recipient bounce', 40],
    ['550 Command unrecognized', 40],
  ]);
});

test('"… wasn\'t found at <domain>" names the recipient as unknown there (10), with or without a reply code', () => {
  check([
    ["Your message to jane@example.com couldn't be delivered. jane wasn't found at example.com.", 10],
    ['550 5.1.10 Recipient bob was not found at mail.example.org', 10],
    // "not found" about something else than the recipient at a domain keeps its meaning
    ['550 5.1.2 Host or domain name not found', 10],
    ['554 5.7.1 Page not found at spamhaus.org blocklist: your IP is listed', 51],
  ]);
});

test('a sending frequency over the limit is a rate limit (70), even beside "Blocked IP"', () => {
  check([
    ['550 Ip frequency limited [Blocked IP 198.51.100.22]', 70],
    ['550 Connection frequency limited. Blocked IP 198.51.100.9', 70],
    ['451 IP frequency too high, try again later', 70],
    // a blocklist without a frequency stays a blocklist
    ['550 Blocked IP 198.51.100.22 is listed at zen.spamhaus.org', 51],
  ]);
});

test("Spectrum's documented AUP codes name the condition whatever the words before them", () => {
  check([
    ['550 5.1.0 <bounce@example.net> sender rejected. AUP#In-1310', 70],
    ['554 5.7.1 Mail refused. AUP#I-1000', 51],
    ['550 5.7.1 This account may not send. AUP#O-1010', 25],
    ['554 5.7.1 Rejected. AUP#I-1150', 50],
    ['552 5.3.4 Rejected. AUP#O-1530', 23],
  ]);
});

test('a sending or relay quota reached is a sending limit (70), a mailbox quota stays mailbox full', () => {
  check([
    ["554 You've reached your daily relay quota - 203.0.113.0", 70],
    ['550 Outbound quota reached for this account', 70],
    ['552 5.2.2 Mailbox quota exceeded', 22],
  ]);
});

test('texts without a reply code: a refused connection attempt is transient, a failed local delivery generic', () => {
  check([
    [
      'The recipient server did not accept our requests to connect. [(0) mx.example.net. [192.0.2.1]:25: socket error]',
      70,
    ],
    ["can't create user output file. Command output: procmail: Lock failure", 40],
  ]);
});

test('a list or group that may not exist is an unknown recipient (10), in English and Japanese', () => {
  check([
    ['The group you tried to contact (examplegroup) may not exist, or you may not have permission to post.', 10],
    ['連絡しようとしたグループ（examplegroup）が存在しないか、投稿する権限がない可能性があります。', 10],
    ['X-Notes; ユーザー John (john@example.co.jp) は Domino ディレクトリには見つかりません。', 10],
  ]);
});

test('a refusal for missing reverse DNS is a block (50), even when it also names the sender domain', () => {
  check([
    [
      '550 5.7.1 Connections not accepted from servers without a valid sender domain. Fix reverse DNS for 203.0.113.2',
      50,
    ],
    ['550 5.1.8 Sender address rejected: domain not found', 25],
  ]);
});

test('acknowledgements of contact in several languages are auto-replies (60)', () => {
  check([
    ['Thank you for contacting us. We will answer your enquiry shortly.', 60],
    ['Gracias por contactar con nosotros, tendrás noticias nuestras pronto', 60],
    ['Merci pour votre message, nous vous répondrons rapidement.', 60],
    ['Danke für Ihre Nachricht. Wir melden uns in Kürze.', 60],
  ]);
});

test('a message never collected or over the most delivery attempts has expired (24)', () => {
  check([
    ["The message addressed to 'john@example.uk' failed because it has not been collected after 30 days", 24],
    ['Reason: Exceeded Maximum Delivery Attempts. Verify that the recipient address is correct.', 24],
  ]);
});

test('texts without a reply code: a failed connection to the exchanger is transient, a dead delivery command generic', () => {
  check([
    ['host mx.example.de[192.0.2.137]:\nconnection to mail exchanger failed', 70],
    ['<john@example.com>: Command died with status 17: "/usr/sbin/amavis". Command output: error', 40],
  ]);
});

test('a directory that finds no such userid, name or address is an unknown recipient (10)', () => {
  check([
    ['Invalid final delivery userid: john@example.ac.jp', 10],
    ['The address jdoe@example.gov did not exactly match an EXAMPLE email address.', 10],
    ['jdoe    No matches to nameserver query', 10],
    ['The on-line directory fails to locate a name that matches the supplied name', 10],
  ]);
});

test("Microsoft's NDR heading 'rejected your message to the following' gives way to the reason after it", () => {
  check([
    [
      "example.net rejected your message to the following email addresses: jane@example.net. Your message couldn't be delivered. The email address you sent your message to wasn't found at the destination domain.",
      10,
    ],
    ['550 5.7.1 The recipient rejected your message', 50],
  ]);
});

test('not enough disk space, an illegal host/domain name and a Japanese directory miss', () => {
  check([
    ['Your message to <jane@example.com> was automatically rejected: Not enough disk space', 22],
    ['Recipient address: jane@example..com Reason: Illegal host/domain name found', 21],
    ['Failure Reasons: ディレクトリのリストにありません', 10],
  ]);
});

test('a disabled recipient under x.7.13 stays a recipient (10); a virus detected is 53 even with "content rejected"', () => {
  check([
    ['525 5.7.13 Disabled recipient address', 10],
    ['535 5.7.8 Authentication credentials invalid', 50],
    ['550 Virus Detected; Content Rejected', 53],
    ['550 Content rejected as spam', 52],
  ]);
});

test('a sender refused in other words is 25, unless the refusal names DMARC, SPF or DKIM (50)', () => {
  check([
    ['550 5.7.1 Sender address not allowed', 25],
    ['550 The sender address is on our reject list', 25],
    ['550 From address is not verified', 25],
    ['550 Unverified sender', 25],
    ['550 Sender unknown', 25],
    ['550 Sender address must be a fully qualified domain', 25],
    ['550 Sender address is not allowed (DMARC)', 50],
    ['421 Sender address blocked', 70],
  ]);
});

test('a recipient gone in other words is 10: does not live here, has no mailbox, no longer in service', () => {
  check([
    ['550 I am sorry, jane does not live here', 10],
    ['550 Recipient address not accepted', 10],
    ['550 Mailaddress is administratively disabled', 10],
    ['550 user does not have a mailbox', 10],
    ['550 The mailbox you are trying to reach is no longer in service', 10],
    ['550 No valid recipients', 10],
  ]);
});

test('texts without a reply code: an expired message is 24, a closed connection or a busy server 70, a resolver failure 21', () => {
  check([
    ['Cannot send message for 5 days', 24],
    ['Delivery has not been completed in the time allowed', 24],
    ['time limit exceeded', 24],
    ['Remote host closed connection in response to end of data', 70],
    ['Remote server is busy', 70],
    ['Unable to resolve host', 21],
    ['Could not resolve hostname mx.example.net', 21],
    ['DNS query for example.net returned SERVFAIL', 21],
    ['NXDOMAIN', 21],
  ]);
});

test('a HELO that cannot be verified and mail refused from the sending IP are 50; failed content checks are 52', () => {
  check([
    ['550 Unable to verify your HELO hostname', 50],
    ['550 Unable to accept mail from this sender IP', 50],
    ['554 Message failed content checks', 52],
    ['550 Content filter failure', 52],
  ]);
});

test('a 550 no rule understood is 10 when it starts with an address (an RCPT reply), 50 when it names none or a role address', () => {
  check([
    ['550 <jane@example.net>... not here', 10],
    ['550 jane@example.net: qwxz zyxw', 10],
    ['553 <jane@example.net> sorry', 10],
    ['550 Go away', 50],
    ['550 Contact postmaster@example.net for details', 50],
    ['550 <jane@example.net>... Relaying denied', 54],
    ['550 <jane@example.net>... Internal error', 40],
  ]);
});

test('a text without reply code that no rule understood: temporary words are 70, error words 40, a text saying nothing stays 1', () => {
  check([
    ['Message delivery has been delayed', 70],
    ['Will retry in 30 minutes', 70],
    ['Zustellung vorübergehend nicht möglich', 70],
    ['Zustellung fehlgeschlagen', 40],
    ['Erreur lors de la remise du message', 40],
    ['An error occurred while processing the message', 40],
    ['配信エラー', 40],
    ['(no reason given)', 1],
    ['some text that is no reply at all', 1],
    ['Delivery Status Notification', 1],
  ]);
});

test("a sender that does not match the login, Exim's callback and callout texts about the sender are 25", () => {
  check([
    ["554 5.7.1 Recipient address rejected: Username jane@example.net and sender doesn't match", 25],
    ['553 5.7.1 Sender address does not match the authenticated user', 25],
    [
      '550-Callback setup failed while verifying jane@example.com\n550-This host does not accept mail from domains whose servers refuse bounces.',
      25,
    ],
    [
      '550-Verification failed for <jane@example.no>\n550-The mail server could not deliver mail to <jane@example.no>. The account or domain may not exist, they may be blacklisted, or missing the proper dns entries.\n550 Sender verify failed',
      25,
    ],
    ['550 The account or domain may not exist, they may be blacklisted', 10],
  ]);
});

test('a loop detected is 21, a greeting never received 24, a too long line 40 (a format error, not a size), a forbidden file extension 53, a delay warning 70', () => {
  check([
    ['550 Loop detected', 21],
    ['554 5.4.6 Mail loop detected', 21],
    ['Mail Error: Greeting never received', 24],
    ['552 message line is too long', 40],
    ['550 5.6.0 Body line too long (see RFC2822 section 3.5)', 40],
    ['500 Line too long', 40],
    ['554 5.7.1 Matched map: FORBIDDEN_FILE_EXTENSION', 53],
    [
      'A message that you sent has not yet been delivered to one or more of its recipients after more than 24 hours on the queue',
      70,
    ],
    ['Your message has not yet been delivered because the recipient server did not respond.', 24],
  ]);
});

test('more wordings: an address that is full, Chinese space and account words, relaying without authentication, a reverse DNS missing', () => {
  check([
    ['552 jane@example.com is full', 22],
    ['552 <jane@example.com> full', 22],
    ['收件人空间不足', 22],
    ['550 收件人邮箱已满', 22],
    ['该用户未开通QQ邮箱', 10],
    ['550-550 relay through this server without authentication.', 54],
    ['554 Relaying without SMTP AUTH is not possible', 54],
    ['554 mx.example.net no DNS reverse for 198.51.100.3', 50],
    ['Connecting IP must have valid PTR record for 198.51.100.9', 50],
    ['There was a SMTP communication problem with the recipient server. Please contact your system administrator.', 40],
  ]);
});

test('sending too many mails is a limit (70); "domain must resolve" at MAIL FROM is the sender (25); a 4xx unverified address of an unknown user is 10', () => {
  check([
    [
      '550 5.7.1 Your access was denied. Since you sent too many e-mails, you are not allowed to send more within 24 hours.',
      70,
    ],
    ['501 Domain must resolve.', 25],
    [
      '450 4.1.1 <jane@example.com>: Recipient address rejected: unverified address: unknown user: "jane@example.com"',
      10,
    ],
    [
      '450 4.1.1 <jane@example.com>: Recipient address rejected: unverified address: host mx.example.com said: 450 try again',
      20,
    ],
  ]);
});

test("NetEase's codes: HL:IHU and HL:IPB the IP's reputation, HL:IFQ and RP:TRC limits, MI:SPF authentication, MI:IMF the sender, RP:FRL relaying", () => {
  check([
    ['554 HL:IHU', 51],
    ['554 HL:IPB 198.51.100.3', 51],
    ['554 HL:IFQ', 70],
    ['421 HL:REP 198.51.100.3', 70],
    ['550 RP:TRC 163.com', 70],
    ['550 MI:SPF 163.com', 50],
    ['550 MI:IMF 163.com', 25],
    ['550 RP:FRL 163.com', 54],
  ]);
});

test("a loop back to myself is 21 even under 5.1.1; a log's status=deferred is 70; programs and inappropriate words", () => {
  check([
    [
      '550 5.1.1 <a@example.dev>: Recipient address rejected: undeliverable address: mail for example.dev loops back to myself',
      21,
    ],
    [
      'certificate verification failed for mx.example.net: untrusted issuer\nstatus=deferred (Server certificate not verified)',
      70,
    ],
    ['Service not available, closing transmission channel', 70],
    ['Report: MailScanner: No programs allowed (x.exe)', 53],
    ['550 The mail may contain inappropriate words or content.', 52],
  ]);
});

test('"Sender Refused" is 25 and "Message Size Exceeded" 23', () => {
  check([
    ['550 Sender Refused', 25],
    ['552 Message Size Exceeded', 23],
    ['552 5.3.4 Size exceeded', 23],
  ]);
});

test('sender codes x.1.7, x.1.8 and x.7.27 are 25 whatever the text; an unauthorized sender address is 25; an invalid EHLO 50', () => {
  check([
    ['550 5.1.7 Malformed address', 25],
    ['501 5.7.27 Domain in MAIL FROM has null MX record', 25],
    ['553 5.1.8 Domain of sender address does not resolve', 25],
    ['553 5.7.0 Unauthorized use of sender address', 25],
    ['501 5.5.4 You are not allowed to send from this address.', 25],
    ['550 5.5.0 Invalid EHLO domain.', 50],
  ]);
});

test('a 4.2.x deferral that names the connection, not the mailbox, is 70', () => {
  check([
    ['421 4.2.1 Connection deferred', 70],
    ['450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages', 20],
  ]);
});

test('an address or domain "unknown" in reply to MAIL FROM is the sender refused (25), not an invalid recipient', () => {
  check([
    [
      '<j@example.org>: host mx.example.org[192.0.2.1] said: 553 5.1.0 <s@example.com>: does not exist (in reply to MAIL FROM command)',
      25,
    ],
    ['SMTP error from remote mail server after MAIL FROM:<s@example.com> SIZE=2048: 550 Unknown user', 25],
    ['SMTP error from remote mail server after MAIL FROM:<s@example.com>: 550 Host not found', 25],
    ['Connected to 192.0.2.1 but sender was rejected.\nRemote host said: 550 no such user', 25],
    // the same replies to RCPT TO keep their meaning, and so does a 4xx DNS failure at MAIL FROM
    ['SMTP error from remote mail server after RCPT TO:<j@example.org>: 550 Unknown user', 10],
    [
      '<j@example.org>: host mx.example.org[192.0.2.1] said: 553 5.1.0 <j@example.org>: does not exist (in reply to RCPT TO command)',
      10,
    ],
    ['SMTP error from remote mail server after MAIL FROM:<s@example.com>: 451 4.4.3 Temporary DNS failure', 21],
  ]);
});

test('no greeting, no banner, no response to a command: 24 Timeout, with or without a 4xx code', () => {
  check([
    ['451 4.4.2 [internal] no banner', 24],
    ['451 4.4.2 [internal] no DATA response', 24],
    ['smtp; 451 4.4.2 No greeting', 24],
    ['421 4.4.0 Server did not respond', 24],
    ['no response to DATA command', 24],
    ['no response from mx.example.org after RCPT TO', 24],
    ['The message could not be delivered within the allowed time', 24],
  ]);
});

test('a 4xx naming a failed DNS resolution is 21', () => {
  check([
    ['451 4.4.0 DNS resolution failed', 21],
    ['451 DNS resolution error for example.org', 21],
  ]);
});

test('the failure words of other languages make an unexplained 5xx 40, as the English ones do; attachments in other languages are 53', () => {
  check([
    ['550 Nachricht nicht zustellbar', 40],
    ['554 Erreur lors de la remise du message', 40],
    ['550 No se pudo entregar el mensaje', 40],
    ['550 Messaggio non recapitabile', 40],
    ['550 Bericht onbestelbaar', 40],
    ['550 Wiadomość niedostarczona: błąd serwera', 40],
    ['550 5.7.1 Anhang nicht erlaubt', 53],
    ['552 5.7.0 Pièce jointe interdite', 53],
    ['550 5.7.1 Tipo de adjunto no permitido', 53],
    ['550 5.7.1 Allegato non consentito', 53],
    ['550 5.7.1 Bijlage geweigerd', 53],
    // a refusal with no failure word stays a block
    ['550 Nachricht abgelehnt', 50],
  ]);
});

test('a refused file name, extension or MIME type, and a malicious payload, are 53', () => {
  check([
    ['554 5.7.1 Rejected: forbidden file name', 53],
    ['554 5.6.0 Message contains disallowed MIME type', 53],
    ['550 5.7.1 MIME type application/x-msdownload not allowed', 53],
    ['550 5.7.1 Malicious payload detected', 53],
  ]);
});

test('a sender address or return path that is suspended, rejected, invalid or not allowed, an empty return path, a MAIL FROM domain that does not exist: 25; a DMARC reason keeps 50', () => {
  check([
    ['550 5.7.1 Your sender address has been suspended', 25],
    ['550 Sender domain is not allowed', 25],
    ['553 5.7.1 From address not permitted', 25],
    ['550 5.7.1 Envelope sender not valid', 25],
    ['550 5.7.1 We do not accept mail from <> (empty return path)', 25],
    ['550 Your sender address was rejected', 25],
    ['550 5.7.1 Return path rejected', 25],
    ['553 Invalid return path', 25],
    ['550 5.7.1 Your MAIL FROM domain does not exist', 25],
    ['550 Sender address is not allowed (DMARC)', 50],
    ['550 5.7.1 Sender not allowed', 50],
  ]);
});

test('relaying refused in Italian, Russian and Chinese is 54', () => {
  check([
    ['550 5.7.1 Inoltro non consentito', 54],
    ['550 5.7.1 Ретрансляция запрещена', 54],
    ['550 拒绝中继', 54],
  ]);
});

test('dial-up, DSL, residential or dynamic address space named in any order is 51', () => {
  check([
    ['550 5.7.1 Connections from dialup or DSL addresses are not accepted', 51],
    ['550 5.7.1 Your IP is in a generic or dynamic range', 51],
    ['554 Residential address space is not allowed to send mail directly', 51],
    ["550 5.7.1 Dynamic IP pool, use your provider's relay", 51],
  ]);
});

test('a domain that "couldn\'t be found" is 21, unless a null MX says it takes no mail (10)', () => {
  check([
    [
      "Address not found\nYour message wasn't delivered to example.invalid because the domain example.invalid couldn't be found.",
      21,
    ],
    [
      "Your message wasn't delivered to j@example.org because the domain example.org couldn't be found. The domain example.org doesn't receive email according to the administrator: returned Null MX",
      10,
    ],
  ]);
});

test('an auto-reply that names annual or sick leave, or says it will answer on return, is 60', () => {
  check([
    ["I'm on annual leave until Monday and will reply when I return.", 60],
    ['I am on sick leave this week.', 60],
    ['I will respond to your message when I return on 3 March.', 60],
  ]);
});

test('a URL in the message named as listed is 52, with or without an article', () => {
  check([
    ['550 5.7.1 Message rejected: URL in message is listed on a blocklist', 52],
    ['554 URLs contained in the message are blacklisted', 52],
  ]);
});

test('a caller that knows the reply answered MAIL FROM (Momentum stage 2 or 3) gets the same reading', () => {
  const reply = '550 5.1.1 <s@example.com>: no such user';
  assert.equal(c.classify(reply, 'example.org').code, 10);
  assert.equal(c.classify(reply, 'example.org', Stage.DURING_MAIL_FROM).code, 25);
  assert.equal(c.classify(reply, 'example.org', Stage.DURING_MAIL_FROM).rule, 'unknown-recipient+mail-from');
  assert.equal(c.classify(reply, 'example.org', Stage.AFTER_RCPT_TO).code, 10);
  // a block at MAIL FROM stays a block: only the unknown-address readings name the sender
  assert.equal(
    c.classify('550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org', '', Stage.DURING_MAIL_FROM)
      .code,
    51,
  );
});

test('a HELO name that does not resolve is an authentication refusal (50), not a DNS failure of the recipient domain', () => {
  check([
    ['550 5.7.1 HELO name does not resolve', 50],
    ["550 Your EHLO hostname doesn't resolve", 50],
    ['550 5.7.1 HELO host has no A record', 50],
    ['550 5.1.2 Host not found', 10],
  ]);
});

test('an unexplained 5xx that calls the message malformed, badly encoded, bodiless or not queued is 40 (a format failure), not a block', () => {
  check([
    ['554 Invalid message', 40],
    ['550 Bad message', 40],
    ['554 Malformed message', 40],
    ['550 Invalid message format', 40],
    ['550 Message has no body', 40],
    ['554 Message encoding not supported', 40],
    ['554 Message not queued', 40],
    // a refusal without such words stays a block
    ['550 Message refused', 50],
  ]);
});

test('auto-replies in Nordic, Slavic, Turkish and East Asian languages, and "no longer works here", are 60', () => {
  check([
    ['Autosvar: Jeg er på ferie', 60],
    ['Automatisk svar: Jag är på semester till måndag', 60],
    ['Poza biurem: Odpowiedź automatyczna', 60],
    ['Automatická odpověď: Jsem mimo kancelář', 60],
    ['Автоответ: Я в отпуске до 15 числа', 60],
    ['Otomatik yanıt: Ofis dışındayım', 60],
    ['自动回复：我正在休假', 60],
    ['自動返信: 不在にしております', 60],
    ['자동 응답: 부재중입니다', 60],
    ['Automatische Antwort: Ich bin im Urlaub', 60],
    ['This is an automated response. I no longer work at this company.', 60],
    ["I'm travelling with limited email access until Friday.", 60],
  ]);
});

test('a challenge held until the sender verifies is 100; a delay warning that keeps trying is 70, not a failure', () => {
  check([
    ['Your message is being held until you verify your address. Please click the link below.', 100],
    ['To ensure delivery, please complete the verification at the link below (anti-spam).', 100],
    ['This is a delay notification. Delivery is being retried.', 70],
    ['Warning: message still undelivered after 4 hours. Will keep trying until message is 5 days old', 70],
    ['Message not delivered.', 40],
  ]);
});

test("the recipient's provider, server or system refusing is no unknown recipient; a domain called incorrect is 21", () => {
  check([
    ["Your message wasn't delivered because the recipient's email provider rejected it.", 40],
    ["550 Rejected by the recipient's mail server", 50],
    ['The domain name in the email address is incorrect.', 21],
    ['550 Recipient rejected', 10],
  ]);
});

test('the sending IP or server named as a source of spam, compromised, or residential is 51; a listed domain in a link and junk are 52', () => {
  check([
    ['550 5.7.1 Your IP address has been flagged for sending spam', 51],
    ['554 5.7.1 Rejected: your mail server is sending too much spam', 51],
    ['550 5.7.1 The IP you are sending from is a known source of spam', 51],
    ['550 High spam volume from your IP', 51],
    ['550 5.7.1 Mail from this IP is not accepted due to poor sending history', 51],
    ['550 5.7.1 Sending server is a compromised host (CBL)', 51],
    ['554 5.7.1 Connections from your IP are blocked: botnet activity detected', 51],
    ['554 5.7.1 This server does not accept mail from end-user IP addresses', 51],
    ['554 5.7.1 Your IP is in a range used for residential broadband', 51],
    ['550 5.7.1 Message contains a blacklisted domain in a link', 52],
    ['554 5.7.1 Message classified as junk', 52],
    ['554 5.7.1 Your message looks like spam and was rejected', 52],
  ]);
});

test('a Dutch mailbox that "zit vol" is 22', () => {
  check([
    ['550 Mailbox zit vol', 22],
    ['552 Postvak is vol', 22],
  ]);
});

test('a sender called invalid, unknown or refused in many languages is 25; a recipient unknown beside the word "sender" stays 10', () => {
  check([
    ['550 5.7.1 Absenderdomain existiert nicht', 25],
    ['550 5.7.1 Dominio del remitente no existe', 25],
    ['550 5.7.1 Domínio do remetente não existe', 25],
    ['550 5.7.1 Неверный адрес отправителя', 25],
    ['550 5.7.1 Отправитель отклонен', 25],
    ['550 5.7.1 发件人地址无效', 25],
    ['550 5.7.1 送信者アドレスが無効です', 25],
    ['550 5.7.1 발신자 주소가 올바르지 않습니다', 25],
    ['550 5.7.1 Nieprawidłowy adres nadawcy', 25],
    ['550 5.7.1 Neplatná adresa odesílatele', 25],
    ['550 5.7.1 Ongeldig afzenderadres', 25],
    ['550 5.7.1 Sender address does not belong to the authenticated user', 25],
    ['550 Bounce messages are not accepted', 25],
    ['550 收件人不存在，请发件人检查地址', 10],
    ['550 Benutzer unbekannt - bitte Absender prüfen', 10],
  ]);
});

test('relaying refused, an unknown domain, a virus and a size in more languages', () => {
  check([
    ['550 5.7.1 Vidarebefordran nekad', 54],
    ['550 5.7.1 Relay ikke tilladt', 54],
    ['550 5.7.1 Przekazywanie poczty zabronione', 54],
    ['550 5.7.1 Relay není povolen', 54],
    ['550 5.7.1 中继被拒绝', 54],
    ['550 5.7.1 リレーは許可されていません', 54],
    ['550 5.7.1 릴레이가 허용되지 않습니다', 54],
    ['550 Domain existiert nicht', 21],
    ["550 Le domaine n'existe pas", 21],
    ['550 El dominio no existe', 21],
    ['550 Il dominio non esiste', 21],
    ['550 Домен не существует', 21],
    ['550 域名不存在', 21],
    ['550 5.7.1 Обнаружен вирус', 53],
    ['550 5.7.1 发现病毒', 53],
    ['552 Сообщение слишком велико', 23],
    // a sender domain that does not exist stays the sender's
    ['550 5.7.1 Absenderdomain existiert nicht', 25],
  ]);
});

test("a 4xx about the receiver's load is 70 whatever its enhanced code says", () => {
  check([
    ['421 4.4.1 Server is busy, try again', 70],
    ['451 4.3.4 Server resources exhausted', 70],
    ['452 4.3.1 Out of system resources', 70],
    ['421 4.4.3 You are reconnecting too fast', 70],
    ['421 4.3.2 System overloaded, come back later', 70],
    // the codes keep their meaning without such words
    ['421 4.4.1 No answer from host', 24],
    ['452 4.3.4 Message too big for system', 23],
  ]);
});

test('a quota a policy enforces is a sending limit (70), a mailbox quota stays 22', () => {
  check([
    ['450 4.7.1 <jane@example.com>: Sender address rejected: Policy Rejection- Quota Exceeded', 70],
    ['550 Policy violation: quota reached for this sender', 70],
    ['552 5.2.2 Mailbox quota exceeded', 22],
  ]);
});

test('an IP blocked as an open relay or by spam statistics is a reputation block (51)', () => {
  check([
    ['550 5.7.1 192.0.2.7 blocked as suspected open relay', 51],
    ['554 Rejected: listed as an open proxy', 51],
    ['550 Mail refused: spam statistics for your server', 51],
    ['554 Refused due to spam coming from your IP', 51],
    ['550 5.7.1 Rejected for spam activity from your network', 51],
    // a server that is no open relay itself refuses to relay (54)
    ['550 5.7.1 This server is not an open relay', 54],
  ]);
});

test('a message that names a virus is 53 even when the filter also looks for spam', () => {
  check([
    ['550 This message contains a virus or spam (Win.Test.EICAR_HDB-1)', 53],
    ['554 Rejected: message contains a virus, worm or spam', 53],
    ['550 Rejected, spam or virus filter: Eicar-Test-Signature', 53],
    // a filter that only says it looks for both names no virus: content (52)
    ['550 Message rejected for possible spam or virus content', 52],
  ]);
});

test('strerror(EFBIG) of a mailbox file is a full mailbox (22), a large attachment file is not', () => {
  check([
    ['552 File too large', 22],
    ['550 5.2.2 Error writing mailbox: File too large', 22],
    ['552 5.3.4 Attachment file too large', 23],
  ]);
});

test('several addresses in a single-address header field is a policy refusal (50), not a recipient', () => {
  check([
    ['550 5.7.0 Multiple Sender addresses are not allowed', 50],
    ['554 Multiple From: headers rejected', 50],
    ['550 5.7.1 Multiple reply-to header fields are not accepted', 50],
  ]);
});

test("the forward-path's domain refused is relaying denied (54): RFC 5321's name for the recipient", () => {
  check([
    ['550 Domain of the forward path not permitted', 54],
    ['550 5.7.1 domain of forward-path is refused', 54],
    // a forward-path with a syntax error is a protocol error, not a relay refusal
    ['501 5.1.3 Syntax error in forward path', 40],
  ]);
});

test('a message the receiver cannot parse is malformed (40)', () => {
  check([
    ['550 5.7.7 Unable to parse message headers', 40],
    ['554 5.6.0 Could not parse MIME structure', 40],
    ['550 Failed to parse the body', 40],
  ]);
});

test('a bounce that says the queue gave up after hours or days is expired (24), a delay notice is not', () => {
  check([
    [
      'jane@example.com... Deferred: 421 Service not available\nMessage could not be delivered for 3 days\nMessage will be deleted from queue',
      24,
    ],
    ['<jane@example.com>... Deferred: 450 try later. Message was not delivered for 12 hours', 24],
    ['451 Message could not be delivered for 4 hours; will continue trying for 5 days', 70],
  ]);
});

test('a challenge that asks the sender to click and prove they are no spammer is 100', () => {
  check([
    ['Please verify your email address by clicking the link below before your message is delivered', 100],
    ['To make sure you are not a spammer, reply to this message', 100],
  ]);
});

test('a domain not found and a full mailbox in more languages', () => {
  check([
    ['550 Domäne nicht gefunden', 21],
    ['550 Domaine introuvable', 21],
    ['550 Dominio no encontrado', 21],
    ['550 Dominio inesistente', 21],
    ['550 Domínio não encontrado', 21],
    ['550 Domein bestaat niet', 21],
    ['550 Домен не найден', 21],
    ['550 域名未找到', 21],
    ['550 ドメインが見つかりません', 21],
    ['552 Mailbox van de ontvanger is vol', 22],
    ['552 Schránka příjemce je plná', 22],
    // a recipient not found stays a recipient
    ['550 Empfänger nicht gefunden', 10],
  ]);
});

test("OpenSMTPD's 5.2.4 expansion failure naming an address is that recipient (10); x.2.4 alone stays generic", () => {
  check([
    ['524 5.2.4 Mailing list expansion problem: <jane@example.org>', 10],
    ['550 5.2.4 Mailing list expansion problem: <jane.doe+tag@mail.example.org>', 10],
    ['550 5.2.4 Mailing list expansion problem', 40],
    ['452 4.2.4 Mailing list expansion problem: <jane@example.org>', 20],
  ]);
});

test("Postfix's refusal of a client that pipelines unasked (reject_unauth_pipelining) is a protocol error (40)", () => {
  check([
    ['503 5.5.0 <jane@example.org>: Recipient address rejected: Improper use of SMTP command pipelining', 40],
    ['503 5.5.0 <a@example.org>: Sender address rejected: Improper use of SMTP command pipelining', 40],
  ]);
});

test("a Sendmail bounce whose local mailer said the mailbox is over quota is 22, not the exit status's words", () => {
  check([
    [
      '<jane@example.org>\n    (reason: Insufficient permission)\n\n   ----- Transcript of session follows -----\nmaildrop: maildir over quota.\n550 5.0.0 <jane@example.org>... Insufficient permission',
      22,
    ],
    [
      '<jane@example.org>\n    (reason: Service unavailable)\n\n   ----- Transcript of session follows -----\nmail.local: /var/mail/jane: Disc quota exceeded\n554 5.3.0 <jane@example.org>... Service unavailable',
      22,
    ],
  ]);
});

test('a sender address with bad syntax, an unverifiable sender and a sender domain that is no valid domain are 25', () => {
  check([
    ['553 5.1.3 Sender address syntax error', 25],
    ['501 Syntax error in mail from address', 25],
    ['550 Unverifiable sender address', 25],
    ['553 Sender domain is not a valid domain', 25],
    // a syntax error of the recipient or the command stays a protocol error
    ['501 5.5.4 Syntax error in parameters or arguments', 40],
    // a sender blocked by policy is a block (50), one on a blocklist a listing (51)
    ['554 5.7.1 Sender address blocked', 50],
    ['550 5.7.1 Sender domain is blacklisted', 51],
  ]);
});

test('"not a relay for" a domain is 54; a named trojan, ransomware or spyware is 53; not delivered within N hours is 24', () => {
  check([
    ['550 #5.7.1 Your message was rejected: we are not a relay for that domain', 54],
    ['554 This server is not a relay to other networks', 54],
    ['550 Dangerous content found: Trojan.Generic', 53],
    ['554 Rejected: ransomware signature in attachment', 53],
    ['The message was not delivered within 48 hours', 24],
    ['Your message has not been delivered in 5 days and has been removed', 24],
  ]);
});

test('mail blocked because of complaints, and compromised hosts in the plural, are reputation blocks (51)', () => {
  check([
    ['550 Email from your server has been blocked due to complaints', 51],
    ['554 Rejected because of recipient complaints', 51],
    ['550 5.7.1 Rejected: the sending server is in our list of compromised hosts', 51],
  ]);
});

test('a sender domain without a valid SPF record is an authentication block (50); without a valid MX or an A record, 25', () => {
  check([
    ['550 5.7.1 Sender domain does not have a valid SPF record', 50],
    ['550 5.7.1 Sender domain does not have a valid DKIM key', 50],
    ['550 5.7.1 Sender domain does not have a valid MX record', 25],
    ['550 Sender domain has no A record', 25],
  ]);
});

test('URLs or links listed on a URI blocklist are spam content (52), a sending IP on a blocklist stays 51', () => {
  check([
    ['554 5.7.1 Blocked: message contains URLs listed on a URI blocklist', 52],
    ['550 Rejected: links in the message listed in a domain blocklist', 52],
    ['550 5.7.1 Message rejected by URL blacklist', 52],
    ['550 5.7.1 Your IP 192.0.2.1 is listed on a blocklist', 51],
  ]);
});

test('a bounce text naming a domain that does not exist is 21; one that says delivery attempts continue is 70', () => {
  check([
    ['Domain example.invalid does not exist', 21],
    ['550 The domain nowhere.example is not registered', 21],
    ['Delivery attempts will continue to be made for 4 days', 70],
    ['The mail system will keep trying to deliver your message', 70],
    // a sender's domain stays the sender's
    ['550 Sender domain nowhere.example does not exist', 25],
  ]);
});
