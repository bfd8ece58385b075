#!/usr/bin/env bash
# End-to-end test of the platform layer: deploys the local stack on a kind cluster for real, waits for every
# operator and custom resource, runs each example pipeline once against Kafka and Postgres (the indexed one's two
# tasks, the steps pipeline's Argo workflow with its step logs checked in the store), produces a burst of messages
# and watches KEDA scale the streaming consumer up and back to zero, runs the restore drill's workflow and checks
# its metrics and clean-up, runs `pulumi up` again with a new pipeline and checks the store admits its writes,
# backs Postgres up and restores the backup into a new cluster, then destroys everything. Each wait has a deadline; on failure it dumps
# events, pod statuses and logs into e2e-dump/.
#
# Needs Docker, kind (0.24 or later: NetworkPolicies are enforced), kubectl, jq, curl, the Pulumi CLI and Node.js 20+.
#   bash scripts/e2e-local.sh            # E2E_KEEP=1 keeps the cluster afterwards
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLUSTER=etl-local
CONTEXT="kind-${CLUSTER}"
STACK=local
DUMP_DIR="${ROOT}/e2e-dump"
# The local stack holds no real secret: its passphrase is fixed and public (README.md), so fork pull requests,
# which get no secrets, can run this too.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-etl-platform-local-not-secret}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://${ROOT}/.pulumi-local}"
export PULUMI_SKIP_UPDATE_CHECK=true

kube() { kubectl --context "${CONTEXT}" "$@"; }
log() { printf '\n[e2e %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# wait_until SECONDS DESCRIPTION COMMAND...: runs COMMAND every 10 s until it succeeds or the deadline passes.
wait_until() {
  local deadline=$(( $(date +%s) + $1 )) what=$2
  shift 2
  log "waiting (up to $(( deadline - $(date +%s) ))s) for ${what}"
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "${deadline}" ]; then
      log "timed out waiting for ${what}"
      return 1
    fi
    sleep 10
  done
}

dump() {
  log "failure: dumping cluster state into ${DUMP_DIR}"
  mkdir -p "${DUMP_DIR}"
  kube get events -A --sort-by=.lastTimestamp > "${DUMP_DIR}/events.txt" 2>&1 || true
  kube get pods -A -o wide > "${DUMP_DIR}/pods.txt" 2>&1 || true
  kube get kafka,kafkanodepool,kafkatopic,kafkauser,clusters.postgresql.cnpg.io,backups.postgresql.cnpg.io,cronworkflows,workflows,jobs -A > "${DUMP_DIR}/resources.txt" 2>&1 || true
  local namespace pod
  while read -r namespace pod; do
    kube logs -n "${namespace}" "${pod}" --all-containers --tail=200 > "${DUMP_DIR}/logs-${namespace}-${pod}.txt" 2>&1 || true
  done < <(kube get pods -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name 2>/dev/null || true)
}

cleanup() {
  local status=$?
  if [ "${status}" -ne 0 ]; then dump; fi
  # The second `pulumi up` edits the stack file; give the checkout back as it was.
  git -C "${ROOT}" checkout -- stacks/Pulumi.local.yaml 2>/dev/null || true
  if [ "${E2E_KEEP:-0}" != "1" ]; then
    log "destroying the stack and the cluster"
    (cd "${ROOT}" && pulumi destroy --stack "${STACK}" --yes --skip-preview --non-interactive) || true
    kind delete cluster --name "${CLUSTER}" || true
  fi
  exit "${status}"
}
trap cleanup EXIT

# run_pipeline CRONJOB CHECK-REGEX: runs the CronJob once as a Job and checks its output.
run_pipeline() {
  local cronjob=$1 expected=$2 job
  job="e2e-$1-$(date +%s)"
  log "running pipeline ${cronjob} once"
  kube -n pipelines create job --from="cronjob/${cronjob}" "${job}"
  if ! kube -n pipelines wait --for=condition=Complete "job/${job}" --timeout=300s; then
    log "pipeline ${cronjob} did not complete"
    return 1
  fi
  kube -n pipelines logs "job/${job}" | grep -Eq "${expected}"
}

# run_indexed CRONJOB COMPLETIONS: runs an Indexed CronJob once and checks that every index succeeded.
run_indexed() {
  local job
  job="e2e-$1-$(date +%s)"
  log "running the indexed pipeline $1 once ($2 indexes)"
  kube -n pipelines create job --from="cronjob/$1" "${job}"
  kube -n pipelines wait --for=condition=Complete "job/${job}" --timeout=300s
  [ "$(kube -n pipelines get job "${job}" -o jsonpath='{.status.succeeded}')" = "$2" ]
}

# submit_workflow CRONWORKFLOW: submits a run of the CronWorkflow (a Workflow whose spec is its workflowSpec, as
# `argo submit --from cronwf/<name>` does, without the CronWorkflow's own label, so its history limits leave the
# run alone) and prints the Workflow's name.
# A jq program ($name is jq's variable, not the shell's).
# shellcheck disable=SC2016
WORKFLOW_FROM_CRON='{apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", metadata: {generateName: ($name + "-e2e-"), namespace: "pipelines", labels: .metadata.labels}, spec: .spec.workflowSpec}'
submit_workflow() {
  kube -n pipelines get cronworkflow "$1" -o json | jq --arg name "$1" "${WORKFLOW_FROM_CRON}" | kube create -o jsonpath='{.metadata.name}' -f -
}

workflow_succeeded() { [ "$(kube -n pipelines get workflow "$1" -o jsonpath='{.status.phase}')" = Succeeded ]; }
workflow_failed() { kube -n pipelines get workflow "$1" -o jsonpath='{.status.phase}' | grep -Eqx 'Failed|Error'; }

# wait_for_workflow NAME SECONDS: until it succeeds; a failed run stops the test at once.
wait_for_workflow() {
  local deadline=$(( $(date +%s) + $2 ))
  log "waiting (up to $2s) for the workflow $1 to succeed"
  until workflow_succeeded "$1"; do
    if workflow_failed "$1" || [ "$(date +%s)" -ge "${deadline}" ]; then
      log "the workflow $1 did not succeed: $(kube -n pipelines get workflow "$1" -o jsonpath='{.status.phase} {.status.message}')"
      return 1
    fi
    sleep 10
  done
}

# check_step_logs WORKFLOW PIPELINE: each step's archived log (Argo's `main-logs` artifact, at the key the
# workflow's status records) exists in the store under the pipeline's own prefix, read through the store's filer.
check_step_logs() {
  local keys key
  keys=$(kube -n pipelines get workflow "$1" -o json | jq -r '.status.nodes[] | .outputs.artifacts[]? | select(.name == "main-logs") | .s3.key')
  [ -n "${keys}" ]
  for key in ${keys}; do
    case "${key}" in "$2/"*) ;; *) log "step log ${key} is outside the prefix $2/"; return 1 ;; esac
    kube -n objectstore exec deploy/seaweedfs-all-in-one -- wget -qO- "http://localhost:8888/buckets/argo-artifacts/${key}" > /dev/null
  done
  log "step logs of $1: ${keys//$'\n'/ }"
}

# prometheus_has QUERY: the query returns at least one series (through a port-forward: the monitoring namespace
# admits nothing from outside).
prometheus_has() {
  local result
  kube -n monitoring port-forward svc/kube-prometheus-prometheus 19090:9090 > /dev/null 2>&1 &
  local forward=$!
  sleep 3
  result=$(curl -fsS --get --data-urlencode "query=$1" http://127.0.0.1:19090/api/v1/query || true)
  kill "${forward}" 2>/dev/null || true
  [ "$(printf '%s' "${result}" | jq '.data.result | length')" -gt 0 ]
}

drill_namespace_empty() { [ -z "$(kube -n postgres-drill get clusters.postgresql.cnpg.io,objectstores.barmancloud.cnpg.io,jobs -o name)" ]; }

# check_workflows: the steps pipeline and the restore drill each run once, for real.
check_workflows() {
  local run
  run=$(submit_workflow report-steps)
  wait_for_workflow "${run}" 600
  check_step_logs "${run}" report-steps

  run=$(submit_workflow postgres-restore-drill)
  wait_for_workflow "${run}" 1500
  wait_until 300 "the drill's metrics in Prometheus" prometheus_has 'argo_workflows_etl_restore_drill_last_success_timestamp_seconds'
  wait_until 300 "the drill to clean up after itself" drill_namespace_empty
}

# Adds late-steps, a copy of report-steps, to the local stack file (run from the repository's root).
# shellcheck disable=SC2016
ADD_LATE_PIPELINE='
  const fs = require("fs"); const { parseDocument } = require("yaml");
  const file = "stacks/Pulumi.local.yaml"; const doc = parseDocument(fs.readFileSync(file, "utf8"));
  const pipelines = doc.getIn(["config", "etl-platform:pipelines"]).toJSON();
  const steps = pipelines.find((p) => p.name === "report-steps");
  doc.setIn(["config", "etl-platform:pipelines"], [...pipelines, { ...steps, name: "late-steps" }]);
  fs.writeFileSync(file, doc.toString());'

# add_pipeline_and_update: a second `pulumi up` that adds a steps pipeline (a new store grant), then its run must
# write its step logs: the store reloads identities only at start-up, so this fails unless the store rolled.
add_pipeline_and_update() {
  log "adding the pipeline late-steps and running pulumi up again"
  node -e "${ADD_LATE_PIPELINE}"
  pulumi up --stack "${STACK}" --yes --skip-preview --non-interactive
  wait_until 300 "the store to roll with the new identity" kube -n objectstore rollout status deployment/seaweedfs-all-in-one --timeout=5s
  local run
  run=$(submit_workflow late-steps)
  wait_for_workflow "${run}" 600
  check_step_logs "${run}" late-steps
}

# replicas_of DEPLOYMENT: its current replicas (the API omits 0).
replicas_of() {
  local replicas
  replicas=$(kube -n pipelines get deployment "$1" -o jsonpath='{.status.replicas}')
  echo "${replicas:-0}"
}
replicas_at_least() { [ "$(replicas_of "$1")" -ge "$2" ]; }
replicas_are() { [ "$(replicas_of "$1")" -eq "$2" ]; }

# produce_burst COUNT: the kafka-roundtrip pipeline's Job (its identity, credentials and NetworkPolicy) producing
# COUNT messages into orders instead of its round trip.
produce_burst() {
  local job producer
  job="e2e-burst-$(date +%s)"
  # Single quotes on purpose: the container's shell expands these variables, not this one.
  # shellcheck disable=SC2016
  producer='set -e; for i in $(seq 1 '"$1"'); do echo "burst $i"; done | /usr/bin/kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username="$KAFKA_USERNAME" -X sasl.password="$KAFKA_PASSWORD" -X ssl.ca.location="$KAFKA_SSL_CA_LOCATION" -t orders -P'
  kube -n pipelines create job --from=cronjob/kafka-roundtrip "${job}" --dry-run=client -o json \
    | jq --arg producer "${producer}" '.spec.template.spec.containers[0].args = [$producer]' \
    | kube apply -f -
  kube -n pipelines wait --for=condition=Complete "job/${job}" --timeout=300s
}

# check_streaming: the streaming consumer starts at zero; a burst of 60 messages (lag 60, lagThreshold 10, two
# partitions) makes KEDA scale it to 2; once the lag is consumed it goes back to 0 (stack file: orders-consumer).
check_streaming() {
  wait_until 300 "the KafkaUser orders-consumer" kube -n pipelines wait --for=condition=Ready kafkauser/orders-consumer --timeout=5s
  wait_until 300 "the ScaledObject orders-consumer" kube -n pipelines wait --for=condition=Ready scaledobject/orders-consumer --timeout=5s
  wait_until 600 "the consumer to rest at zero" replicas_are orders-consumer 0
  log "producing a burst of 60 messages into orders"
  produce_burst 60
  wait_until 300 "KEDA to scale the consumer to 2" replicas_at_least orders-consumer 2
  wait_until 900 "the consumer to drain the lag and scale back to zero" replicas_are orders-consumer 0
}

psql_in() { kube -n postgres exec "$1-1" -c postgres -- psql -d etl -tAc "$2"; }

main() {
  cd "${ROOT}"
  log "creating the kind cluster ${CLUSTER}"
  kind get clusters | grep -qx "${CLUSTER}" || kind create cluster --config kind/etl-local.yaml --wait 120s

  log "deploying the local stack"
  npm ci --no-audit --no-fund
  mkdir -p "${ROOT}/.pulumi-local"
  pulumi login "${PULUMI_BACKEND_URL}"
  pulumi stack select --create "${STACK}"
  pulumi up --stack "${STACK}" --yes --skip-preview --non-interactive

  for namespace in strimzi cnpg-system argo monitoring objectstore keda; do
    wait_until 600 "the deployments of ${namespace}" kube -n "${namespace}" wait --for=condition=Available deployment --all --timeout=5s
  done
  wait_until 900 "Kafka etl" kube -n kafka wait --for=condition=Ready kafka/etl --timeout=5s
  wait_until 300 "the topic orders" kube -n kafka wait --for=condition=Ready kafkatopic/orders --timeout=5s
  wait_until 300 "the KafkaUser kafka-roundtrip" kube -n pipelines wait --for=condition=Ready kafkauser/kafka-roundtrip --timeout=5s
  wait_until 900 "Postgres etl" kube -n postgres wait --for=condition=Ready clusters.postgresql.cnpg.io/etl --timeout=5s
  wait_until 300 "the mirrored Postgres secret" kube -n pipelines get secret etl-app -o jsonpath='{.data.password}'

  run_pipeline kafka-roundtrip '^e2e [0-9]+$'
  run_pipeline postgres-write '^INSERT 0 1$'
  [ "$(psql_in etl 'SELECT count(*) FROM e2e_runs')" -ge 1 ]

  run_indexed indexed-echo 2
  check_streaming

  log "taking a backup into the in-cluster object store"
  kube apply -f - <<'YAML'
apiVersion: postgresql.cnpg.io/v1
kind: Backup
metadata: { name: e2e, namespace: postgres }
spec:
  cluster: { name: etl }
  method: plugin
  pluginConfiguration: { name: barman-cloud.cloudnative-pg.io }
YAML
  wait_until 600 "the backup to complete" sh -c "kubectl --context ${CONTEXT} -n postgres get backup e2e -o jsonpath='{.status.phase}' | grep -qx completed"

  log "restoring the backup into the cluster etl-restore"
  kube apply -f - <<'YAML'
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: { name: etl-restore, namespace: postgres }
spec:
  instances: 1
  # The backup's major version (versions.ts, postgresImages["17"]): a restore cannot change it.
  imageName: ghcr.io/cloudnative-pg/postgresql:17.6
  storage: { size: 2Gi, storageClass: standard }
  walStorage: { size: 1Gi, storageClass: standard }
  bootstrap:
    recovery: { source: origin }
  externalClusters:
    - name: origin
      plugin:
        name: barman-cloud.cloudnative-pg.io
        parameters: { barmanObjectName: etl-backups, serverName: etl }
YAML
  wait_until 900 "the restored cluster" kube -n postgres wait --for=condition=Ready clusters.postgresql.cnpg.io/etl-restore --timeout=5s
  [ "$(psql_in etl-restore 'SELECT count(*) FROM e2e_runs')" -ge 1 ]
  kube -n postgres delete clusters.postgresql.cnpg.io/etl-restore --wait=false

  # After the backup: the drill restores the latest one.
  check_workflows
  add_pipeline_and_update

  log "all checks passed"
}

main "$@"
