import { afterAll } from 'vitest';
import { useTestEnv } from '../support/env.js';
import { approvalCases } from './approvals.js';
import { claimCases } from './claims.js';
import { fixedCases } from './fixed.js';
import { governanceCases } from './governance.js';
import { injectionCases } from './injection.js';
import { limitCases } from './limits.js';
import { metadataCases } from './metadata.js';
import { originCases } from './origins.js';
import { payloadCases } from './payloads.js';
import { signatureCases } from './signatures.js';
import { createTally } from './tally.js';

// The abuse suite: requests a hostile or broken client could send, each refused or neutralised.
// Every case is counted; the totals are printed at the end.

const h = useTestEnv();
const tally = createTally();

signatureCases(h, tally);
payloadCases(h, tally);
limitCases(h, tally);
injectionCases(h, tally);
metadataCases(h, tally);
fixedCases(h, tally);
claimCases(h, tally);
approvalCases(h, tally);
governanceCases(h, tally);
originCases(h, tally);

afterAll(() => {
  console.log(tally.summary());
});
