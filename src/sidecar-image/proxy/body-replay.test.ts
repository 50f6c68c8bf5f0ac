import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyReplay } from './body-replay.js';

/** A sink that keeps what it was written and whether it was ended. */
function sink() {
  const chunks: Buffer[] = [];
  let ended = false;
  const w = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  return { w, text: () => Buffer.concat(chunks).toString(), ended: () => ended };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BodyReplay', () => {
  it('streams the body to the first try and replays it whole to the next', async () => {
    const src = new PassThrough();
    const body = new BodyReplay(src, 10);
    const first = sink();
    body.pipeTo(first.w);
    src.write('abc');
    await tick();
    body.detach(first.w);
    const second = sink();
    body.pipeTo(second.w);
    src.end('de');
    await tick();
    expect([first.text(), first.ended()]).toEqual(['abc', false]);
    expect([second.text(), second.ended()]).toEqual(['abcde', true]);
    expect([body.replayable, body.complete, body.bytes]).toEqual([true, true, 5]);
    const copy = sink();
    body.copyTo(copy.w);
    await tick();
    expect([copy.text(), copy.ended()]).toEqual(['abcde', true]);
  });

  it('is no longer replayable once the body outgrows the limit, and still streams it', async () => {
    const src = new PassThrough();
    const body = new BodyReplay(src, 4);
    const first = sink();
    body.pipeTo(first.w);
    src.end('abcdef');
    await tick();
    expect(first.text()).toBe('abcdef');
    expect([body.replayable, body.complete, body.bytes]).toEqual([false, false, 6]);
  });

  it('does not read the caller before the first try asks', async () => {
    const src = new PassThrough();
    const body = new BodyReplay(src, 4);
    src.write('abcdefgh');
    await tick();
    expect([body.bytes, body.replayable]).toEqual([0, true]);
    const first = sink();
    body.pipeTo(first.w);
    src.end();
    await tick();
    expect(first.text()).toBe('abcdefgh');
  });
});
