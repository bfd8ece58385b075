/**
 * Fluent Bit's configuration (classic format, the fluent-bit chart's `config.*` values) and its log-group routing.
 * Pure functions: the tests run the routing script under LuaJIT, the engine Fluent Bit embeds.
 */
import * as fs from "fs";
import * as path from "path";
import { PIPELINE_LABEL } from "../pipelines/pod";

/** The log groups of a cluster: one per platform namespace, one per pipeline, and one for anything else. */
export interface LogRouting {
  /** `/etl/<cluster>`. */
  prefix: string;
  namespaces: string[];
  pipelinesNamespace: string;
  pipelines: string[];
}

export const otherGroup = (routing: LogRouting) => `${routing.prefix}/other`;
export const pipelineGroup = (routing: Pick<LogRouting, "prefix">, pipeline: string) => `${routing.prefix}/pipelines/${pipeline}`;

/** Every group the routing can name: the agent writes nowhere else. */
export function logGroupNames(routing: LogRouting): string[] {
  return [...routing.namespaces.map((namespace) => `${routing.prefix}/${namespace}`), ...routing.pipelines.map((pipeline) => pipelineGroup(routing, pipeline)), otherGroup(routing)];
}

const luaString = (value: string) => JSON.stringify(value);
const luaSet = (names: string[]) => `{ ${names.map((name) => `[${luaString(name)}] = true`).join(", ")} }`;

/** The routing script: the tables it reads, then route.lua. */
export function routingScript(routing: LogRouting): string {
  const prelude = [
    `GROUP_PREFIX = ${luaString(routing.prefix)}`,
    `OTHER_GROUP = ${luaString(otherGroup(routing))}`,
    `NAMESPACE_GROUPS = ${luaSet(routing.namespaces)}`,
    `PIPELINES = ${luaSet(routing.pipelines)}`,
    `PIPELINES_NAMESPACE = ${luaString(routing.pipelinesNamespace)}`,
    `PIPELINE_LABEL = ${luaString(PIPELINE_LABEL)}`,
  ];
  return `${prelude.join("\n")}\n\n${fs.readFileSync(path.join(__dirname, "route.lua"), "utf8")}`;
}

/** Where the agent keeps its read offsets and its filesystem buffer on each node (a hostPath). */
export const STATE_DIR = "/var/fluent-bit/state";
export const METRICS_PORT = 2020;
/** The chart mounts `luaScripts` here (fluent-bit chart templates/_pod.tpl). */
const SCRIPTS_DIR = "/fluent-bit/scripts";

export interface FluentBitSettings {
  routing: LogRouting;
  refreshIntervalSeconds: number;
  bufferMiB: number;
  /** The agent's own namespace, whose logs it does not read (an outage would feed on itself). */
  ownNamespace: string;
}

/**
 * The chart's `config` sections. Short Jobs are not lost: the tail input looks for new files every
 * `refreshIntervalSeconds` (Fluent Bit's default of 60 s misses a 30-second Job: scality/Zenko PR #2455), reads a
 * new file from its start, and remembers offsets in a database on the node; namespace, pod and container come
 * from the file's name (the kubernetes filter reads them off the tag), the pipeline and run from the pod's name
 * when its labels are gone (route.lua). A filesystem buffer with unlimited retries keeps what CloudWatch cannot
 * take yet, up to `bufferMiB` per node.
 */
export function fluentBitConfig(settings: FluentBitSettings) {
  const { routing } = settings;
  return {
    service: [
      "[SERVICE]",
      "    Daemon Off",
      "    Flush 1",
      "    Log_Level info",
      "    Parsers_File /fluent-bit/etc/parsers.conf",
      "    HTTP_Server On",
      "    HTTP_Listen 0.0.0.0",
      `    HTTP_Port ${METRICS_PORT}`,
      "    Health_Check On",
      `    storage.path ${STATE_DIR}/buffer/`,
      "    storage.sync normal",
      "    storage.backlog.mem_limit 16M",
      "",
    ].join("\n"),
    inputs: [
      "[INPUT]",
      "    Name tail",
      "    Tag kube.*",
      "    Path /var/log/containers/*.log",
      `    Exclude_Path /var/log/containers/*_${settings.ownNamespace}_*.log`,
      "    multiline.parser cri, docker",
      `    DB ${STATE_DIR}/tail.db`,
      `    Refresh_Interval ${settings.refreshIntervalSeconds}`,
      "    Read_from_Head On",
      "    Rotate_Wait 30",
      "    Skip_Long_Lines On",
      "    storage.type filesystem",
      "",
    ].join("\n"),
    filters: [
      // A stack trace stays one event: Go, Java and Python traces joined on the `log` key.
      "[FILTER]",
      "    Name multiline",
      "    Match kube.*",
      "    multiline.key_content log",
      "    multiline.parser go, java, python",
      "",
      // JSON lines are parsed into `data`; labels for the pipeline, when the pod still exists.
      "[FILTER]",
      "    Name kubernetes",
      "    Match kube.*",
      "    Kube_Tag_Prefix kube.var.log.containers.",
      "    Merge_Log On",
      "    Merge_Log_Key data",
      "    Keep_Log Off",
      "    Labels On",
      "    Annotations Off",
      "    K8S-Logging.Exclude On",
      "    Buffer_Size 0",
      "",
      "[FILTER]",
      "    Name lua",
      "    Match kube.*",
      `    script ${SCRIPTS_DIR}/route.lua`,
      "    call route",
      "",
    ].join("\n"),
    outputs: [
      "[OUTPUT]",
      "    Name cloudwatch_logs",
      "    Match kube.*",
      // The container's AWS_REGION (set by the chart's `env` from the log sink; Fluent Bit expands ${VAR}).
      "    region ${AWS_REGION}",
      // A group the template cannot resolve falls back to this one, which exists.
      `    log_group_name ${otherGroup(routing)}`,
      "    log_group_template $log_group",
      "    log_stream_prefix unnamed-",
      "    log_stream_template $kubernetes['pod_name'].$kubernetes['container_name']",
      "    auto_create_group Off",
      "    Retry_Limit no_limits",
      `    storage.total_limit_size ${settings.bufferMiB}M`,
      "",
    ].join("\n"),
    customParsers: "",
  };
}
