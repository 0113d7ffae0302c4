/**
 * One worker thread of the `detection-partitions` benchmark. It loads the rules and its data,
 * says "ready", waits for "go", runs its job and reports "done" with what it did:
 * - `stateless`: the stateless stage over its share of the events (every W-th chunk of 500,
 *   as workers on one shared consumer get them), encoding each chunk's inputs as the bus would.
 * - `stateful`: decodes and applies the record batches of the partitions it owns.
 * - `both`: a whole detection worker: the stateless stage over its share, its own partitions'
 *   inputs applied here and the others' sent to their owners over MessagePorts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Event } from '../src/core/event.js';
import type { PartitionRecord } from '../src/detect/partition/keyed-input.js';
import { decodePartitionData, encodePartitionData } from '../src/detect/partition/partition-codec.js';
import { PartitionState } from '../src/detect/partition/partition-state.js';
import { StatelessStage, type StatelessOutput } from '../src/detect/partition/stateless-stage.js';
import { LogsourceMap } from '../src/detect/sigma/logsource-map.js';
import { loadRules } from '../src/detect/sigma/rule-loader.js';

export interface WorkerSetup {
  readonly job: 'stateless' | 'stateful' | 'both';
  readonly index: number;
  readonly workers: number;
  readonly partitions: number;
  readonly rules: readonly string[];
  readonly placeholders: Record<string, readonly string[]>;
  readonly chunk: number;
  readonly replays: number;
  /** Added to event times on each replay, so the stream moves forward. */
  readonly replaySpan: number;
}

export type WorkerData =
  | { readonly kind: 'events'; readonly events: readonly Event[]; readonly ports?: readonly (MessagePort | null)[] }
  | { readonly kind: 'records'; readonly batches: Readonly<Record<number, readonly string[]>> };

export interface WorkerDone {
  readonly type: 'done';
  readonly events: number;
  readonly inputs: number;
  readonly records: number;
  readonly detections: number;
  readonly bytes: number;
  readonly ms: number;
}

const setup = workerData as WorkerSetup;
const port = parentPort!;
const ruleSet = loadRules([...setup.rules], { placeholders: setup.placeholders });
const routing = LogsourceMap.load();
const owns = (p: number): boolean => p % setup.workers === setup.index;

/** This worker's share: chunks i, i + W, i + 2W… of the replayed stream. */
function* share(events: readonly Event[]): Generator<Event[]> {
  let n = 0;
  for (let r = 0; r < setup.replays; r++) {
    for (let at = 0; at < events.length; at += setup.chunk, n++) {
      if (n % setup.workers !== setup.index) continue;
      yield events.slice(at, at + setup.chunk).map((e) => (r === 0 ? e : { ...e, id: `${e.id}.${r}`, time: e.time + r * setup.replaySpan }));
    }
  }
}

port.once('message', (data: WorkerData) => {
  warmUp(data);
  port.postMessage({ type: 'ready' });
  port.once('message', () => void run(data).then((done) => port.postMessage(done)));
});

/** The same work on throwaway state first, so the JIT has settled before the clock starts. */
function warmUp(data: WorkerData): void {
  const stage = new StatelessStage(ruleSet, routing, setup.partitions);
  if (data.kind === 'records') {
    for (const [p, batches] of Object.entries(data.batches)) {
      const state = new PartitionState(stage.routes, Number(p), setup.partitions);
      let position = 0;
      for (const text of batches.slice(0, 40)) for (const r of decodePartitionData<PartitionRecord[]>(text)) state.apply(++position, r);
    }
    return;
  }
  const out: StatelessOutput = { detections: [], inputs: [] };
  for (const e of data.events.slice(0, 20_000)) stage.process(e, out);
  encodePartitionData(out.inputs);
}

async function run(data: WorkerData): Promise<WorkerDone> {
  const started = performance.now();
  let events = 0;
  let inputs = 0;
  let records = 0;
  let detections = 0;
  let bytes = 0;
  const states = new Map<number, { state: PartitionState; position: number }>();
  const stage = new StatelessStage(ruleSet, routing, setup.partitions);
  const apply = (list: readonly PartitionRecord[]): void => {
    for (const r of list) {
      let s = states.get(r.partition);
      if (!s) states.set(r.partition, (s = { state: new PartitionState(stage.routes, r.partition, setup.partitions), position: 0 }));
      detections += s.state.apply(++s.position, r).length;
      records++;
    }
  };

  if (data.kind === 'records') {
    for (const [p, batches] of Object.entries(data.batches)) {
      if (!owns(Number(p))) continue;
      for (const text of batches) apply(decodePartitionData<PartitionRecord[]>(text));
    }
  } else if (setup.job === 'stateless') {
    const out: StatelessOutput = { detections: [], inputs: [] };
    for (const chunk of share(data.events)) {
      for (const e of chunk) stage.process(e, out);
      events += chunk.length;
      inputs += out.inputs.length;
      detections += out.detections.length;
      bytes += encodePartitionData(out.inputs).length;
      out.inputs.length = 0;
      out.detections.length = 0;
    }
  } else {
    // A whole worker: peers' inputs for our partitions arrive on the ports, each ending with 'eof'.
    const ports = data.ports ?? [];
    let open = ports.filter((p) => p !== null).length;
    const finished = new Promise<void>((resolve) => {
      if (open === 0) resolve();
      for (const peer of ports) {
        peer?.on('message', (text: string) => {
          if (text === 'eof') {
            // Not close(): that would close the channel both ways before the peer hears our own 'eof'.
            peer.unref();
            if (--open === 0) resolve();
          } else apply(decodePartitionData<PartitionRecord[]>(text));
        });
      }
    });
    const out: StatelessOutput = { detections: [], inputs: [] };
    let chunks = 0;
    for (const chunk of share(data.events)) {
      for (const e of chunk) stage.process(e, out);
      events += chunk.length;
      inputs += out.inputs.length;
      detections += out.detections.length;
      const produced: PartitionRecord[] = ++chunks % 4 === 0 ? [...out.inputs, ...stage.watermarkMarks()] : out.inputs;
      const byOwner = new Map<number, PartitionRecord[]>();
      for (const r of produced) {
        const owner = r.partition % setup.workers;
        const list = byOwner.get(owner) ?? [];
        list.push(r);
        byOwner.set(owner, list);
      }
      for (const [owner, list] of byOwner) {
        if (owner === setup.index) apply(list);
        else {
          const text = encodePartitionData(list);
          bytes += text.length;
          ports[owner]!.postMessage(text);
        }
      }
      out.inputs.length = 0;
      out.detections.length = 0;
      await yieldToLoop(); // let the peers' batches in
    }
    for (const peer of ports) peer?.postMessage('eof');
    await finished;
  }
  return { type: 'done', events, inputs, records, detections, bytes, ms: performance.now() - started };
}
