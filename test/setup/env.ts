// Tests never read a developer's .env; each test builds the configuration it needs.
process.env.TZ = 'UTC';
