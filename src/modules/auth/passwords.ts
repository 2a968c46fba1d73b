import bcrypt from 'bcrypt';

/**
 * Native bcrypt: hashing runs on libuv's thread pool, so a cost-12 hash (~200 ms) never blocks
 * the event loop.
 */
export class PasswordHasher {
  /** Compared against when the email is unknown, so both failures take the same time. */
  private readonly dummyHash: Promise<string>;

  constructor(private readonly cost: number) {
    this.dummyHash = bcrypt.hash('not-a-real-password-0', cost);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const ok = await bcrypt.compare(password, hash ?? (await this.dummyHash));
    return ok && hash !== undefined;
  }
}
