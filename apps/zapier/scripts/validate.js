'use strict';

// The offline part of `zapier validate`: the platform's structural (JSON schema) validation
// of the app definition, run the way the CLI runs it (`createAppHandler(app)` with the
// `validate` command, zapier-platform-schema's validator). The CLI's other part, the
// "integration checks", is a call to Zapier's servers (`--without-style` skips it).
// Exit 1 and print every error when the definition is invalid.

const zapier = require('zapier-platform-core');
const app = require('../index.js');

const main = async () => {
  const handler = zapier.createAppHandler(app);
  const response = await handler({ command: 'validate', calledFromCli: true });
  const errors = response.results || [];
  for (const e of errors) {
    console.error(`${String(e.property).replace(/^instance/, 'App')}: ${e.message}`);
  }
  if (errors.length) {
    console.error(`${errors.length} structural error(s): the definition is invalid.`);
    process.exitCode = 1;
  } else {
    console.log('The definition is structurally sound (zapier-platform-schema).');
  }
};

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
