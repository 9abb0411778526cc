import type { CheckReport, UriCheck } from './check';

/** `report` as JSON: the {@link CheckReport} shape, keys in a fixed order, one object, a newline at the end. */
export function jsonReport(report: CheckReport): string {
  const uri = (check: UriCheck) => ({
    uri: check.uri,
    transport: check.transport,
    result: check.result,
    rttMs: check.rttMs,
    reason: check.reason,
  });
  const ordered = {
    ok: report.ok,
    url: report.url,
    channel: report.channel,
    api: {
      status: report.api.status,
      latencyMs: report.api.latencyMs,
      contract: report.api.contract,
      reason: report.api.reason,
    },
    ttl: report.ttl,
    uris: report.uris.map(uri),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

const RESULT_LABELS: Record<UriCheck['result'], string> = {
  ok: 'ok',
  failed: 'FAILED',
  'not checked': 'not checked',
};

/** `report` for a person: the API step, then one row per TURN URI (transport, result, round trip, reason), then the verdict. */
export function textReport(report: CheckReport): string {
  const lines = [`kvs-ice-broker check: POST ${report.url}`];
  const { api } = report;
  const answered = api.status === null ? 'no answer' : `${api.status} in ${api.latencyMs} ms`;
  const contract =
    api.contract === 'valid'
      ? 'matches docs/openapi.json'
      : api.contract === 'invalid'
        ? 'does NOT match docs/openapi.json'
        : 'not checked against docs/openapi.json';
  lines.push(
    `API       ${answered}, answer ${contract}${report.ttl !== null ? `, ttl ${report.ttl} s` : ''}`,
  );
  if (api.reason !== null) lines.push(`          ${api.reason}`);
  if (report.uris.length > 0) {
    const rows = [
      ['TURN URI', 'transport', 'result', 'rtt'],
      ...report.uris.map((check) => [
        check.uri,
        check.transport,
        RESULT_LABELS[check.result],
        check.rttMs === null ? '-' : `${check.rttMs} ms`,
      ]),
    ];
    const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
    const pad = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
    lines.push('', pad(rows[0] ?? []).trimEnd());
    report.uris.forEach((check, index) => {
      lines.push(pad(rows[index + 1] ?? []).trimEnd());
      if (check.reason !== null) lines.push(`    ${check.reason}`);
    });
  }
  const failed = report.uris.filter((check) => check.result === 'failed').length;
  const verdict = report.ok
    ? `PASSED: the API answered as documented and every checked TURN URI allocated a relay`
    : api.reason !== null
      ? 'FAILED: see the API line above'
      : `FAILED: ${failed} of ${report.uris.length} TURN URIs did not allocate a relay`;
  lines.push('', verdict);
  return `${lines.join('\n')}\n`;
}
