// AWS's amazon-states-language-service (the ASL language server behind the AWS Toolkit's
// Step Functions editor) over many definitions in one Node run.
//
//     node tests/asl_language_service.js <node_modules> <definition.json>...
//
// Prints one JSON object: each file's diagnostics (severity 1 error, 2 warning, 3 information,
// 4 hint; the message; the line and character where it starts), the JSON schema's and the
// service's own checks (state names, Next targets, JSONata strings, JSONPath) alike. An empty
// list is a clean definition. The service is the editor's: what the toolkit would underline.
"use strict";

const fs = require("fs");
const path = require("path");

const [nodeModules, ...files] = process.argv.slice(2);
const service = require(path.join(nodeModules, "amazon-states-language-service"));
const { TextDocument } = require(
  require.resolve("vscode-languageserver-textdocument", {
    paths: [path.join(nodeModules, "amazon-states-language-service")],
  }),
);

async function main() {
  const ls = service.getLanguageService({});
  ls.configure({ validate: true, allowComments: false });
  const report = {};
  for (const file of files) {
    const text = fs.readFileSync(file).toString();
    const document = TextDocument.create(`file://${file}`, "json", 1, text);
    const diagnostics = await ls.doValidation(document, ls.parseJSONDocument(document));
    report[file] = diagnostics.map((d) => ({
      severity: d.severity,
      message: d.message,
      line: d.range.start.line,
      character: d.range.start.character,
    }));
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
