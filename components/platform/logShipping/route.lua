-- Fluent Bit `lua` filter (LuaJIT, Lua 5.1): names each container log record's CloudWatch log group, and for a
-- pipeline's pods its pipeline and run. The program prepends the tables it reads (fluentBit.ts, routingPrelude):
-- GROUP_PREFIX, OTHER_GROUP, NAMESPACE_GROUPS (namespace -> true), PIPELINES (name -> true), PIPELINES_NAMESPACE,
-- PIPELINE_LABEL. Only groups the program created are named: the agent may not create one.

-- The pipeline and run a pod's name gives, whether or not its labels could still be read: a CronJob's pods are
-- <cronjob>-<minutes since the epoch, 8 digits>-[<index>-]<5 characters> (kubernetes pkg/controller/cronjob
-- getJobName), an Argo CronWorkflow's <cronworkflow>-<Unix seconds, 10 digits>-<template>-<hash> (argo-workflows
-- workflow/cron/operator.go getChildWorkflowName, POD_NAMES v2). Lua patterns are lazy left to right, so a
-- pipeline name that contains digits still splits at the first run of 8 to 10 digits.
local function from_pod_name(pod)
  local name, stamp = string.match(pod, "^(.-)%-(%d%d%d%d%d%d%d%d%d?%d?)%-")
  if name ~= nil and PIPELINES[name] then return name, name .. "-" .. stamp end
  return nil, nil
end

-- An Argo step pod's step: its template, between the workflow's name and the pod's numeric hash.
local function step_of(pod, run)
  if run == nil or string.sub(pod, 1, string.len(run) + 1) ~= run .. "-" then return nil end
  return string.match(string.sub(pod, string.len(run) + 2), "^(.+)%-%d+$")
end

function route(tag, timestamp, record)
  local kubernetes = record["kubernetes"]
  local group = OTHER_GROUP
  if type(kubernetes) == "table" then
    local namespace = kubernetes["namespace_name"]
    if namespace ~= nil and NAMESPACE_GROUPS[namespace] then group = GROUP_PREFIX .. "/" .. namespace end
    if namespace == PIPELINES_NAMESPACE then
      local labels = kubernetes["labels"]
      local labelled = nil
      if type(labels) == "table" then labelled = labels[PIPELINE_LABEL] end
      local named, run = from_pod_name(kubernetes["pod_name"] or "")
      local pipeline = labelled or named
      if pipeline ~= nil and PIPELINES[pipeline] then
        record["pipeline"] = pipeline
        group = GROUP_PREFIX .. "/pipelines/" .. pipeline
      end
      if run ~= nil then record["run"] = run end
      local step = step_of(kubernetes["pod_name"] or "", run)
      if step ~= nil and string.len(run) == string.len(named) + 11 then record["step"] = step end
    end
  end
  record["log_group"] = group
  -- 2: the record changed, its timestamp did not.
  return 2, timestamp, record
end
