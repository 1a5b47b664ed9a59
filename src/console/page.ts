// The console's page and style sheet: a shell that loads the bundled script, which draws everything else.

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Realmstate console</title>
<link rel="stylesheet" href="/console/app.css">
<script type="module" src="/console/app.js"></script>
</head>
<body>
<div id="app"><noscript>The Realmstate console needs JavaScript.</noscript></div>
</body>
</html>
`;

export const CONSOLE_CSS = `
:root {
  --bg: #f4f6f9; --card: #fff; --ink: #1d2433; --muted: #6b7485; --line: #e2e6ee; --accent: #2f6fde; --accent-ink: #fff;
  --ok: #1f8a4c; --ok-bg: #e3f5ea; --bad: #c62f2f; --bad-bg: #fdeaea; --warn: #9a6400; --warn-bg: #fff3d6; --info: #2f5fa8; --info-bg: #e6effc;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: #151b28; color: #fff; }
header .brand { font-weight: 700; letter-spacing: .02em; }
header .where { color: #9aa4b8; flex: 1; }
.layout { display: flex; min-height: calc(100vh - 48px); }
nav { width: 200px; flex: none; background: #fff; border-right: 1px solid var(--line); padding: 12px 0; }
nav a { display: block; padding: 8px 20px; color: var(--ink); text-decoration: none; }
nav a:hover { background: var(--bg); }
nav a.active { background: var(--info-bg); color: var(--accent); font-weight: 600; border-left: 3px solid var(--accent); padding-left: 17px; }
main { flex: 1; padding: 16px 24px 40px; min-width: 0; }
main h2 { margin: 4px 0 12px; font-size: 20px; }
h3 { margin: 0 0 10px; font-size: 15px; }
h4 { margin: 10px 0 6px; font-size: 13px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; min-width: 0; overflow-x: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 16px; align-items: start; }
.grid .card { margin-bottom: 0; }
.grid.two { grid-template-columns: repeat(2, minmax(0, 1fr)); margin-bottom: 16px; }
.grid.two > div > .card + .card { margin-top: 16px; }
.grid.three { grid-template-columns: repeat(3, minmax(0, 1fr)); }
.stats { display: flex; flex-wrap: wrap; gap: 18px; }
.stat .label { color: var(--muted); font-size: 12px; }
.stat .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
svg.spark { display: block; width: 220px; height: 40px; margin-top: 4px; }
td svg.spark { width: 160px; height: 28px; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.6; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td button, td .badge { white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code.clip { display: inline-block; max-width: 260px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
pre.json { background: #0f1522; color: #d6deeb; padding: 10px 12px; border-radius: 6px; max-height: 360px; overflow: auto; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; margin: 6px 0 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.badge.ok { color: var(--ok); background: var(--ok-bg); } .badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); } .badge.info { color: var(--info); background: var(--info-bg); }
.muted { color: var(--muted); }
.error { color: var(--bad); background: var(--bad-bg); border-radius: 6px; padding: 8px 10px; margin: 8px 0; }
button { font: inherit; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); border-radius: 6px; padding: 6px 12px; cursor: pointer; }
button:disabled { opacity: .45; cursor: default; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
button.danger:hover:not(:disabled) { background: var(--bad); color: #fff; }
button.small { padding: 2px 8px; font-size: 12px; }
input, select { font: inherit; padding: 6px 8px; border: 1px solid #c9cfdb; border-radius: 6px; background: #fff; }
input[type=number] { width: 90px; }
form.search { display: flex; gap: 8px; margin-bottom: 12px; max-width: 520px; }
form.search input { flex: 1; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin-bottom: 10px; }
.toolbar form.search { margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
.row-actions { display: flex; gap: 4px; }
.pager { display: flex; align-items: center; gap: 12px; margin-top: 10px; }
.slider { display: flex; align-items: center; gap: 10px; margin-bottom: 8px; }
.slider input[type=range] { flex: 1; max-width: 640px; }
a { color: var(--accent); }
a.active, a.mark { font-weight: 700; }
.sharebar { display: flex; height: 22px; border-radius: 6px; overflow: hidden; margin: 6px 0 10px; background: var(--line); }
.sharebar .part { color: #fff; font-size: 11px; line-height: 22px; text-align: center; overflow: hidden; white-space: nowrap; }
.c0 { background: #2f6fde; } .c1 { background: #1f8a4c; } .c2 { background: #b35c00; } .c3 { background: #7b4bc4; }
.c4 { background: #0f8a8a; } .c5 { background: #c23b6b; } .c6 { background: #5a6b85; } .c7 { background: #8a7a00; }
.progress { position: relative; height: 22px; background: var(--line); border-radius: 6px; overflow: hidden; max-width: 520px; }
.progress .done { position: absolute; inset: 0 auto 0 0; background: var(--ok); opacity: .35; }
.progress span { position: relative; padding: 0 8px; line-height: 22px; font-size: 12px; }
.experiment + .experiment { margin-top: 12px; border-top: 1px solid var(--line); }
form.login { max-width: 460px; margin: 12vh auto; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 24px 28px; display: flex; flex-direction: column; gap: 12px; }
form.login h1 { margin: 0; font-size: 22px; }
form.login p { margin: 0; }
dialog.confirm { border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; width: min(480px, 92vw); }
dialog.confirm::backdrop { background: rgba(15, 21, 34, .45); }
dialog.confirm form { display: flex; flex-direction: column; gap: 10px; }
dialog.confirm label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted); }
dialog.confirm .actions { justify-content: flex-end; }
.toast { position: fixed; right: 20px; bottom: 20px; padding: 10px 14px; border-radius: 8px; color: #fff; background: var(--ok); box-shadow: 0 4px 16px rgba(0,0,0,.15); max-width: 520px; }
.toast.bad { background: var(--bad); }
details summary { cursor: pointer; color: var(--accent); margin-top: 8px; }
@media (max-width: 900px) { nav { width: 150px; } .grid.two, .grid.three { grid-template-columns: 1fr; } }
`;
