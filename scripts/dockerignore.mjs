// The .dockerignore matcher shared by validate-compose.mjs and docker-steps.sh: a pragmatic
// version of Docker's rules (Go filepath.Match per pattern plus `**`; a matched directory
// excludes its contents; later `!pattern` lines re-include). Node builtins only.
import path from 'node:path';

/** Parses .dockerignore text into a function telling whether a repo-relative path is excluded. */
export function dockerignoreMatcher(text) {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = path.posix.normalize((negate ? line.slice(1) : line).replace(/^\/+/, '')).replace(/\/+$/, '');
      const source = pattern
        .split('/')
        .map((seg) =>
          seg === '**'
            ? '.*'
            : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (rel) => rules.reduce((excluded, rule) => (rule.regex.test(rel) ? !rule.negate : excluded), false);
}
