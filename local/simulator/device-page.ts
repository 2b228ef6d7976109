/**
 * The virtual terminal page: one self-contained HTML document (inline style and script, no
 * network beyond its own origin). It reads /_device/state twice a second and posts the buttons'
 * choices; every value is written with textContent, never as HTML.
 */
export const devicePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Virtual terminal · SmartConnect simulator</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2433; background: #eef1f5; }
  body { margin: 0; padding: 24px; }
  main { max-width: 980px; margin: 0 auto; display: grid; gap: 16px; grid-template-columns: 300px 1fr; }
  section { background: #fff; border-radius: 12px; padding: 16px 20px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  h1 { font-size: 20px; margin: 0 0 16px; max-width: 980px; margin-inline: auto; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: #5b6578; margin: 0 0 12px; }
  .terminal { background: #1d2433; color: #e8f0ff; text-align: center; }
  .terminal h2 { color: #9fb0cc; }
  #pairing-code { font: 600 40px/1.2 ui-monospace, "DejaVu Sans Mono", monospace; letter-spacing: .08em; margin: 8px 0; }
  #pairing-expiry { color: #9fb0cc; font-size: 13px; min-height: 1.2em; }
  button { font: inherit; border: 0; border-radius: 8px; padding: 8px 12px; cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  #new-code { margin-top: 12px; background: #3b82f6; color: #fff; }
  table { width: 100%; border-collapse: collapse; font-size: 14px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e5e8ee; vertical-align: middle; }
  th { font-weight: 600; color: #5b6578; font-size: 12px; }
  .status { font-weight: 600; }
  .waiting { color: #b45309; }
  .done { color: #15803d; }
  .actions button { margin: 2px; font-size: 13px; padding: 6px 10px; }
  .approve { background: #16a34a; color: #fff; }
  .decline { background: #dc2626; color: #fff; }
  .cancel { background: #e5e8ee; }
  .offline { background: #1d2433; color: #fff; }
  .empty { color: #8a93a6; font-style: italic; }
  .wide { grid-column: 1 / -1; }
  footer { max-width: 980px; margin: 12px auto 0; color: #5b6578; font-size: 13px; }
</style>
</head>
<body>
<h1>Virtual terminal</h1>
<main>
  <section class="terminal" aria-label="Terminal screen">
    <h2>Pairing code</h2>
    <div id="pairing-code" data-testid="pairing-code">—</div>
    <div id="pairing-expiry"></div>
    <button id="new-code" type="button">New pairing code</button>
  </section>
  <section>
    <h2>Paired registers</h2>
    <table><thead><tr><th>Register</th><th>Business</th><th>Vendor</th><th>Terminal</th></tr></thead>
    <tbody id="pairings"></tbody></table>
  </section>
  <section class="wide">
    <h2>Transactions</h2>
    <table><thead><tr><th>Started</th><th>Register</th><th>Type</th><th>Amount</th><th>State</th><th></th></tr></thead>
    <tbody id="transactions"></tbody></table>
  </section>
</main>
<footer>Amounts ending in 62 cents wait here for Approve, Decline, Cancel or Terminal offline. Other cents follow the simulator's table.</footer>
<script>
const $ = (id) => document.getElementById(id);
const cell = (text, className) => { const td = document.createElement('td'); td.textContent = text; if (className) td.className = className; return td; };
const row = (cells) => { const tr = document.createElement('tr'); tr.append(...cells); return tr; };
const empty = (columns, text) => { const td = cell(text, 'empty'); td.colSpan = columns; return row([td]); };
const money = (cents) => cents === undefined ? '' : '$' + (Number(cents) / 100).toFixed(2);
const verdicts = [['approved', 'Approve', 'approve'], ['declined', 'Decline', 'decline'], ['cancelled', 'Cancel', 'cancel'], ['offline', 'Terminal offline', 'offline']];

async function decide(id, verdict, buttons) {
  buttons.forEach((b) => (b.disabled = true));
  await fetch('/_device/transactions/' + id + '/decision', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verdict }) });
  refresh();
}

function render(state) {
  const code = state.pairingCodes[0];
  $('pairing-code').textContent = code ? code.pairingCode : '—';
  $('pairing-expiry').textContent = code ? 'terminal ' + code.deviceId + ' · valid until ' + new Date(code.expiresAt).toLocaleTimeString() : 'No code: press New pairing code';
  $('pairings').replaceChildren(...(state.pairings.length
    ? state.pairings.map((p) => row([cell(p.posRegisterName ? p.posRegisterName + ' (' + p.posRegisterId + ')' : p.posRegisterId), cell(p.posBusinessName), cell(p.posVendorName), cell(p.deviceId)]))
    : [empty(4, 'No register paired yet')]));
  $('transactions').replaceChildren(...(state.transactions.length
    ? state.transactions.map((t) => {
        const actions = document.createElement('td');
        actions.className = 'actions';
        if (t.waitingForPerson) {
          const buttons = verdicts.map(([verdict, label, className]) => {
            const b = document.createElement('button');
            b.type = 'button'; b.textContent = label; b.className = className; b.dataset.verdict = verdict;
            return b;
          });
          buttons.forEach((b) => b.addEventListener('click', () => decide(t.id, b.dataset.verdict, buttons)));
          actions.append(...buttons);
        }
        const stateText = t.waitingForPerson ? 'Waiting for you' : t.status === 'COMPLETED' ? (t.transactionResult || 'COMPLETED') : 'Processing…';
        const tr = row([cell(new Date(t.createdAt).toLocaleTimeString()), cell(t.posRegisterId), cell(t.type), cell(money(t.amount)),
          cell(stateText, 'status ' + (t.waitingForPerson ? 'waiting' : t.status === 'COMPLETED' ? 'done' : '')), actions]);
        tr.dataset.transactionId = t.id;
        return tr;
      })
    : [empty(6, 'No transactions yet')]));
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const answer = await fetch('/_device/state', { cache: 'no-store' });
    if (answer.ok) render(await answer.json());
  } catch { /* the server is restarting: try again on the next tick */ } finally { busy = false; }
}
$('new-code').addEventListener('click', async () => { await fetch('/_device/pairing-codes', { method: 'POST' }); refresh(); });
refresh();
setInterval(refresh, 500);
</script>
</body>
</html>
`;
