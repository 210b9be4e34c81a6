/**
 * The bridge from a session's libESMTP-named events (smtp-client SessionEvents) to the bus topic
 * `outbound.session_event` and the operator log. Attached before the session connects, so the
 * events of the session phase (connect, banner and EHLO syntax, STARTTLS/AUTH not available) are
 * seen too, also for a host that then fails over.
 *
 * Hot path: per message only message-sent is bridged, and its detail is the session's own object
 * (no copy). Debug records are not built when debug is off; warn records for a missing extension
 * are written once per session and extension (a DSN-less server would otherwise log once per
 * message), while the bus event (and the metric) counts every occurrence.
 */
import type {
  Bus,
  Clock,
  Logger,
  OutboundSessionEvent,
  RouteHost,
  SmtpClientEvent,
  SmtpClientEventName,
} from '@petrel/core';
import type { SessionEvents, SmtpSession } from '@petrel/smtp-client';

/** Each bus event name's detail type. */
type DetailsOf = { [E in SmtpClientEvent as E['event']]: E['details'] };

/** Where a session runs: fixed for its life. */
export interface SessionEventOrigin {
  readonly binding: string;
  readonly domain: string;
  readonly host: RouteHost;
  readonly connectionId: string;
}

export interface SessionEventSinks {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Subscribes to `session`'s events for as long as it lives (listeners go with the session object). */
export function bridgeSessionEvents(session: SmtpSession, origin: SessionEventOrigin, sinks: SessionEventSinks): void {
  const { bus, clock, logger } = sinks;
  const { binding, domain, connectionId } = origin;
  const host = origin.host.name;
  const ip = origin.host.address;
  // One object per event; the cast only joins what DetailsOf already pairs (TS cannot correlate K).
  const publish = <K extends SmtpClientEventName>(event: K, details: DetailsOf[K]): void => {
    bus.publish('outbound.session_event', {
      event,
      details,
      time: clock.now(),
      binding,
      domain,
      host,
      ip,
      connectionId,
    } as OutboundSessionEvent);
  };
  // Checked once per session, as connect.ts does for the transcript.
  const debug = logger.isLevelEnabled('debug');
  let warnedExtensions: Set<string> | undefined;

  session.on('connect', (...[details]: SessionEvents['connect']) => {
    publish('connect', details);
    if (debug) logger.debug({ binding, domain, host, ip, port: details.port, connectionId }, 'smtp connect');
  });
  session.on('disconnect', () => {
    publish('disconnect', undefined);
    if (debug) logger.debug({ binding, domain, host, ip, connectionId }, 'smtp disconnect');
  });
  session.on('syntax-warning', (...[details]: SessionEvents['syntax-warning']) => {
    publish('syntax-warning', details);
    logger.warn(
      { binding, domain, host, ip, connectionId, warning: details.message, line: details.line },
      'smtp reply syntax warning',
    );
  });
  session.on('extension-not-available', (...[extension]: SessionEvents['extension-not-available']) => {
    publish('extension-not-available', { extension });
    warnedExtensions ??= new Set();
    if (warnedExtensions.has(extension)) return;
    warnedExtensions.add(extension);
    logger.warn({ binding, domain, host, ip, connectionId, extension }, 'smtp extension not available');
  });
  session.on('message-sent', (...[details]: SessionEvents['message-sent']) => {
    publish('message-sent', details);
    if (debug)
      logger.debug(
        { binding, domain, host, ip, connectionId, reply: details.reply, bytes: details.bytes },
        'smtp message sent',
      );
  });
}
