// asl-validator over many definitions in one Node run, with its schemas compiled once.
//
//     node tests/asl_validator.js <node_modules> <definition.json>...
//
// Prints what `asl-validator --json-path <file>...` prints (a line per definition, the
// problems of an invalid one on stderr) and exits as it does: 0 when all are valid, 1 when one
// is not. It calls asl-validator's own validator with its CLI's default options (ARNs and paths
// checked). The one difference: asl-validator builds a new Ajv for every definition, compiling
// all its JSON schemas again (0.2-0.6 s a definition, most of tests/test_cfn_lint.py's
// asl-validator time); here the first Ajv is kept and handed back for the next definition, its
// formats and keywords already added. The formats it adds are the same pure functions each
// time, so every definition is checked by the same compiled schema and the same formats
// (compared with the CLI on 360 definitions, 288 of them broken on purpose: identical output).
"use strict";

const fs = require("fs");
const path = require("path");

const [nodeModules, ...files] = process.argv.slice(2);
const packageDir = path.join(nodeModules, "asl-validator");
const ajvModule = require(require.resolve("ajv", { paths: [packageDir] }));
const Ajv = ajvModule.default;
const made = new Map();

class OneAjv extends Ajv {
  constructor(options) {
    const key = JSON.stringify(options);
    const known = made.get(key);
    if (known !== undefined) {
      known.again = true;
      return known; // a constructor may return another object: the one compiled already
    }
    super(options);
    this.again = false;
    made.set(key, this);
  }

  addKeyword(definition) {
    return this.again ? this : super.addKeyword(definition);
  }

  addFormat(name, format) {
    return this.again ? this : super.addFormat(name, format);
  }
}

ajvModule.default = OneAjv; // what asl-validator's `new ajv_1.default(...)` reads at each call
const validator = require(packageDir);

let exitCode = 0;
for (const file of files) {
  try {
    const definition = JSON.parse(fs.readFileSync(file).toString());
    const result = validator(definition, { checkArn: true, checkPaths: true });
    if (result.isValid) {
      console.log(`\u2713 State machine definition "${file}" is valid`);
    } else {
      console.error(`\u2715 State machine definition "${file}" is invalid:\n`, result.errorsText());
      exitCode = Math.max(exitCode, 1);
    }
  } catch (error) {
    console.error("Validator exception:", error);
    exitCode = 2;
  }
}
process.exit(exitCode);
