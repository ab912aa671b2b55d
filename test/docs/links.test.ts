import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cdk-app';
import { brokenRelativeLinks, headingAnchors, markdownLinks } from '../support/markdown-links';
import { documentation } from './documentation';

describe('every relative link resolves, anchors included', () => {
  it.each(documentation())('%s', (file) => {
    expect(brokenRelativeLinks(path.join(REPO_ROOT, file), REPO_ROOT)).toEqual([]);
  });

  it('covers the pages the docs promise', () => {
    expect(documentation()).toEqual(
      expect.arrayContaining([
        'docs/flows/x509.md',
        'docs/flows/krypton.md',
        'docs/flows/closed-network.md',
        'docs/flows/funnel.md',
        'docs/operations.md',
        'docs/security.md',
        'docs/configuration.md',
        'docs/decisions/README.md',
        'CONTRIBUTING.md',
      ]),
    );
  });
});

describe('the link checker', () => {
  it("finds links and images, but not inside code, and names GitHub's heading anchors and HTML ones", () => {
    const text = [
      '# Fleet stacks (`KeylessIot-<env>-Fleet-<n>`)',
      '## Where CloudFormation stops: bulk registration',
      '## Tests',
      '<a id="install"></a>',
      '## Tests',
      'See [a](docs/a.md#x) and ![b](img.png "title") but not `[c](d.md)`.',
      '```sh',
      'echo [e](f.md)',
      '```',
    ].join('\n');
    expect(markdownLinks(text)).toEqual([
      { line: 6, target: 'docs/a.md#x' },
      { line: 6, target: 'img.png' },
    ]);
    expect([...headingAnchors(text)]).toEqual([
      'fleet-stacks-keylessiot-env-fleet-n',
      'where-cloudformation-stops-bulk-registration',
      'tests',
      'install',
      'tests-1',
    ]);
  });

  it('reports a missing file, a missing anchor and a way out of the repository', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-links-'));
    try {
      fs.writeFileSync(path.join(root, 'other.md'), '# Here\n');
      fs.writeFileSync(
        path.join(root, 'page.md'),
        '[ok](other.md#here) [gone](missing.md) [anchor](other.md#there) [self](#nowhere) ' +
          '[out](../elsewhere.md) [web](https://example.com/x.md)\n',
      );
      expect(brokenRelativeLinks(path.join(root, 'page.md'), root)).toEqual([
        'line 1: missing.md: no such file',
        'line 1: other.md#there: no heading with anchor #there',
        'line 1: #nowhere: no heading with anchor #nowhere',
        'line 1: ../elsewhere.md: points outside the repository',
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
