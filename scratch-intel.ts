import { allScenarios } from './src/simulate/simulate.js';
for (const s of allScenarios()) if (s.intel.trustedIps?.length || s.intel.awsIps?.length) console.log(s.id, JSON.stringify(s.intel));
