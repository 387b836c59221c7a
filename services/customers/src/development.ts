/**
 * The admin's password when ADMIN_PASSWORD is not set, outside production (the config refuses that there).
 * A module with no imports, so `pnpm start` prints it without loading the kit (a second more per start).
 */
export const DEVELOPMENT_ADMIN_PASSWORD = 'admin-dev-password';
