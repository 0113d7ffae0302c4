/**
 * Reads one durable pull consumer (all events, or one partition) in stream order and hands it
 * out in batches whose position is the stream sequence of their last message.
 *
 * Ordering is what makes the store's checkpoint mean something. JetStream delivers first copies
 * in stream order, but a delivery can go missing (the reader died with it, or the consumer's
 * leader died with it on the wire), and the server sends it again only once its ack wait has
 * passed, behind newer ones, or never (nats-server 2.9.10 restarted after a SIGKILL restored
 * durable consumers of an interest stream with their delivered sequence past messages no longer
 * listed as awaiting an acknowledgement). So when a reader starts and the consumer delivered
 * messages past its acknowledgement floor, or it sees a hole in the delivery sequence, it reads
 * the missing stream sequences from the stream itself (a short-lived ephemeral consumer from
 * that sequence, on the same filter: the stream keeps every message some declared consumer has
 * not committed, see `trimConsumed`) and holds newer deliveries back until those were handed out
 * first ("recovery"). Within one reader a
 * message is handed out once: a copy of a message it holds replaces the old copy (its ack must
 * answer the newest delivery); a copy of one it committed recently is acknowledged again; a copy
 * it cannot place is handed out (at worst a duplicate, never a loss).
 *
 * The store commits a position with its events; a reader given that position (`from`) drops
 * the messages at or below it, acknowledging them, since they are stored already.
 * Messages are acknowledged one by one when their batch is committed (explicit acks: an AckAll
 * would also acknowledge an earlier reader's messages still waiting to come back).
 */
import { AckPolicy, DeliverPolicy, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Event } from '../../core/event.js';

export interface ConsumerReaderOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly consumer: string;
  /** The partition this consumer filters on; undefined for a consumer of every event. */
  readonly partition: number | undefined;
  /** Identifies the stream incarnation in positions (its creation time). */
  readonly epoch: string;
  /** Stream sequence the store already holds everything up to (from its checkpoint). */
  readonly from: number | undefined;
  /** Messages the client asks the server for at once. */
  readonly prefetch: number;
  /**
   * Lifetime of one pull request. The server's heartbeats come every half of it, and two
   * missed ones make the client ask again: after a consumer leader moves (a node died), reading
   * resumes within about this long.
   */
  readonly pullExpiresMs: number;
  readonly ackWaitMs: number;
  /**
   * Event ids remembered to drop a second copy of the same event. nats-server before 2.11 may
   * store a publish retried across a stream leader change twice despite its `Nats-Msg-Id`; the
   * copies are close together in the stream, so a window of recent ids catches them.
   */
  readonly recentIds: number;
  /** Called whenever messages become ready to hand out. */
  readonly onReady: () => void;
  readonly onWarning: (message: string) => void;
}

export interface ReaderStats {
  /** Events handed out. */
  delivered: number;
  /** Redelivered copies of messages this reader holds (dropped, newest copy kept). */
  redeliveredHeld: number;
  /** Messages of an earlier reader dropped because the store's checkpoint covers them. */
  skippedStored: number;
  /** Messages committed but delivered again (an acknowledgement lost): acknowledged again. */
  reacknowledged: number;
  /** Deliveries that never arrived (a hole in the delivery sequence). */
  lostDeliveries: number;
  /** Messages missing from the deliveries that were read from the stream itself (then handed out). */
  readFromStream: number;
  /** Messages that are not events (published by something else): acknowledged and dropped. */
  notEvents: number;
  /** Events whose id this reader handed out shortly before (stored twice by the stream): dropped. */
  duplicateIds: number;
}

export interface ReaderBatch {
  readonly events: Event[];
  readonly position: string;
}

interface HandedOut {
  readonly position: string;
  readonly sequences: number[];
}

interface Recovery {
  /** Missing deliveries not yet back (redelivered, or read from the stream). */
  remaining: number;
  /** Reads of missing stream sequences still running. */
  fills: number;
  deadline: number;
}

/** Positions: `<seq>@<epoch>` for the all-events consumer, `p<partition>:<seq>@<epoch>` for one partition. */
export function formatPosition(partition: number | undefined, sequence: number, epoch: string): string {
  return `${partition === undefined ? '' : `p${partition}:`}${sequence}@${epoch}`;
}

const POSITION = /^(?:p(\d{1,4}):)?(\d{1,16})@([0-9a-z]{1,16})$/;

export function parsePosition(position: string): { partition: number | undefined; sequence: number; epoch: string } | undefined {
  const m = POSITION.exec(position);
  if (!m) return undefined;
  return { partition: m[1] === undefined ? undefined : Number(m[1]), sequence: Number(m[2]), epoch: m[3]! };
}

export class ConsumerReader {
  readonly stats: ReaderStats = { delivered: 0, redeliveredHeld: 0, skippedStored: 0, reacknowledged: 0, lostDeliveries: 0, readFromStream: 0, notEvents: 0, duplicateIds: 0 };
  readonly partition: number | undefined;
  /** The durable consumer's name. */
  readonly consumer: string;
  private readonly options: ConsumerReaderOptions;
  /** Ready to hand out, in stream order. */
  private ready: JsMsg[] = [];
  /** First deliveries held back during recovery. */
  private held: JsMsg[] = [];
  /** Handed out and not committed, newest copy per sequence. */
  private readonly inFlight = new Map<number, JsMsg>();
  /** Sequences in `ready` or `held`, newest copy. */
  private readonly buffered = new Map<number, JsMsg>();
  private handedOut: HandedOut[] = [];
  private readonly recent = new Set<string>();
  private recentRing: (string | undefined)[] = [];
  private recentNext = 0;
  /** Sequences this reader committed lately (to acknowledge a copy delivered again). */
  private readonly committed = new Set<number>();
  private committedRing: (number | undefined)[] = [];
  private committedNext = 0;
  /** Highest sequence first-delivered to this reader (or to an earlier one). */
  private highestSeen = 0;
  /** The consumer's delivery sequence of the last delivery received. */
  private lastDelivery = 0;
  private recovery: Recovery | undefined;
  /** Messages read from the stream (an ephemeral consumer without acks): nothing to acknowledge. */
  private readonly fromStream = new WeakSet<JsMsg>();
  /** Reads of missing ranges, one after the other. */
  private fills: Promise<void> = Promise.resolve();
  private messages: ConsumerMessages | undefined;
  private closed = false;
  private running: Promise<void> | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  // Depth accounting (see `depth()`).
  private snapshot = { pending: 0, delivered: 0 };
  /** First deliveries above the snapshot's delivered sequence, in order (a partition's count). */
  private deliveredAfterSnapshot: number[] = [];
  /** Messages this process stored for this reader since the snapshot was asked for. */
  private storedSinceSnapshot = 0;
  private storedTotal = 0;
  private highestStored = 0;
  private consumed: number | undefined;

  constructor(options: ConsumerReaderOptions) {
    this.options = options;
    this.partition = options.partition;
    this.consumer = options.consumer;
  }

  /** Reads the consumer's state (to know what an earlier reader left) and starts reading. */
  async start(): Promise<void> {
    const consumer = await this.options.js.consumers.get(this.options.stream, this.options.consumer);
    const info = await consumer.info(true);
    this.highestSeen = info.delivered.stream_seq;
    this.lastDelivery = info.delivered.consumer_seq;
    this.takeSnapshot(info.num_pending, info.delivered.stream_seq, this.storedTotal);
    // Delivered to an earlier reader and not acknowledged as a whole: read from the stream now
    // rather than wait for the server to send them again (after the ack wait, or, when it forgot
    // them in a crash, never). What the store's checkpoint covers is stored already.
    // Read before the start resolves, so `depth()` counts them from the first call.
    const floor = Math.max(info.ack_floor.stream_seq, this.options.from ?? 0);
    if (info.delivered.stream_seq > floor) {
      this.fill(floor + 1, info.delivered.stream_seq);
      await this.fills;
    }
    // Keep what this reader holds from being sent again while the pipeline works on it.
    const every = Math.max(500, Math.floor(this.options.ackWaitMs / 3));
    this.keepAlive = setInterval(() => this.markWorking(), every);
    this.keepAlive.unref();
    this.running = this.run(consumer);
  }

  private async run(first: Consumer): Promise<void> {
    let consumer: Consumer | undefined = first;
    while (!this.closed) {
      try {
        consumer ??= await this.options.js.consumers.get(this.options.stream, this.options.consumer);
        this.messages = await consumer.consume({ max_messages: this.options.prefetch, expires: this.options.pullExpiresMs });
        if (this.closed) this.messages.stop();
        for await (const m of this.messages) this.receive(m);
      } catch (error) {
        if (!this.closed) this.options.onWarning(`NATS consumer ${this.options.consumer}: reading stopped (${(error as Error).message}); starting again`);
      }
      consumer = undefined;
      if (!this.closed) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private receive(m: JsMsg): void {
    const seq = m.seq;
    this.noteDelivery(m.info.deliverySequence, seq);
    const first = seq > this.highestSeen;
    if (first) {
      this.highestSeen = seq;
      if (this.partition !== undefined) this.deliveredAfterSnapshot.push(seq);
    }
    if (this.inFlight.has(seq) || this.buffered.has(seq)) {
      // A copy of something this reader holds: its ack must answer the newest delivery.
      this.replaceCopy(seq, m);
      this.stats.redeliveredHeld++;
      return;
    }
    if (!first && this.committed.has(seq)) {
      // Committed by this reader, its acknowledgement lost.
      m.ack();
      this.stats.reacknowledged++;
      return;
    }
    if (!first && this.recovery) this.recovery.remaining--;
    if (this.options.from !== undefined && seq <= this.options.from) {
      // Stored already (the store's checkpoint covers it): acknowledge, do not hand out.
      m.ack();
      this.stats.skippedStored++;
    } else if (first) {
      this.buffered.set(seq, m);
      if (this.recovery) this.held.push(m);
      else this.ready.push(m);
      this.options.onReady();
    } else {
      // Missing until now (an earlier reader's, or a delivery lost on the way): handed out
      // before anything newer. If it was handed out long ago, `take` drops it by its event id.
      this.buffered.set(seq, m);
      insertInOrder(this.ready, m);
      this.options.onReady();
    }
    if (this.recovery && this.recovery.remaining <= 0 && this.recovery.fills <= 0) this.endRecovery();
  }

  /**
   * Every delivery, first or repeated, takes the next delivery sequence: a jump means
   * deliveries that never arrived, so newer ones wait. Lost first deliveries lie between the
   * highest stream sequence seen and this one: they are read from the stream. Lost repeated
   * deliveries are still pending on the server, which sends them again after the ack wait.
   * (After the consumer's leader moved, or the server restarted, the sequence may also step
   * back; that is no hole.)
   */
  private noteDelivery(sequence: number, streamSeq: number): void {
    if (this.lastDelivery > 0 && sequence > this.lastDelivery + 1) {
      const lost = sequence - this.lastDelivery - 1;
      this.stats.lostDeliveries += lost;
      const recovery = this.recover();
      recovery.remaining += lost;
      if (streamSeq > this.highestSeen + 1) this.fill(this.highestSeen + 1, streamSeq - 1);
    }
    this.lastDelivery = sequence;
  }

  private recover(): Recovery {
    const deadline = Date.now() + 2 * this.options.ackWaitMs + 10_000;
    if (this.recovery) this.recovery.deadline = deadline;
    else this.recovery = { remaining: 0, fills: 0, deadline };
    return this.recovery;
  }

  /**
   * Reads stream sequences `from`..`to` on this reader's filter from the stream and hands out
   * those this reader does not hold, committed lately, or find covered by the store's checkpoint,
   * before anything newer. Reads run one after the other and are retried until they succeed.
   */
  private fill(from: number, to: number): void {
    if (to < from) return;
    this.recover().fills++;
    this.fills = this.fills.then(async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        try {
          const messages = await readStreamRange(this.options, from, to);
          for (const m of messages) this.supply(m);
          return;
        } catch (error) {
          if (attempt === 0) this.options.onWarning(`NATS consumer ${this.options.consumer}: reading stream sequences ${from}-${to} failed (${(error as Error).message}); retrying`);
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
        }
      }
    }).finally(() => {
      if (!this.recovery) return;
      this.recovery.fills--;
      if (this.recovery.fills <= 0 && this.recovery.remaining <= 0) this.endRecovery();
      else this.options.onReady();
    });
  }

  /** A message read from the stream, standing for a delivery that did not come. */
  private supply(m: JsMsg): void {
    const seq = m.seq;
    if (this.inFlight.has(seq) || this.buffered.has(seq) || this.committed.has(seq)) return;
    if (this.options.from !== undefined && seq <= this.options.from) return;
    this.fromStream.add(m);
    this.stats.readFromStream++;
    if (this.recovery) this.recovery.remaining--;
    this.buffered.set(seq, m);
    insertInOrder(this.ready, m);
  }

  /** Acknowledges a delivery (a message read from the stream has no one to acknowledge to). */
  private ack(m: JsMsg): void {
    if (!this.fromStream.has(m)) m.ack();
  }

  private endRecovery(): void {
    if (!this.recovery) return;
    this.recovery = undefined;
    // Both are in stream order; a missing message can sit between held ones.
    const merged: JsMsg[] = [];
    let i = 0;
    let j = 0;
    while (i < this.ready.length || j < this.held.length) {
      if (j >= this.held.length || (i < this.ready.length && this.ready[i]!.seq < this.held[j]!.seq)) merged.push(this.ready[i++]!);
      else merged.push(this.held[j++]!);
    }
    this.ready = merged;
    this.held = [];
    this.options.onReady();
  }

  private replaceCopy(seq: number, m: JsMsg): void {
    if (this.inFlight.has(seq)) {
      this.inFlight.set(seq, m);
      return;
    }
    this.buffered.set(seq, m);
    for (const list of [this.ready, this.held]) {
      const i = list.findIndex((x) => x.seq === seq);
      if (i >= 0) list[i] = m;
    }
  }

  /** How many ready messages may go out: during a recovery, only those below every held one. */
  private releasable(): number {
    const limit = this.recovery ? this.held[0]?.seq : undefined;
    if (limit === undefined) return this.ready.length;
    let n = 0;
    while (n < this.ready.length && this.ready[n]!.seq < limit) n++;
    return n;
  }

  hasReady(): boolean {
    return this.releasable() > 0;
  }

  /** Up to `max` events in stream order, or undefined when none may go out yet. */
  take(max: number): ReaderBatch | undefined {
    for (let n = this.releasable(); n > 0; n = this.releasable()) {
      const msgs = this.ready.splice(0, Math.min(n, Math.max(1, max)));
      const events: Event[] = [];
      const sequences: number[] = [];
      for (const m of msgs) {
        this.buffered.delete(m.seq);
        const event = decodeEvent(m);
        if (!event) {
          // Not ours to interpret; acknowledged so it does not block the stream's retention.
          this.ack(m);
          this.stats.notEvents++;
          this.options.onWarning(`NATS stream ${this.options.stream}: message ${m.seq} on ${m.subject} is not a Vigil event; dropped`);
          continue;
        }
        if (this.recent.has(event.id)) {
          // The first copy was handed out: it stands for this one (committed or in flight).
          this.ack(m);
          this.stats.duplicateIds++;
          continue;
        }
        this.remember(event.id);
        events.push(event);
        sequences.push(m.seq);
        this.inFlight.set(m.seq, m);
      }
      if (events.length === 0) continue;
      const position = formatPosition(this.partition, sequences[sequences.length - 1]!, this.options.epoch);
      this.handedOut.push({ position, sequences });
      this.stats.delivered += events.length;
      return { events, position };
    }
    return undefined;
  }

  private remember(id: string): void {
    const size = this.options.recentIds;
    if (size <= 0) return;
    if (this.recentRing.length < size) {
      this.recentRing.push(id);
    } else {
      const old = this.recentRing[this.recentNext];
      if (old !== undefined) this.recent.delete(old);
      this.recentRing[this.recentNext] = id;
      this.recentNext = (this.recentNext + 1) % size;
    }
    this.recent.add(id);
  }

  /**
   * Acknowledges every message of the batches handed out up to the one at `position`. Returns
   * false for a position this reader did not hand out (already committed, or another reader's).
   */
  commit(position: string): boolean {
    const index = this.handedOut.findIndex((b) => b.position === position);
    if (index < 0) return false;
    for (const batch of this.handedOut.splice(0, index + 1)) {
      for (const seq of batch.sequences) {
        const m = this.inFlight.get(seq);
        this.inFlight.delete(seq);
        if (!m) continue;
        this.ack(m);
        this.rememberCommitted(seq);
      }
    }
    return true;
  }

  private rememberCommitted(seq: number): void {
    const size = Math.max(this.options.recentIds, 10_000);
    if (this.committedRing.length < size) {
      this.committedRing.push(seq);
    } else {
      const old = this.committedRing[this.committedNext];
      if (old !== undefined) this.committed.delete(old);
      this.committedRing[this.committedNext] = seq;
      this.committedNext = (this.committedNext + 1) % size;
    }
    this.committed.add(seq);
  }

  /** Tells the server this reader is still working on what it holds, so it is not sent again. */
  private markWorking(): void {
    try {
      for (const m of this.inFlight.values()) if (!this.fromStream.has(m)) m.working();
      for (const m of this.buffered.values()) if (!this.fromStream.has(m)) m.working();
    } catch {
      // Disconnected: the next tick tries again; the worst case is a redelivery, dropped above.
    }
  }

  /**
   * Refreshes the server's view for `depth()` and `consumedThrough()`; also ends a recovery whose
   * messages are gone. `streamLast` is the stream's last sequence, read before this call.
   */
  async refresh(streamLast = 0): Promise<void> {
    const storedBefore = this.storedTotal;
    const info = await this.options.jsm.consumers.info(this.options.stream, this.options.consumer);
    this.takeSnapshot(info.num_pending, info.delivered.stream_seq, storedBefore);
    this.noteConsumed(info.num_pending, info.delivered.stream_seq, streamLast);
    if (this.recovery && this.recovery.fills <= 0) {
      const mine = this.inFlight.size + this.buffered.size;
      if (info.num_ack_pending <= mine) {
        // Nothing is pending elsewhere: what was missing came back, was acknowledged by
        // someone else, or no longer exists.
        this.endRecovery();
      } else if (Date.now() > this.recovery.deadline) {
        this.options.onWarning(`NATS consumer ${this.options.consumer}: ${this.recovery.remaining} missing deliveries did not come back within ${Math.round((2 * this.options.ackWaitMs + 10_000) / 1000)} s; reading on (they will be handed out when they come)`);
        this.endRecovery();
      }
    }
  }

  /**
   * Stream sequence up to which every message on this reader's filter is committed (by this
   * reader, or skipped as stored), or undefined until known: what the stream may delete for it.
   */
  consumedThrough(): number | undefined {
    return this.consumed;
  }

  /**
   * Everything below the lowest message this reader holds is committed: messages are handed out
   * in stream order and committed in that order, and a missing one puts the reader in recovery
   * (no answer then). Holding nothing, everything up to the highest it received is committed;
   * and when the server has nothing more for it either, everything up to the stream's end.
   */
  private noteConsumed(undelivered: number, delivered: number, streamLast: number): void {
    if (this.recovery) return;
    let lowest = Number.POSITIVE_INFINITY;
    for (const seq of this.inFlight.keys()) lowest = Math.min(lowest, seq);
    for (const seq of this.buffered.keys()) lowest = Math.min(lowest, seq);
    let through: number;
    if (Number.isFinite(lowest)) through = lowest - 1;
    else if (undelivered === 0 && delivered <= this.highestSeen) through = Math.max(this.highestSeen, streamLast);
    else through = this.highestSeen;
    if (this.consumed === undefined || through > this.consumed) this.consumed = through;
  }

  private takeSnapshot(pending: number, delivered: number, storedBefore: number): void {
    this.snapshot = { pending, delivered };
    const after = this.deliveredAfterSnapshot;
    let keep = after.length;
    while (keep > 0 && after[after.length - keep]! <= delivered) keep--;
    this.deliveredAfterSnapshot = keep === after.length ? after : after.slice(after.length - keep);
    // Stored after the request was sent: possibly counted by the server too, until the next refresh.
    this.storedSinceSnapshot = this.storedTotal - storedBefore;
  }

  /** A message this process published to the reader's subjects was stored at `sequence`. */
  noteStored(sequence: number): void {
    this.storedTotal++;
    this.storedSinceSnapshot++;
    if (sequence > this.highestStored) this.highestStored = sequence;
  }

  /**
   * Events not yet committed by this reader: what it holds, what an earlier reader left, and
   * what the server has not delivered yet. For the all-events consumer the last is exact by
   * sequence: the stream's last sequence (delivered + pending at the snapshot, or the highest
   * this process stored since) minus the highest delivered. For a partition it is the server's
   * count at the snapshot (refreshed every second), less what was delivered after it, plus what
   * this process stored since. Right after a restart it can count one message twice: when the
   * earlier reader handed back (NAK) the last message it had been sent, nats-server 2.9 moves
   * the consumer's delivered sequence back over it but still lists it as awaiting an ack.
   */
  depth(): number {
    const held = this.inFlight.size + this.buffered.size + Math.max(0, this.recovery?.remaining ?? 0);
    let undelivered: number;
    if (this.partition === undefined) {
      const last = Math.max(this.snapshot.delivered + this.snapshot.pending, this.highestStored);
      undelivered = Math.max(0, last - this.highestSeen);
    } else {
      undelivered = Math.max(0, this.snapshot.pending - this.deliveredAfterSnapshot.length + this.storedSinceSnapshot);
    }
    return held + undelivered;
  }

  /** Stops asking the server for messages (first step of closing). */
  stopReading(): void {
    this.closed = true;
    clearInterval(this.keepAlive);
    this.messages?.stop();
  }

  /**
   * Hands back what this reader holds and did not commit (a NAK), so the next reader gets it at
   * once instead of after the ack wait. Call after `stopReading` and a flush: a NAK'd message
   * is sent again straight away, and it must not go to this reader's last pull request.
   */
  async handBack(): Promise<void> {
    try {
      for (const m of this.inFlight.values()) if (!this.fromStream.has(m)) m.nak();
      for (const m of this.buffered.values()) if (!this.fromStream.has(m)) m.nak();
    } catch {
      // Disconnected: the server sends them again after the ack wait instead.
    }
    this.inFlight.clear();
    this.buffered.clear();
    this.ready = [];
    this.held = [];
    await this.running;
    await this.fills;
  }
}

/**
 * The messages of stream sequences `from`..`to` on the reader's filter, read through an
 * ephemeral consumer without acknowledgements (in memory, deleted afterwards, and by the server
 * after a minute unused should this process die first). It does not touch the durable consumer.
 */
async function readStreamRange(options: ConsumerReaderOptions, from: number, to: number): Promise<JsMsg[]> {
  const { js, jsm, stream } = options;
  const durable = await jsm.consumers.info(stream, options.consumer);
  const filter = durable.config.filter_subject;
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
    ...(filter ? { filter_subject: filter } : {}),
    mem_storage: true,
    inactive_threshold: 60_000 * 1_000_000,
  });
  const found: JsMsg[] = [];
  try {
    const consumer = await js.consumers.get(stream, info.name);
    let pending = info.num_pending;
    let last = from - 1;
    while (last < to && pending > 0) {
      // No more than are there: the fetch then ends without waiting for its expiry.
      const batch = await consumer.fetch({ max_messages: Math.min(1000, pending), expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        last = m.seq;
        pending = m.info.pending;
        if (m.seq <= to) found.push(m);
        if (m.seq >= to || pending === 0) break;
      }
      if (got === 0) break;
    }
  } finally {
    await jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
  return found;
}

function insertInOrder(list: JsMsg[], m: JsMsg): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq < m.seq) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, m);
}

function decodeEvent(m: JsMsg): Event | undefined {
  try {
    const value = m.json<Event>();
    return typeof value === 'object' && value !== null && typeof value.id === 'string' && typeof value.tenant === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
