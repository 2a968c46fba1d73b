/**
 * Another commit of this project, checked out and built beside this one, so `npm run bench --
 * --compare REF` can run it next to the working tree in one run.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './setup';

const run = (cmd: string, args: string[], cwd: string, log: (line: string) => void) => {
  log(`  $ ${cmd} ${args.join(' ')}   (in ${cwd})`);
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
};

/**
 * A git worktree of `ref` under the temp folder, with its dependencies (npm ci from the local
 * cache, or this tree's node_modules when both lock files are identical) and its build. Kept
 * between runs (one folder per commit), so comparing again against the same commit is quick.
 */
export function buildRef(ref: string, log: (line: string) => void): { root: string; commit: string; label: string } {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  const label = execFileSync('git', ['rev-parse', '--short', commit], { cwd: ROOT, encoding: 'utf8' }).trim();
  const root = path.join(os.tmpdir(), `ticketing-bench-ref-${commit}`);
  const built = path.join(root, '.bench-built');
  if (fs.existsSync(built)) {
    log(`compare: ${ref} (${label}) already built in ${root}`);
    return { root, commit, label };
  }
  log(`compare: building ${ref} (${label}) in ${root}…`);
  if (fs.existsSync(root)) {
    execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: ROOT, stdio: 'ignore' });
    fs.rmSync(root, { recursive: true, force: true });
  }
  execFileSync('git', ['worktree', 'prune'], { cwd: ROOT });
  run('git', ['worktree', 'add', '--detach', root, commit], ROOT, log);
  const sameLock =
    fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8') ===
    fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8');
  if (sameLock && fs.existsSync(path.join(ROOT, 'node_modules'))) {
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    log('  node_modules: same package-lock.json, linked to this tree');
  } else {
    run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], root, log);
  }
  // The same compiler and settings as `npm run build`, without the type check (that commit's CI did it).
  run('npx', ['tsc', '-p', 'tsconfig.build.json', '--noCheck'], root, log);
  fs.writeFileSync(built, `${new Date().toISOString()}\n`);
  return { root, commit, label };
}
