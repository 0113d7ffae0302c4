/**
 * The JSON shape of a record, as evtx_dump -o json prints it, on small synthetic records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEvtx, type JsonTree } from './evtx-decoder.js';
import { BinXmlWriter, buildChunk, buildEvtx, openDirect, templateInstance, u16Value, utf16Value, type SubstitutionValue } from '../../../test/support/evtx-fixture-builder.js';

function decodeOne(body: (w: BinXmlWriter) => void, values: readonly SubstitutionValue[] = []): JsonTree | undefined {
  const { records, damage } = decodeEvtx(buildEvtx([buildChunk([(w) => void templateInstance(w, body, values)], 1)]));
  assert.deepEqual(damage, []);
  return records[0]?.event;
}

const NULL: SubstitutionValue = { type: 0x00, data: Buffer.alloc(0) };

test('an element with attributes and text has #attributes and #text; numbers stay numbers', () => {
  const event = decodeOne(
    (w) => w.open('Event', false).closeStart().open('EventID', true).attribute('Qualifiers').sub(0, 0x06).closeStart().sub(1, 0x06).end().end(),
    [u16Value(16384), u16Value(7045)],
  );
  assert.deepEqual(event, { Event: { EventID: { '#attributes': { Qualifiers: 16384 }, '#text': 7045 } } });
});

test('attributes whose optional substitution is empty are dropped; an element left bare is null', () => {
  const event = decodeOne(
    (w) => w.open('Event', false).closeStart().open('Security', true).attribute('UserID').sub(0, 0x13, true).closeEmpty().end(),
    [NULL],
  );
  assert.deepEqual(event, { Event: { Security: null } });
});

test('repeated element names become an array; unnamed Data values collect under #text', () => {
  const event = decodeOne(
    (w) => {
      w.open('Event', false).closeStart().open('EventData', false).closeStart();
      for (let i = 0; i < 3; i++) w.open('Data', false).closeStart().sub(i, 0x01).end();
      for (let i = 0; i < 2; i++) w.open('Binary', false).closeStart().text(`B${i}`).end();
      w.end().end();
    },
    [utf16Value('a'), utf16Value('b'), utf16Value('c')],
  );
  assert.deepEqual(event, { Event: { EventData: { Data: { '#text': ['a', 'b', 'c'] }, Binary: ['B0', 'B1'] } } });
});

test('character and entity references join the surrounding text', () => {
  const event = decodeOne((w) => {
    w.open('Event', false).closeStart().open('Message', false).closeStart().text('a');
    w.u8(0x08).u16(0x26); // &#38;
    w.u8(0x09).name('lt');
    w.text('b').end().end();
  });
  assert.deepEqual(event, { Event: { Message: 'a&<b' } });
});

test('CDATA is text; a processing instruction has no place in the JSON and is skipped', () => {
  const event = decodeOne((w) => {
    w.open('Event', false).closeStart();
    w.u8(0x0a).name('xml-stylesheet').u8(0x0b).u16(4).utf16('a=b;');
    w.open('Script', false).closeStart().u8(0x07).u16(5).utf16('x < y').end();
    w.end();
  });
  assert.deepEqual(event, { Event: { Script: 'x < y' } });
});

test('a record may hold elements directly, without a template instance', () => {
  const direct = (w: BinXmlWriter): void => {
    w.u8(0x0f).u8(1).u8(1).u8(0);
    openDirect(w, 'Event').u8(0x02);
    openDirect(w, 'Computer').u8(0x02).text('dc-1').end();
    w.end().u8(0x00);
  };
  const { records, damage } = decodeEvtx(buildEvtx([buildChunk([direct], 1)]));
  assert.deepEqual(damage, []);
  assert.deepEqual(records[0]?.event, { Event: { Computer: 'dc-1' } });
});
