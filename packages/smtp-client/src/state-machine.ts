/**
 * The state registry (Momentum's register_smtp_client_state / smtp_get_state /
 * smtp_get_state_machine): an ordered list of named states. Each session runs one machine;
 * a test or plugin may build its own instead of changing the shared default.
 */
import { PetrelError } from '@petrel/core';
import type { Phase, SmtpState } from './state.js';
import { BUILTIN_STATES } from './states/builtin.js';

/** A state as registered: with its id and resolved phase. */
export interface RegisteredState extends SmtpState {
  readonly id: number;
  readonly phase: Phase;
}

export interface RegisterOptions {
  /**
   * Insert after this state (name or id). `null` = first, before the banner state (Momentum's
   * insert_after = -1: the connection is up, nothing has been read).
   */
  readonly after: string | number | null;
}

export class StateMachine {
  private states: RegisteredState[] = [];
  private nextId = 0;

  /** A machine with the built-in states in their default order (or the states given). */
  constructor(states: readonly SmtpState[] = BUILTIN_STATES) {
    let prev: string | null = null;
    for (const s of states) {
      if (prev === null) this.insertAt(0, s, s.phase ?? 'session');
      else this.registerState(s, { after: prev });
      prev = s.name;
    }
  }

  /** Inserts a state; returns its id. Names are unique; `after` must exist. */
  registerState(state: SmtpState, opts: RegisterOptions): number {
    if (typeof state.name !== 'string' || state.name === '') this.fail('a state needs a name', state.name);
    if (this.getState(state.name)) this.fail(`a state named "${state.name}" is already registered`, state.name);
    if (!state.run && !state.send) this.fail(`state "${state.name}" has neither send() nor run()`, state.name);
    if (opts.after === null) {
      const banner = this.states.findIndex((s) => s.name === 'banner');
      const at = banner >= 0 ? banner : Math.min(1, this.states.length);
      return this.insertAt(at, state, state.phase ?? 'session');
    }
    const prev = this.getState(opts.after);
    if (!prev) return this.fail(`no state "${String(opts.after)}" to insert after`, state.name);
    return this.insertAt(this.states.indexOf(prev) + 1, state, state.phase ?? prev.phase);
  }

  /** A state by id or name. */
  getState(idOrName: string | number): RegisteredState | undefined {
    return this.states.find((s) => (typeof idOrName === 'number' ? s.id === idOrName : s.name === idOrName));
  }

  /** The states in their default order. */
  getStateMachine(): readonly RegisteredState[] {
    return [...this.states];
  }

  /** The first state of a phase, where a run of that phase starts. */
  first(phase: Phase): RegisteredState | undefined {
    return this.states.find((s) => s.phase === phase);
  }

  /** The default successor (Momentum: the next list node), or undefined at the end. */
  successor(state: RegisteredState): RegisteredState | undefined {
    return this.states[this.states.indexOf(state) + 1];
  }

  /** An independent copy (custom states included), to extend without touching this one. */
  clone(): StateMachine {
    const m = new StateMachine([]);
    m.states = [...this.states];
    m.nextId = this.nextId;
    return m;
  }

  private insertAt(index: number, state: SmtpState, phase: Phase): number {
    const id = this.nextId++;
    // A view with id and phase on top of the caller's object, so class-based states keep their methods.
    const registered = Object.assign(Object.create(state) as SmtpState, { id, phase }) as RegisteredState;
    this.states.splice(index, 0, Object.freeze(registered));
    return id;
  }

  private fail(message: string, name: unknown): never {
    throw new PetrelError('PETREL_ERR_SMTP_STATE', message, { name });
  }
}

/** The shared machine sessions use unless SessionOptions.machine says otherwise. */
export const defaultStateMachine = new StateMachine();

/** Registers a state in the default machine (Momentum's register_smtp_client_state). */
export function registerState(state: SmtpState, opts: RegisterOptions): number {
  return defaultStateMachine.registerState(state, opts);
}

/** A state of the default machine by id or name (Momentum's smtp_get_state). */
export function getState(idOrName: string | number): RegisteredState | undefined {
  return defaultStateMachine.getState(idOrName);
}

/** The default machine's states in order (Momentum's smtp_get_state_machine). */
export function getStateMachine(): readonly RegisteredState[] {
  return defaultStateMachine.getStateMachine();
}
