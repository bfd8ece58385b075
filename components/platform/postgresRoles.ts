/**
 * One Postgres role per pipeline instead of the database owner's credentials: CloudNativePG creates and updates
 * each role declaratively (`spec.managed.roles`, its password from a `kubernetes.io/basic-auth` Secret in the
 * cluster's namespace labelled `cnpg.io/reload`: CloudNativePG documentation, "Database Role Management"), and a Job
 * run as the owner grants each role its declared schemas (CloudNativePG manages roles, not privileges). Pure
 * functions; the Postgres component declares them.
 */
import * as crypto from "crypto";
import { ARGO_ARCHIVE_ROLE } from "../../config/rules";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../lib/podSecurity";
import type { PipelineConfig } from "../../config/schema";

export interface PostgresRole {
  /** The role's name (a pipeline's, or Argo's archive's). */
  name: string;
  read: string[];
  write: string[];
  /** Its password's Secret in the cluster's namespace, mirrored to `secretNamespace` for its clients. */
  secret: string;
  secretNamespace: string;
}

export const roleSecretName = (pipeline: string) => `${pipeline}-postgres`;
export const GRANTS_JOB_LABELS = { "etl-platform/postgres-grants": "true" };

export function pipelineRoles(pipelines: PipelineConfig[], namespace: string): PostgresRole[] {
  return pipelines.filter((pipeline) => pipeline.postgres).map((pipeline) => ({
    name: pipeline.name,
    read: pipeline.postgresSchemas?.read ?? [],
    write: pipeline.postgresSchemas?.write ?? ["public"],
    secret: roleSecretName(pipeline.name),
    secretNamespace: namespace,
  }));
}

/**
 * Argo's workflow archive: a role of its own that may only create and use the schema named after it. Argo's
 * migrations create their tables unqualified (argo-workflows v4.0.6 persist/sqldb/migrate.go, util/sqldb/migrate.go:
 * `create table if not exists argo_archived_workflows ...`), so they land in the first schema of the default
 * search_path `"$user", public` that exists: this one (PostgreSQL documentation, "The Schema Search Path"). An
 * underscore keeps it apart from pipeline roles (DNS labels); its Secret's name from `<pipeline>-postgres`.
 */
export { ARGO_ARCHIVE_ROLE };
export const ARGO_ARCHIVE_SECRET = "argo-archive-credentials";

export function argoArchiveRole(argoNamespace: string): PostgresRole {
  return { name: ARGO_ARCHIVE_ROLE, read: [], write: [ARGO_ARCHIVE_ROLE], secret: ARGO_ARCHIVE_SECRET, secretNamespace: argoNamespace };
}

/**
 * The Cluster's `spec.managed.roles`: a login role each, no superuser, no role or database creation; each retired
 * role `ensure: absent` (CloudNativePG drops it once nothing it owns or was granted is left: the grants Job revokes
 * the grants first).
 */
export function managedRoles(roles: PostgresRole[], retired: string[] = []) {
  return [...roles.map((role) => ({
    name: role.name,
    ensure: "present",
    login: true,
    superuser: false,
    createdb: false,
    createrole: false,
    inherit: true,
    connectionLimit: 20,
    passwordSecret: { name: role.secret },
  })), ...retired.map((name) => ({ name, ensure: "absent" }))];
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Revokes, from each role, everything the owner granted it, in every schema of the database and on the database:
 * a PL/pgSQL block, since the schemas a role was once granted are known only to the database. Schemas are read
 * from pg_namespace without the system ones (pg_catalog, pg_toast and the other pg_*, information_schema). A
 * role that does not exist (not yet created, or already dropped) is skipped. The owner can revoke only what it
 * granted: privileges on a table another role created stay that role's to give (PostgreSQL answers a REVOKE of
 * them with a warning, not an error).
 */
export function revokeAllSql(roles: string[], owner: string): string {
  const body = [
    "DECLARE grantee text; schema_name text;",
    "BEGIN",
    `FOREACH grantee IN ARRAY ARRAY[${roles.map(literal).join(", ")}]::text[] LOOP`,
    "CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = grantee);",
    "EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), grantee);",
    "FOR schema_name IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP",
    "EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', schema_name, grantee);",
    "EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', schema_name, grantee);",
    "EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', schema_name, grantee);",
    `EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON TABLES FROM %I', ${literal(owner)}, schema_name, grantee);`,
    `EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %I', ${literal(owner)}, schema_name, grantee);`,
    "END LOOP;",
    "END LOOP;",
    "END",
  ];
  return `DO $revoke$ ${body.join(" ")} $revoke$;`;
}

/**
 * The grants, converging on the declaration: first every privilege the owner granted the declared and the
 * retired roles is revoked (revokeAllSql), then each write schema exists (owned by the owner), each role may
 * connect, read its read schemas and read and write its write schemas, today's tables and those the owner creates
 * later (default privileges). psql runs one `-c` string as one transaction, so a client never sees its grants
 * missing, and a schema, table or role dropped from the declaration loses its grants on the next run.
 */
export function grantsSql(roles: Pick<PostgresRole, "name" | "read" | "write">[], database: string, owner: string, retired: string[] = []): string {
  const statements: string[] = [revokeAllSql([...roles.map((role) => role.name), ...retired], owner)];
  for (const schema of [...new Set(roles.flatMap((role) => role.write))].sort()) statements.push(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)} AUTHORIZATION ${quote(owner)};`);
  for (const role of roles) {
    const r = quote(role.name);
    statements.push(`GRANT CONNECT ON DATABASE ${quote(database)} TO ${r};`);
    for (const schema of role.read.filter((s) => !role.write.includes(s))) {
      const s = quote(schema);
      statements.push(
        `GRANT USAGE ON SCHEMA ${s} TO ${r};`,
        `GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${r};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quote(owner)} IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${r};`,
      );
    }
    for (const schema of role.write) {
      const s = quote(schema);
      statements.push(
        `GRANT USAGE, CREATE ON SCHEMA ${s} TO ${r};`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r};`,
        `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quote(owner)} IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r};`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quote(owner)} IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${r};`,
      );
    }
  }
  return statements.join("\n");
}

export interface GrantsJobArgs {
  namespace: string;
  sql: string;
  image: string;
  /** The primary's Service, as clients reach it. */
  host: string;
  database: string;
  /** The owner's credentials (CloudNativePG's `<cluster>-app` Secret: username, password). */
  ownerSecret: string;
}

/**
 * The Job that applies the grants as the owner, named after its SQL (a Job's template is immutable: a change of
 * grants is a new Job). It retries while the cluster starts and its roles are reconciled.
 */
export function grantsJob(args: GrantsJobArgs) {
  const hash = crypto.createHash("sha256").update(args.sql).digest("hex");
  const fromOwner = (key: string) => ({ valueFrom: { secretKeyRef: { name: args.ownerSecret, key } } });
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: `postgres-grants-${hash.slice(0, 10)}`, namespace: args.namespace, labels: GRANTS_JOB_LABELS },
    spec: {
      backoffLimit: 10,
      activeDeadlineSeconds: 1800,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: {
        metadata: { labels: GRANTS_JOB_LABELS },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurityContext,
          containers: [{
            name: "grants",
            image: args.image,
            command: ["psql", "-v", "ON_ERROR_STOP=1", "-c", args.sql],
            env: [
              { name: "PGHOST", value: args.host },
              { name: "PGDATABASE", value: args.database },
              { name: "PGSSLMODE", value: "require" },
              { name: "PGUSER", ...fromOwner("username") },
              { name: "PGPASSWORD", ...fromOwner("password") },
              { name: "HOME", value: "/tmp" },
            ],
            securityContext: restrictedContainerSecurityContext,
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          }],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
        },
      },
    },
  };
}
