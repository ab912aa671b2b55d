import { documentation, readRepoFile } from './documentation';

/**
 * No doc names a test file. Lists of test files went stale as tests moved and split; a page says what is proved and
 * links the folder (`[test/cli/](../test/cli/)`), which mirrors the code it tests. Patterns are fine
 * (`*.e2e.test.ts`, `test/<folder>/<module>.test.ts`): they name a convention, not a file.
 */

/**
 * bench/README.md records measurements, and a mutation score is a measurement of one module against the test files
 * it ran: that record names them.
 */
const RECORDS = ['bench/README.md'];

/** The test files a Markdown text names, with their line numbers; glob and `<placeholder>` patterns excepted. */
function namedTestFiles(text: string): string[] {
  return text.split('\n').flatMap((line, index) =>
    [...line.matchAll(/[^\s`'"()[\]|:]*\.test\.ts\b/g)]
      .map((match) => match[0])
      .filter((name) => !/[*<]/.test(name))
      .map((name) => `line ${index + 1}: ${name}`),
  );
}

test.each(documentation().filter((file) => !RECORDS.includes(file)))(
  '%s names no test file (it says what is proved and links the folder)',
  (file) => {
    expect(namedTestFiles(readRepoFile(file))).toEqual([]);
  },
);

test('the check finds names, paths and brace lists, and lets patterns and folder links through', () => {
  const text = [
    'proved by `test/cli/enroll.test.ts` and install.test.ts',
    'also `test/constructs/{a,b}.test.ts` (see [test/cli/](../test/cli/))',
    'every `*.e2e.test.ts`; `lib/x/y.ts` is tested by `test/<folder>/<module>.test.ts`',
  ].join('\n');
  expect(namedTestFiles(text)).toEqual([
    'line 1: test/cli/enroll.test.ts',
    'line 1: install.test.ts',
    'line 2: test/constructs/{a,b}.test.ts',
  ]);
});
