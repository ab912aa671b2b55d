import { describeConfigEditsAt } from './config-edits-at-scale';

// 50,000 things: config-edits-at-scale.e2e.test.ts (slower: run with the e2e project).
describeConfigEditsAt(10_000);
