/**
 * A Writable that has written once, made when the gateway is loaded and kept for the process's
 * life, so that V8 gives every socket's stream states room for all their fields.
 *
 * V8 sizes the objects of a constructor once its first few instances exist (in-object slack
 * tracking), from the largest shape any live object of it took. A Writable's state gains its
 * last field at its first completed write. When a server's first sockets are made faster than
 * they complete a write (a burst of connections), that field goes to a separate property array
 * in every later stream state: two per connection (the TCP socket's and ws's Receiver's), about
 * 64 bytes more per idle connection, in some runs and not in others. A script that prints through
 * `process.stdout` first (the raw `ws` floor) never sees it; the CLI writes its lines with
 * `writeSync`. The shape is only remembered while an object has it: hence kept, not dropped.
 */
import { Writable } from 'node:stream';

function writtenOnce(): Writable {
  const writable = new Writable({ write: (_chunk, _encoding, done) => done() });
  writable.write('');
  return writable;
}

/** Exported so that it stays reachable; nothing reads it. */
export const writtenStream: Writable = writtenOnce();
