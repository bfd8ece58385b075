/** Grafana dashboards as data (provisioned as ConfigMaps that the Grafana sidecar loads), and their JSON. */

export interface Panel {
  title: string;
  expr: string;
  unit?: string;
  /** Legend template, e.g. `{{cronjob}}`. */
  legend?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

/** The dashboard JSON Grafana imports: time-series panels, two a row, on the Prometheus data source. */
export function dashboardJson(dashboard: Dashboard): string {
  return JSON.stringify({
    uid: dashboard.uid,
    title: dashboard.title,
    tags: ["etl-platform"],
    timezone: "utc",
    schemaVersion: 39,
    time: { from: "now-24h", to: "now" },
    panels: dashboard.panels.map((panel, i) => ({
      id: i + 1,
      type: "timeseries",
      title: panel.title,
      datasource: { type: "prometheus", uid: "prometheus" },
      gridPos: { x: (i % 2) * PANEL_WIDTH, y: Math.floor(i / 2) * PANEL_HEIGHT, w: PANEL_WIDTH, h: PANEL_HEIGHT },
      fieldConfig: { defaults: { unit: panel.unit ?? "short" }, overrides: [] },
      targets: [{ refId: "A", expr: panel.expr, legendFormat: panel.legend ?? "" }],
    })),
  });
}
