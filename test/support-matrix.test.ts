/** The checked-in kernel support matrix matches the backends' tables (the answer to tfjs #4325). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { supportMatrixMarkdown } from "../scripts/support-matrix.js";

test("docs/support-matrix.md is current", () => {
  const have = readFileSync(new URL("../docs/support-matrix.md", import.meta.url), "utf8");
  assert.equal(have, supportMatrixMarkdown(), "regenerate: node --import tsx scripts/support-matrix.ts > docs/support-matrix.md");
});
