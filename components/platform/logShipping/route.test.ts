/**
 * The shipped routing script run by LuaJIT, the Lua engine Fluent Bit embeds (Debian's luajit, which .ci/run
 * installs), over records as Fluent Bit's kubernetes filter produces them (`kubernetes.namespace_name`,
 * `pod_name`, `labels`: fluent-bit plugins/filter_kubernetes): every record gets a group the program created, and a
 * pipeline's records their pipeline and run, labels or not.
 */
import { spawnSync } from "child_process";
import { fluentBitConfig, logGroupNames, routingScript, type LogRouting } from "./fluentBit";

const routing: LogRouting = { prefix: "/etl/etl-staging", namespaces: ["kafka", "pipelines", "monitoring"], pipelinesNamespace: "pipelines", pipelines: ["orders-load", "orders-2024-backfill", "daily"] };

interface Routed { log_group: string; pipeline?: string; run?: string; step?: string }

/** Runs route() over each record in LuaJIT; a record is `kubernetes` fields or null (no metadata). */
function route(records: ({ namespace_name?: string; pod_name?: string; labels?: Record<string, string> } | null)[]): Routed[] {
  const lua = (value: unknown): string => value === null || value === undefined ? "nil"
    : typeof value === "string" ? JSON.stringify(value)
      : `{ ${Object.entries(value as Record<string, unknown>).map(([k, v]) => `[${JSON.stringify(k)}] = ${lua(v)}`).join(", ")} }`;
  const harness = `
${routingScript(routing)}
local records = { ${records.map((r) => (r ? `{ kubernetes = ${lua(r)}, log = "x" }` : `{ log = "x" }`)).join(", ")} }
for _, record in ipairs(records) do
  local code, ts, out = route("kube.var.log.containers.x.log", 1700000000, record)
  assert(code == 2 and ts == 1700000000)
  print((out["log_group"] or "") .. "\\t" .. (out["pipeline"] or "") .. "\\t" .. (out["run"] or "") .. "\\t" .. (out["step"] or ""))
end`;
  const result = spawnSync("luajit", ["-"], { input: harness, encoding: "utf8" });
  if (result.error) throw new Error("luajit not found: install Debian's luajit package, as .ci/run does");
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trim().split("\n").map((line) => {
    const [log_group, pipeline, run, step] = line.split("\t");
    return { log_group, ...(pipeline ? { pipeline } : {}), ...(run ? { run } : {}), ...(step ? { step } : {}) };
  });
}

describe("log routing (LuaJIT)", () => {
  it("sends a platform namespace to its group, anything else to the other group", () => {
    expect(route([{ namespace_name: "kafka", pod_name: "etl-brokers-0" }, { namespace_name: "default", pod_name: "debug" }, null])).toEqual([
      { log_group: "/etl/etl-staging/kafka" }, { log_group: "/etl/etl-staging/other" }, { log_group: "/etl/etl-staging/other" },
    ]);
  });

  it("names a pipeline's run from a CronJob pod's name, labels or not, and an Indexed Job's and an Argo step's", () => {
    expect(route([
      { namespace_name: "pipelines", pod_name: "orders-load-29412345-x7k2p", labels: { "etl-platform/pipeline": "orders-load" } },
      // The pod is gone before its metadata was read: no labels.
      { namespace_name: "pipelines", pod_name: "orders-load-29412345-x7k2p" },
      { namespace_name: "pipelines", pod_name: "orders-2024-backfill-29412345-3-abcde" },
      // Argo: <cronworkflow>-<Unix seconds>-<template>-<hash>.
      { namespace_name: "pipelines", pod_name: "daily-1764547200-load-1234567890" },
    ])).toEqual([
      { log_group: "/etl/etl-staging/pipelines/orders-load", pipeline: "orders-load", run: "orders-load-29412345" },
      { log_group: "/etl/etl-staging/pipelines/orders-load", pipeline: "orders-load", run: "orders-load-29412345" },
      { log_group: "/etl/etl-staging/pipelines/orders-2024-backfill", pipeline: "orders-2024-backfill", run: "orders-2024-backfill-29412345" },
      { log_group: "/etl/etl-staging/pipelines/daily", pipeline: "daily", run: "daily-1764547200", step: "load" },
    ]);
  });

  it("keeps a pod of the pipelines namespace that is no declared pipeline (the restore drill, a label naming an undeclared one) in the namespace's group", () => {
    expect(route([
      { namespace_name: "pipelines", pod_name: "postgres-restore-drill-1764547200-restore-99" },
      { namespace_name: "pipelines", pod_name: "manual-run", labels: { "etl-platform/pipeline": "not-declared" } },
    ])).toEqual([{ log_group: "/etl/etl-staging/pipelines" }, { log_group: "/etl/etl-staging/pipelines" }]);
  });

  it("only ever names groups the program creates", () => {
    const created = new Set(logGroupNames(routing));
    const routed = route([
      { namespace_name: "kafka" }, { namespace_name: "pipelines", pod_name: "daily-1764547200-a-1" }, { namespace_name: "elsewhere" }, { namespace_name: "pipelines", pod_name: "x" }, null,
    ]);
    for (const { log_group } of routed) expect(created).toContain(log_group);
  });
});

/**
 * From a container's log file to the record route.lua sees: the tail input tags a file `kube.<path with / as .>`
 * (Tag kube.*), the kubernetes filter strips Kube_Tag_Prefix and reads pod, namespace and container from the rest
 * with KUBE_TAG_TO_REGEX (fluent/fluent-bit plugins/filter_kubernetes/kube_regex.h): the metadata comes from the
 * file's name, so a pod deleted before the agent asked the API server still has its pipeline and run.
 */
const KUBE_TAG_TO_REGEX = /^(?<pod_name>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)_(?<namespace_name>[^_]+)_(?<container_name>.+)-(?<docker_id>[a-z0-9]{64})\.log$/;

describe("tag rules over container log files", () => {
  const config = fluentBitConfig({ routing, refreshIntervalSeconds: 1, bufferMiB: 512, ownNamespace: "logging" });
  const setting = (section: string, key: string) => new RegExp(`^\\s+${key} (.+)$`, "m").exec(section)?.[1];
  const tagOf = (file: string) => {
    expect(setting(config.inputs, "Tag")).toBe("kube.*");
    return `kube.${file.replace(/^\//, "").replace(/\//g, ".")}`;
  };
  const metadataOf = (file: string) => {
    const prefix = setting(config.filters, "Kube_Tag_Prefix")!;
    const tag = tagOf(file);
    expect(tag.startsWith(prefix)).toBe(true);
    const { pod_name, namespace_name, container_name } = KUBE_TAG_TO_REGEX.exec(tag.slice(prefix.length))!.groups!;
    return { pod_name, namespace_name, container_name };
  };
  const id = "0123456789abcdef".repeat(4);

  it("reads pod, namespace and container from the file's name, and routes the pod's lines without its labels", () => {
    const files = [`/var/log/containers/orders-load-29412345-x7k2p_pipelines_main-${id}.log`, `/var/log/containers/daily-1764547200-load-1234567890_pipelines_wait-${id}.log`, `/var/log/containers/etl-brokers-0_kafka_kafka-${id}.log`];
    const metadata = files.map(metadataOf);
    expect(metadata).toEqual([
      { pod_name: "orders-load-29412345-x7k2p", namespace_name: "pipelines", container_name: "main" },
      { pod_name: "daily-1764547200-load-1234567890", namespace_name: "pipelines", container_name: "wait" },
      { pod_name: "etl-brokers-0", namespace_name: "kafka", container_name: "kafka" },
    ]);
    expect(route(metadata)).toEqual([
      { log_group: "/etl/etl-staging/pipelines/orders-load", pipeline: "orders-load", run: "orders-load-29412345" },
      { log_group: "/etl/etl-staging/pipelines/daily", pipeline: "daily", run: "daily-1764547200", step: "load" },
      { log_group: "/etl/etl-staging/kafka" },
    ]);
  });

  it("reads every file of the kubelet's log directory but its own namespace's", () => {
    expect(setting(config.inputs, "Path")).toBe("/var/log/containers/*.log");
    expect(setting(config.inputs, "Exclude_Path")).toBe("/var/log/containers/*_logging_*.log");
  });
});
