import * as fs from 'node:fs';
import * as path from 'node:path';

/** A link found in a Markdown file, with the line it is on. */
export interface MarkdownLink {
  readonly line: number;
  readonly target: string;
}

/** The lines of a Markdown text outside fenced code blocks, each with its 1-based line number. */
export function proseLines(text: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let fence: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(raw);
    if (opening) {
      if (fence === undefined) fence = opening[1][0];
      else if (opening[1][0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) lines.push({ line: index + 1, text: raw });
  });
  return lines;
}

/**
 * The inline links and images of a Markdown text (`[text](target)`, `![alt](target "title")`), outside fenced
 * code blocks and code spans, where brackets are just text.
 */
export function markdownLinks(text: string): MarkdownLink[] {
  return proseLines(text).flatMap(({ line, text: raw }) =>
    [
      ...raw
        .replace(/(`+)[^`]*?\1/g, '')
        .matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g),
    ].map((match) => ({ line, target: match[1] })),
  );
}

/**
 * The anchors a link can name in a file: the ones GitHub gives its headings — the heading's text (link targets
 * and formatting dropped), lower case, every character but letters, digits, `_`, `-` and spaces removed, spaces
 * turned into `-`; a repeated slug gets `-1`, `-2`, … as GitHub's slugger does — and explicit HTML anchors,
 * `<a id="…">` or `<a name="…">`.
 */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text: raw } of proseLines(text)) {
    for (const html of raw.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(html[1]);
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (!heading) continue;
    const base = heading[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative links of `file` that do not resolve inside `root`: `line N: target: why`. */
export function brokenRelativeLinks(file: string, root: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const broken: string[] = [];
  for (const { line, target } of markdownLinks(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, … : not a file of this repository
    const [pathPart, anchor] = splitAnchor(decodeURI(target));
    const resolved = pathPart === '' ? file : path.resolve(path.dirname(file), pathPart);
    const problem = (why: string) => broken.push(`line ${line}: ${target}: ${why}`);
    if (path.relative(root, resolved).startsWith('..')) {
      problem('points outside the repository');
    } else if (!fs.existsSync(resolved)) {
      problem('no such file');
    } else if (anchor !== undefined) {
      if (!resolved.endsWith('.md')) problem('an anchor into a file that is not Markdown');
      else if (!headingAnchors(fs.readFileSync(resolved, 'utf8')).has(anchor))
        problem(`no heading with anchor #${anchor}`);
    }
  }
  return broken;
}

function splitAnchor(target: string): [string, string | undefined] {
  const hash = target.indexOf('#');
  return hash === -1 ? [target, undefined] : [target.slice(0, hash), target.slice(hash + 1)];
}
