// Prints the option tables of every command as Markdown (docs/configuration.md is made from it).
// Run after `npm run build`: node scripts/options-table.mjs
import { benchOptions, proxyOptions, serveOptions } from '../dist/config/options.js';
import { envName, flagName } from '../dist/config/option.js';

for (const [name, table] of [['serve', serveOptions], ['proxy', proxyOptions], ['bench', benchOptions]]) {
  console.log(`\n### switchboard ${name}\n`);
  console.log('| flag | env | YAML key | default | meaning |');
  console.log('|---|---|---|---|---|');
  for (const [key, option] of Object.entries(table)) {
    const def = key === 'clientApps' ? 'the `demo` app' : option.defaultValue === undefined ? '—' : `\`${JSON.stringify(option.defaultValue)}\``;
    console.log(`| \`--${flagName(key)}\` | \`${envName(key)}\` | \`${key}\` | ${def} | ${option.description.replace(/\|/g, '\\|')} |`);
  }
}
