/**
 * What an emulator does to the next request instead of answering normally.
 * - `status`: answer this HTTP status (with `body`, default `{"message":"<status text>"}`; a string or Buffer
 *   body is sent byte for byte, an object as JSON), without a Content-Length when `chunked`;
 * - `flood`: answer this HTTP status with a body of `bytes` bytes, with or without a Content-Length, for as
 *   long as the client keeps reading (see `EmulatorServer.lastFlood`);
 * - `delay`: wait `ms`, then answer normally (longer than the client's timeout = a timeout);
 * - `drop`: close the connection without an answer;
 * - `malformed`: answer 200 with a body that is not the documented JSON;
 * - `expired`: answer 200 with credentials that expired a minute ago.
 */
export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly body?: unknown; readonly chunked?: boolean }
  | { readonly kind: 'flood'; readonly status: number; readonly bytes: number; readonly chunked: boolean }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'drop' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'expired' };

/** A fault applied to every request (`times` omitted) or to the next `times` requests, then normal answers. */
export class FaultSwitch {
  private fault: Fault | undefined;
  private remaining = Infinity;

  set(fault: Fault, options: { times?: number } = {}): void {
    this.fault = fault;
    this.remaining = options.times ?? Infinity;
  }

  clear(): void {
    this.fault = undefined;
    this.remaining = Infinity;
  }

  /** The fault for the request being served now, consuming one of `times`. */
  take(): Fault | undefined {
    if (!this.fault || this.remaining <= 0) return undefined;
    this.remaining -= 1;
    return this.fault;
  }
}
