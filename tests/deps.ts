// The one module tests import assertions from. JSR is unreachable here, so
// it re-exports Node's built-in assert; switching to `@std/assert` is a
// change to this file alone.
export {
  deepStrictEqual as assertEquals,
  notStrictEqual as assertNotStrictEquals,
  ok as assert,
  rejects as assertRejects,
  strictEqual as assertStrictEquals,
  throws as assertThrows,
} from "node:assert/strict";
export { default as assertModule } from "node:assert/strict";
