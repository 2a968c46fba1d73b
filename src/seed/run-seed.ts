import 'dotenv/config';
import { createServices } from '../app';
import { loadConfig } from '../shared/config';
import { openDatabase, resolveJwtSecret, resolveTicketSigningSecret } from '../server';
import { migrate } from '../shared/db/migrate';
import { DomainEvents } from '../shared/domain-events';
import { createLogger } from '../shared/logger';
import { SEED_USERS, seed } from './seed';

/** `npm run seed`: same database selection as `npm start` (DATABASE_URL, else the embedded one). */
async function main() {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { database, embedded } = await openDatabase(config, logger);
  try {
    await migrate(database.pool, logger);
    const services = createServices({
      // Demo orders are confirmed without money moving, whatever provider the service runs with.
      config: { ...config, payments: { provider: 'simulated', currency: config.payments.currency } },
      logger,
      db: database.db,
      pool: database.pool,
      bus: new DomainEvents(),
      jwtSecret: await resolveJwtSecret(config),
      ticketSigningSecret: await resolveTicketSigningSecret(config),
      lifecycle: { draining: false },
    });
    const report = await seed(database.db, services);
    const nothing = report.usersCreated.length + report.eventsCreated.length === 0;
    console.log(nothing ? 'Seed data already present; nothing changed.' : 'Seed data loaded:');
    if (report.usersCreated.length) console.log(`  users:  ${report.usersCreated.join(', ')}`);
    if (report.eventsCreated.length) console.log(`  events: ${report.eventsCreated.join(', ')}`);
    if (report.ordersCreated) console.log(`  orders: ${report.ordersCreated} (one CONFIRMED, CANCELLED, EXPIRED and RESERVED)`);
    console.log('Accounts:');
    for (const u of SEED_USERS) console.log(`  ${u.role.padEnd(12)} ${u.email} / ${u.password}`);
  } finally {
    await database.close();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
