import { describeConfigEditsAt } from './config-edits-at-scale';

// 10,000 things run with the unit tests (config-edits-at-scale.test.ts).
describeConfigEditsAt(50_000);
