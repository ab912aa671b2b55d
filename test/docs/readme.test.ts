import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cdk-app';

const read = (file: string): string => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');

describe('README.md', () => {
  const readme = read('README.md');

  it('stays short enough to read in minutes: at most 250 lines, reference lives in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('states the two commands, and CI runs exactly them, main job first', () => {
    expect(readme).toContain('\nnpm ci && npm run synth ');
    expect(readme).toContain('\nnpm test ');
    const ci = read('.ci/run');
    const main = ci.indexOf('\nnpm ci\nnpm run synth');
    const suite = ci.indexOf('\nnpm test -- --json');
    expect(main).toBeGreaterThan(0);
    expect(suite).toBeGreaterThan(main);
    // Anything else CI does (another Node version) comes after the README's commands.
    expect(ci.slice(0, main)).not.toMatch(/^(npm|npx|node) /m);
  });

  it('says how to deploy to your own account: the three commands, and where the operations guide continues', () => {
    const deploy = readme.slice(readme.indexOf('## Deploy to your account')).split('\n## ')[0];
    expect(deploy).toContain('\nnpx cdk bootstrap aws://<account>/<region> ');
    expect(deploy).toContain('\nnpm run synth -- -c env=prod ');
    expect(deploy).toContain('\nnpx cdk deploy --all -c env=prod');
    expect(deploy).toContain('(docs/operations.md#deploy-and-provision-devices)');
  });

  it('sends contributors to CONTRIBUTING.md from its Documentation section', () => {
    const documentation = readme.slice(readme.indexOf('## Documentation')).split('\n## ')[0];
    expect(documentation).toContain('(CONTRIBUTING.md)');
  });

  it("states the Node versions package.json's engines allows", () => {
    expect(readme).toContain(`\`${JSON.parse(read('package.json')).engines.node}\``);
  });

  it('says why each dependency is there', () => {
    const pkg = JSON.parse(read('package.json'));
    const names = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
    const table = readme.slice(readme.indexOf('## Dependencies and why'));
    const named = (name: string): boolean =>
      table.includes(`\`${name}\``) ||
      (name.startsWith('@aws-sdk/client-') && table.includes('`@aws-sdk/client-*`'));
    expect(names.filter((name) => !named(name))).toEqual([]);
  });
});
