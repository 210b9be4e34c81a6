/**
 * The runner walks a machine's states for one phase (libESMTP's protocol loop): for each state,
 * skip it if it does not apply, else send what it sends and route each reply by class. With
 * PIPELINING, consecutive pipelinable states are sent in one write and their replies read in
 * order afterwards (RFC 2920 §3.1); without, one command at a time.
 */
import { PetrelError, type SmtpReply } from '@petrel/core';
import { ConnectionLost } from './connection.js';
import { replyFor, type StateContext } from './context.js';
import { SmtpSessionError } from './errors.js';
import type { Phase } from './state.js';
import type { RegisteredState, StateMachine } from './state-machine.js';

/** Bounds next() loops: a real session takes a dozen steps (two with STARTTLS and a reconnect). */
const MAX_STEPS = 64;

interface Sent {
  readonly state: RegisteredState;
  readonly index: number;
}

export async function runPhase(machine: StateMachine, ctx: StateContext, phase: Phase): Promise<void> {
  let state = machine.first(phase);
  let steps = 0;
  while (state) {
    if (++steps > MAX_STEPS) {
      throw new PetrelError('PETREL_ERR_SMTP_STATE', `more than ${MAX_STEPS} state steps in phase ${phase}`, {
        state: state.name,
      });
    }
    let last: RegisteredState = state;
    try {
      if (state.applies && !state.applies(ctx)) {
        // skipped: the default order goes on
      } else if (state.run) {
        ctx.stage = state.stage;
        await state.run(ctx);
        if (state.afterStage !== undefined) ctx.stage = state.afterStage;
      } else {
        last = await exchange(machine, ctx, state);
      }
    } catch (err) {
      if (!(err instanceof ConnectionLost)) throw err;
      lost(ctx, last, err, phase);
      return;
    }
    // Done when unusable, or when every recipient has its answer and no 354 still asks for a dot.
    if (phase === 'transaction' && (!ctx.usable || (ctx.tx?.settled && !ctx.tx.dataAccepted))) return;
    const chosen = ctx.takeNext();
    const nextState = chosen === undefined ? machine.successor(last) : machine.getState(chosen);
    if (chosen !== undefined && nextState && nextState.phase !== phase) {
      throw new PetrelError('PETREL_ERR_SMTP_STATE', `next("${chosen}") leaves phase ${phase}`, {
        state: last.name,
        next: chosen,
      });
    }
    state = nextState && nextState.phase === phase ? nextState : undefined;
  }
}

/**
 * Sends a state's commands (with PIPELINING, and the following pipelinable states'), then reads and routes each reply.
 */
async function exchange(machine: StateMachine, ctx: StateContext, first: RegisteredState): Promise<RegisteredState> {
  const conn = ctx.requireConn();
  const pipelined = ctx.pipelining && first.pipelining === 'group';
  if (!pipelined) {
    ctx.stage = first.stage;
    const lines = first.send!(ctx);
    for (let i = 0; i < lines.length; i++) {
      conn.writeLines([lines[i]!]);
      await readAndRoute(ctx, { state: first, index: i });
      if (!ctx.usable) break;
    }
    if (first.afterStage !== undefined && ctx.usable) ctx.stage = first.afterStage;
    return first;
  }
  // Build the group: states are asked for their lines in order, before any reply is read.
  const sent: Sent[] = [];
  const lines: string[] = [];
  let last = first;
  let cur: RegisteredState | undefined = first;
  if (ctx.tx) ctx.tx.batching = true;
  try {
    while (cur) {
      if (!cur.applies || cur.applies(ctx)) {
        if (!cur.send) break;
        const own = cur.send(ctx);
        for (let i = 0; i < own.length; i++) sent.push({ state: cur, index: i });
        lines.push(...own);
        last = cur;
        if (cur.pipelining !== 'group') break;
      }
      const succ = machine.successor(cur);
      cur = succ && succ.phase === first.phase && succ.pipelining !== undefined ? succ : undefined;
    }
  } finally {
    if (ctx.tx) ctx.tx.batching = false;
  }
  ctx.stage = first.stage;
  conn.writeLines(lines);
  // RFC 2920 §3.1: replies come in the order of the commands. Read the group's replies first, each
  // within its own command's timeout, then act on them: if one turns out not to be its command's,
  // none of them can be paired, and nothing of the group may have been acted on yet.
  const replies: SmtpReply[] = [];
  let failure: ConnectionLost | undefined;
  for (const s of sent) {
    ctx.stage = s.state.stage;
    try {
      const reply = await readFor(ctx, s.state);
      if (outOfStep(s.state, reply)) {
        failure = outOfStepFailure(ctx, s.state, reply);
        replies.length = 0;
        break;
      }
      replies.push(reply);
    } catch (err) {
      if (!(err instanceof ConnectionLost)) throw err;
      failure = err;
      // After a close the replies before it stand (they came in order). After a timeout they may
      // not: a server that stalls one command may answer the later ones first (smtp-sink -W does),
      // so no reply of the group is trusted with a recipient's final outcome.
      if (err.kind !== 'closed') replies.length = 0;
      break;
    }
    if (!ctx.usable) break; // after a 421 the rest of the replies will not come
  }
  replies.forEach((reply, i) => {
    const s = sent[i]!;
    ctx.stage = s.state.stage;
    route(ctx, s, reply);
  });
  // The phase ends: every recipient still without a result is transient with the internal reply
  // of the command that got none, at its stage, and the session is not reused (lost()).
  if (failure) throw failure;
  if (last.afterStage !== undefined && ctx.usable) ctx.stage = last.afterStage;
  return last;
}

/**
 * RFC 5321 §4.2.1: a 3xx asks for more and answers only a command that expects it (DATA's 354);
 * a 2xx never answers such a command. Either mismatch means the reply belongs to another command.
 */
function outOfStep(state: RegisteredState, reply: SmtpReply): boolean {
  if (reply.code >= 400) return false;
  return reply.code >= 300 !== (state.goAhead === true);
}

function outOfStepFailure(ctx: StateContext, state: RegisteredState, reply: SmtpReply): ConnectionLost {
  const message = `reply "${reply.toString()}" cannot answer the pipelined ${state.name} command: replies out of step`;
  ctx.emit('syntax-warning', { message, line: reply.toString() });
  // The command never got a reply of its own: record it as missing (Momentum's "no … response").
  return new ConnectionLost('out-of-step', message, {
    reply: state.lost?.timeout ?? 'malformedReply',
    stage: state.stage,
  });
}

/**
 * The next reply for `state`, within its timeout, observed at once (a 421 or a malformed reply
 * ends the reading); a missing one names the state that waited in vain.
 */
async function readFor(ctx: StateContext, state: RegisteredState): Promise<SmtpReply> {
  try {
    return ctx.observe(await ctx.requireConn().readReply(ctx.timeout(state.timeout ?? 'ehlo')));
  } catch (err) {
    // In a pipelined group the state that waited is not the group's first: name it and its stage.
    if (err instanceof ConnectionLost && err.override.reply === undefined) {
      const reply = err.kind === 'timeout' ? state.lost?.timeout : state.lost?.closed;
      throw new ConnectionLost(err.kind, err.message, {
        ...(reply !== undefined ? { reply } : {}),
        stage: state.stage,
      });
    }
    throw err;
  }
}

async function readAndRoute(ctx: StateContext, sent: Sent): Promise<void> {
  route(ctx, sent, await readFor(ctx, sent.state));
}

/** Routes one (observed) reply by class to its state's handler. */
function route(ctx: StateContext, sent: Sent, reply: SmtpReply): void {
  const { state } = sent;
  const handler = reply.code < 400 ? state.on?.positive : reply.code < 500 ? state.on?.transient : state.on?.permanent;
  if (handler) {
    handler(ctx, reply, sent.index);
    return;
  }
  if (reply.code < 400) return;
  // A failure with nowhere to go ends the phase: the transaction's pending recipients get it, a session step fails.
  if (state.phase === 'transaction' && ctx.tx) {
    ctx.tx.settleAll(reply, state.stage);
    return;
  }
  throw new SmtpSessionError(reply, state.stage, { tryNextHost: true });
}

/** No reply: timeout or close. The session is over; pending recipients are transient (reference §6). */
function lost(ctx: StateContext, state: RegisteredState, err: ConnectionLost, phase: Phase): void {
  ctx.usable = false;
  ctx.conn?.destroy();
  const name =
    err.override.reply ?? (err.kind === 'closed' ? state.lost?.closed : state.lost?.timeout) ?? 'closedByRemote';
  const reply: SmtpReply = ctx.closing ?? replyFor(name);
  const stage = err.override.stage ?? ctx.stage;
  if (phase === 'transaction' && ctx.tx) {
    ctx.tx.settleAll(reply, stage, 'pending', 'transient');
    return;
  }
  if (phase === 'session')
    throw new SmtpSessionError(reply, stage, { tryNextHost: true, timeout: err.kind === 'timeout', cause: err });
}
