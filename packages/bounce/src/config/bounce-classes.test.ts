/** `[[bounce.classes]]`: the bounceClasses config extension, through core's loader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPetrelError, parseConfig } from '@petrel/core';
import { BUILTIN_CLASSES } from '../classes.js';
import { Classifier } from '../classifier.js';
import { bounceConfigExtensions } from './bounce-classes.js';

test('a config class reusing a built-in code, ≥ 100, twice or malformed is a config error naming the key and line', () => {
  const load = (toml: string): string => {
    try {
      parseConfig(toml, 'p.toml', { extensions: bounceConfigExtensions });
    } catch (e) {
      assert.ok(isPetrelError(e, 'PETREL_ERR_CONFIG_KEY'), String(e));
      return (e as Error).message;
    }
    return assert.fail('expected a config error');
  };
  assert.equal(
    load('[bounce]\nclassify = true\n\n[[bounce.classes]]\ncode = 10\nname = "Mine"\n'),
    'p.toml:4: bounce.classes[1].code: expected a code no built-in bounce class uses, found 10',
  );
  assert.equal(
    load('[bounce]\nclasses = [{ code = 100, name = "x" }]\n'),
    'p.toml:2: bounce.classes[1].code: expected a whole number from 2 to 99, found 100',
  );
  assert.match(
    load('[[bounce.classes]]\ncode = 55\nname = "a"\n[[bounce.classes]]\ncode = 55\nname = "b"\n'),
    /^p\.toml:4: bounce\.classes\[2\]\.code: expected a code unique among the classes, found 55/,
  );
  assert.match(
    load('[bounce]\nclasses = [{ code = 56, name = "", category = "Fatal", colour = "red" }]\n'),
    /bounce\.classes\[1\]\.colour: unknown key[\s\S]*bounce\.classes\[1\]\.name: expected a non-empty string[\s\S]*bounce\.classes\[1\]\.category: expected one of "Undetermined", "Hard", "Soft", "Block", "Admin", found "Fatal"/,
  );
  assert.match(
    load('[bounce]\nclasses = "55"\n'),
    /p\.toml:2: bounce\.classes: expected a list of bounce class tables/,
  );
  // The refused codes are exactly BUILTIN_CLASSES's: in 2..99 exactly the free codes load.
  const builtin = new Set(BUILTIN_CLASSES.map((k) => k.code));
  for (let code = 2; code < 100; code++) {
    const toml = `[bounce]\nclasses = [{ code = ${code}, name = "x" }]\n`;
    if (builtin.has(code)) assert.match(load(toml), /no built-in bounce class uses/, String(code));
    else
      assert.equal(
        Classifier.fromConfig(parseConfig(toml, 'p.toml', { extensions: bounceConfigExtensions }).bounce).classForId(
          code,
        )?.name,
        'x',
        String(code),
      );
  }
});

test('without the bounce extension a [[bounce.classes]] table is refused, not accepted unchecked', () => {
  assert.throws(
    () => parseConfig('[[bounce.classes]]\ncode = 10\nname = "Mine"\n', 'p.toml'),
    (e: unknown) =>
      isPetrelError(e, 'PETREL_ERR_CONFIG_KEY') &&
      (e as Error).message.startsWith(
        'p.toml:1: bounce.classes: cannot be validated: no config extension "bounceClasses"',
      ),
  );
});
