/**
 * What a federation has produced so far — the global model, the rounds completed and their records, the central
 * privacy events — with what is written to the checkpoint and read back on resume, and the summary made of it.
 * The node registry is part of it (checkpointed with it).
 */
import { PldAccountant, type PrivacyEvent, RdpAccountant } from '../../accounting/index.js';
import { ConfigError } from '../../core/index.js';
import { CHECKPOINT_VERSION, type CoordinatorCheckpoint } from './checkpoint.js';
import type { Clock } from './clock.js';
import type { CoordinatorOptions } from './options.js';
import type { CoordinatorSummary, NodeRecord, RoundRecord } from './records.js';
import type { NodeRegistry } from './registry.js';

/** A federation's durable state. */
export class FederationState {
  global: Float32Array;
  roundsCompleted = 0;
  readonly history: RoundRecord[] = [];
  readonly centralEvents: PrivacyEvent[] = [];
  resumedFrom: number | null = null;

  constructor(
    private readonly o: CoordinatorOptions,
    readonly nodes: NodeRegistry,
    private readonly clock: Clock,
  ) {
    this.global = Float32Array.from(o.initialGlobal);
  }

  /** The checkpoint of the state now (the strategy's state included). */
  checkpoint(): CoordinatorCheckpoint {
    return {
      version: CHECKPOINT_VERSION,
      configSha256: this.o.configSha256,
      roundsCompleted: this.roundsCompleted,
      global: this.global,
      strategyState: this.o.strategy.state(),
      centralEvents: this.centralEvents,
      nodes: this.nodes.all(),
      history: this.history,
      savedAtUnixMs: this.clock.now(),
    };
  }

  /**
   * Continues from the options' checkpoint store (the strategy's state included).
   * @throws {ConfigError} when there is no checkpoint, or it was made with another configuration or model size
   */
  restore(): void {
    const c = this.o.checkpoint?.load() ?? null;
    if (!c) {
      throw new ConfigError(
        [{ path: 'resume', value: true, allowed: 'a checkpoint to resume from (none was found)' }],
        'coordinator',
      );
    }
    if (c.configSha256 !== this.o.configSha256) {
      throw new ConfigError(
        [
          {
            path: 'configuration',
            value: this.o.configSha256,
            allowed: `the configuration the checkpoint was made with (SHA-256 ${c.configSha256})`,
          },
        ],
        'coordinator --resume',
      );
    }
    if (c.global.length !== this.global.length) {
      throw new ConfigError(
        [{ path: 'checkpoint.global', value: c.global.length, allowed: `${this.global.length} parameters` }],
        'coordinator --resume',
      );
    }
    this.global = Float32Array.from(c.global);
    this.roundsCompleted = c.roundsCompleted;
    this.o.strategy.restore(c.strategyState);
    this.centralEvents.push(...(c.centralEvents as PrivacyEvent[]));
    this.nodes.restore(c.nodes as NodeRecord[]);
    this.history.push(...(c.history as RoundRecord[]));
    this.resumedFrom = c.roundsCompleted;
  }

  /** The summary so far. */
  summary(status: 'finished' | 'failed' = 'finished', failure: string | null = null): CoordinatorSummary {
    const lastEval = [...this.history].reverse().find((h) => h.evaluation)?.evaluation ?? null;
    const lastServer = this.history[this.history.length - 1]?.serverEvaluation ?? null;
    const privateEvents = this.centralEvents.filter((e) => e.kind !== 'non-private' && e.kind !== 'no-op');
    let central: CoordinatorSummary['central'] = null;
    if (privateEvents.length > 0 && !this.centralEvents.some((e) => e.kind === 'non-private')) {
      const delta = this.o.centralDelta ?? 1e-5;
      const rdp = new RdpAccountant();
      const pld = new PldAccountant();
      let pldOk = true;
      for (const e of privateEvents) {
        rdp.compose(e);
        try {
          if (pldOk) pld.compose(e);
        } catch {
          pldOk = false; // an event the PLD accountant does not support: report RDP only
        }
      }
      central = {
        events: privateEvents,
        delta,
        epsilonRdp: rdp.epsilon({ delta }),
        epsilonPld: pldOk ? pld.epsilon({ delta }) : null,
      };
    }
    return {
      status,
      failure,
      roundsCompleted: this.roundsCompleted,
      rounds: this.o.rounds,
      strategy: this.o.strategy.name,
      secureAggregation: this.o.secureAggregation?.protocol ?? 'none',
      global: Float32Array.from(this.global),
      history: this.history,
      finalEvaluation: lastEval,
      finalServerEvaluation: lastServer,
      central,
      nodes: this.nodes.sorted(),
      resumedFrom: this.resumedFrom,
    };
  }
}
