// Prints the README's table of environment variables from settings.ts, so the two never disagree.
import { ENV_VARS } from '../src/settings.js';

console.log('| variable | default | what it does |\n|---|---|---|');
for (const v of ENV_VARS) console.log(`| \`${v.name}\` | ${v.default.startsWith('(') ? v.default : `\`${v.default}\``} | ${v.doc} |`);
