#!/usr/bin/env bash
# End-to-end test of the platform layer: deploys the local stack on a kind cluster for real, waits for every
# operator and custom resource, runs each example pipeline once against Kafka and Postgres, produces a burst of
# messages and watches KEDA scale the streaming consumer up and back to zero, backs Postgres up and restores the
# backup into a new cluster, then destroys everything. Each wait has a deadline; on failure it dumps
# events, pod statuses and logs into e2e-dump/.
#
# Needs Docker, kind (0.24 or later: NetworkPolicies are enforced), kubectl, jq, the Pulumi CLI and Node.js 20+.
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

  log "all checks passed"
}

main "$@"
