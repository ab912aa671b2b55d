import { Writable } from 'node:stream';

/** A command's stdout and stderr, collected apart (the streams a command takes as a dependency). */
export function capturedStreams(): {
  streams: { stdout: Writable; stderr: Writable };
  out: { stdout: string; stderr: string };
} {
  const out = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out[key] += chunk.toString();
        done();
      },
    });
  return { streams: { stdout: sink('stdout'), stderr: sink('stderr') }, out };
}
