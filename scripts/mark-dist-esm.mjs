// ncc writes each bundle as an ES module; a package.json beside it makes Node load it as one,
// whatever package.json the action is checked out under.
import { writeFileSync } from 'node:fs';

for (const entry of ['main', 'post']) {
  writeFileSync(`dist/${entry}/package.json`, '{\n  "type": "module"\n}\n');
}
