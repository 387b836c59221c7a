// The layer rules, checked by `pnpm lint` (depcruise). Each service is routes → domain → data | clients;
// paths are the resolved files, so `@shop/kit` is packages/kit/src/index.ts.
const INFRA = ['node_modules/(express|pg|@prisma|prisma)/', '^services/[^/]+/src/generated/'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cross-service',
      comment: 'Services talk over HTTP only (clients/); one importing another would share its database and deploy them together.',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'domain-not-to-infra',
      comment:
        'Domain code is plain functions over the entity types and repository interfaces in domain/: no express, pg, Prisma, data/ or routes/ (type-only imports included).',
      severity: 'error',
      from: { path: '^services/[^/]+/src/domain/' },
      to: { path: [...INFRA, '^services/[^/]+/src/(data|routes)/'] },
    },
    {
      name: 'domain-not-to-kit-infra',
      comment:
        "The kit's barrel and its server-side modules load express, pg and Prisma: domain code imports the subpaths it needs (@shop/kit/errors, /auth, /client, /database-faults, /logging, /money, /problem, /read-cache).",
      severity: 'error',
      from: { path: '^services/[^/]+/src/domain/' },
      to: { path: '^packages/kit/src/(index|api|app|database|metrics|server)\\.ts$' },
    },
    {
      name: 'kit-subpaths-stay-light',
      comment: 'What domain code may import from the kit never loads express, pg or Prisma at run time.',
      severity: 'error',
      from: { path: '^packages/kit/src/(errors|auth|client|database-faults|logging|money|problem|read-cache|spans|upstream-faults|fault-windows|uuid)\\.ts$' },
      to: { path: [...INFRA, '^packages/kit/src/(index|api|app|database|metrics|server)\\.ts$'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'routes-not-to-data',
      comment: 'Routes parse input, call the domain and pick the status; storage (data/, pg, Prisma) is reached through the domain only.',
      severity: 'error',
      from: { path: '^services/[^/]+/src/routes/' },
      to: { path: ['^services/[^/]+/src/(data|generated)/', 'node_modules/(pg|@prisma|prisma)/'] },
    },
    {
      name: 'packages-not-to-services',
      comment: 'Shared packages are below every service; a package importing a service would tie all services to it.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^services/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['/generated/', '/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
