/**
 * The SORACOM credential ids the Funnel key rotation creates in `new-credential` mode, and the one exact
 * pattern that recognises them. The rotation builds ids here and matches SIM groups here; the config checks a
 * Krypton credential id against the same pattern. An id the pattern does not match is never the rotation's:
 * its groups are never switched and it is never deleted.
 */
export class FunnelCredentialIds {
  /** `^<prefix>-<yyMMdd>(-<HHmmss>)?$`, dates and times in UTC and only ones that exist on a calendar. */
  public readonly pattern: RegExp;
  /** The pattern as a person reads it, for messages: `<prefix>-<yyMMdd>[-HHmmss]`. */
  public readonly shape: string;

  constructor(public readonly prefix: string) {
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    const day = '\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])';
    const time = '(?:[01]\\d|2[0-3])[0-5]\\d[0-5]\\d';
    this.pattern = new RegExp(`^${escaped}-${day}(?:-${time})?$`);
    this.shape = `${prefix}-<yyMMdd>[-HHmmss]`;
  }

  /**
   * The id of a rotation at `at`: `<prefix>-<yyMMdd>`, or `<prefix>-<yyMMdd>-<HHmmss>` when the day's id is
   * taken (a second rotation on one day).
   */
  forRotation(at: Date, dayIdTaken: boolean): string {
    const iso = at.toISOString();
    const day = `${this.prefix}-${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
    const id = dayIdTaken ? `${day}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}` : day;
    // The ids made and the ids matched come from one definition: an id this class makes always matches.
    if (!this.matches(id)) throw new Error(`internal: credential id ${id} does not match ${this.shape}`);
    return id;
  }

  /** Is `id` one the rotation creates (exactly, letter case included)? */
  matches(id: string): boolean {
    return this.pattern.test(id);
  }

  /**
   * Could the rotation ever create `id`, letter case aside? SORACOM does not document whether credential ids
   * are case-sensitive, so a check that must rule out a collision ignores case.
   */
  couldCreate(id: string): boolean {
    return new RegExp(this.pattern.source, 'i').test(id);
  }
}
