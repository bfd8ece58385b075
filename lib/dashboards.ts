/** Grafana dashboards as data (provisioned as ConfigMaps that the Grafana sidecar loads), and their JSON. */

/** A time series of a Prometheus query. */
export interface Panel {
  title: string;
  expr: string;
  unit?: string;
  /** Legend template, e.g. `{{cronjob}}`. */
  legend?: string;
}

/** A logs panel of a CloudWatch Logs Insights query over some log groups. */
export interface LogsPanel {
  title: string;
  logs: { datasourceUid: string; region: string; logGroupNames: string[]; query: string };
}

/** A dashboard variable: a fixed list of values, or free text. */
export interface Variable {
  name: string;
  label: string;
  /** The values to choose from (with "All"); free text when absent. */
  values?: string[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: (Panel | LogsPanel)[];
  variables?: Variable[];
}

const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

function panelJson(panel: Panel | LogsPanel) {
  if ("logs" in panel) {
    // Grafana's CloudWatch data source, Logs Insights mode (grafana/grafana public/app/plugins/datasource/cloudwatch).
    return {
      type: "logs",
      datasource: { type: "cloudwatch", uid: panel.logs.datasourceUid },
      targets: [{ refId: "A", queryMode: "Logs", region: panel.logs.region, logGroupNames: panel.logs.logGroupNames, expression: panel.logs.query, id: "", statsGroups: [] }],
      options: { showTime: true, wrapLogMessage: true, sortOrder: "Descending" },
    };
  }
  return {
    type: "timeseries",
    datasource: { type: "prometheus", uid: "prometheus" },
    fieldConfig: { defaults: { unit: panel.unit ?? "short" }, overrides: [] },
    targets: [{ refId: "A", expr: panel.expr, legendFormat: panel.legend ?? "" }],
  };
}

function variableJson(variable: Variable) {
  if (!variable.values) return { name: variable.name, label: variable.label, type: "textbox", query: "", current: { text: "", value: "" } };
  return {
    name: variable.name,
    label: variable.label,
    type: "custom",
    query: variable.values.join(","),
    includeAll: true,
    allValue: ".*",
    multi: false,
    current: { text: "All", value: "$__all" },
    options: [],
  };
}

/** The dashboard JSON Grafana imports: panels two a row, a logs panel the full width. */
export function dashboardJson(dashboard: Dashboard): string {
  let y = 0;
  let x = 0;
  const panels = dashboard.panels.map((panel, i) => {
    const wide = "logs" in panel;
    if (wide && x > 0) { x = 0; y += PANEL_HEIGHT; }
    const gridPos = { x, y, w: wide ? 2 * PANEL_WIDTH : PANEL_WIDTH, h: wide ? 2 * PANEL_HEIGHT : PANEL_HEIGHT };
    if (wide) { y += 2 * PANEL_HEIGHT; } else if (x > 0) { x = 0; y += PANEL_HEIGHT; } else { x = PANEL_WIDTH; }
    return { id: i + 1, title: panel.title, gridPos, ...panelJson(panel) };
  });
  return JSON.stringify({
    uid: dashboard.uid,
    title: dashboard.title,
    tags: ["etl-platform"],
    timezone: "utc",
    schemaVersion: 39,
    time: { from: "now-24h", to: "now" },
    templating: { list: (dashboard.variables ?? []).map(variableJson) },
    panels,
  });
}
