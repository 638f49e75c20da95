"""The page's stylesheet and script (served inline: the app makes no request beyond its own origin).

Colours are chosen for both themes: Gradio follows the OS (body.dark), so every hand-picked colour has a dark
counterpart with a contrast ratio of at least 4.5 (checked by the browser test).
"""

CSS = """
:root { --pr-subdued: #4b5563; --pr-mark: #fff3b0; --pr-mark-active: #ffd54f; --pr-mark-text: #1f2328;
        --pr-warn: #b3261e; }
.dark { --pr-subdued: #b6bfcc; --pr-mark: #4d4100; --pr-mark-active: #6e5c00; --pr-mark-text: #fff8dc;
        --pr-warn: #ff9a8f; }
#chat { min-height: 360px; }
#ask-row { align-items: stretch; flex-wrap: nowrap; gap: 8px; }
#ask-row > * { min-width: 0 !important; }
#question { flex: 1 1 auto !important; }
#ask, #stop { flex: 0 0 auto !important; min-width: 76px !important; }
#cards { max-height: 720px; overflow-y: auto !important; overscroll-behavior: contain; }
.cards { display: flex; flex-direction: column; gap: 10px; }
.cards.empty { color: var(--pr-subdued); font-style: italic; padding: 8px; }
.turn-head { font-size: 0.85em; color: var(--pr-subdued); margin-top: 6px; overflow-wrap: anywhere; }
.card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 12px;
        background: var(--block-background-fill); transition: box-shadow .2s, border-color .2s; }
.card.active { border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft); }
.card-head { display: flex; gap: 8px; align-items: baseline; font-weight: 600; overflow-wrap: anywhere; }
.card .num, #chat .verdict { border-radius: 6px; padding: 0 7px; font-size: .85em; }
.card .num { background: #4338ca; color: #ffffff; }
.card .meta { font-size: .85em; color: var(--pr-subdued); margin: 4px 0 6px; overflow-wrap: anywhere; }
.card .evidence { font-size: .92em; line-height: 1.45; }
.card mark { background: var(--pr-mark); color: var(--pr-mark-text); padding: 1px 2px; border-radius: 3px; }
.card.active mark { background: var(--pr-mark-active); }
.card details.why, .others details.why { margin-top: 6px; font-size: .85em; }
details.why summary { cursor: pointer; color: var(--pr-subdued); }
details.why p { margin: 4px 0 0; }
.card details.abstract { margin-top: 6px; font-size: .88em; }
details.abstract summary, details.paper summary { cursor: pointer; color: var(--pr-subdued); }
details.abstract p { margin: 4px 0 0; line-height: 1.45; }
details.paper summary { color: inherit; }
details.paper[open] summary { font-weight: 600; }
details.paper .abstract { margin: 6px 0; line-height: 1.45; }
details.paper .links { margin: 0 0 6px; font-size: .95em; }
.ask-paper { border: 1px solid var(--color-accent); color: var(--color-accent); background: transparent;
  border-radius: 6px; padding: 2px 10px; cursor: pointer; font-size: .95em; }
.ask-paper:hover, .ask-paper:focus-visible { background: var(--color-accent-soft); }
.notice { padding: 8px 10px; border-radius: 8px; background: var(--block-background-fill); }
.others summary { cursor: pointer; color: var(--pr-subdued); font-size: .9em; }
.others ul { padding-left: 18px; margin: 6px 0; }
.others li { margin: 4px 0; font-size: .9em; overflow-wrap: anywhere; }
.others .when { color: var(--pr-subdued); }
a.cite { font-weight: 600; text-decoration: none; margin-left: 1px; }
.unsupported { color: var(--pr-warn); font-size: .85em; }
.notice-error { color: var(--pr-warn); }
#chat .verdict { display: inline-block; font-weight: 700; margin-bottom: 4px; }
#chat .verdict-yes { background: #dcfce7; color: #14532d; }
#chat .verdict-no { background: #fee2e2; color: #7f1d1d; }
#chat .verdict-mixed, #chat .verdict-other { background: #fef3c7; color: #78350f; }
.dark #chat .verdict-yes { background: #14532d; color: #dcfce7; }
.dark #chat .verdict-no { background: #7f1d1d; color: #fee2e2; }
.dark #chat .verdict-mixed, .dark #chat .verdict-other { background: #78350f; color: #fef3c7; }
#chat p.notice { border-left: 3px solid var(--pr-subdued); margin: 4px 0; }
#chat p.notice-premise, #chat p.notice-not-stated { border-left-color: var(--pr-warn); }
#chat p.notice-more { font-size: .9em; color: var(--pr-subdued); }
#chat p.items-head { margin: 4px 0 0; font-weight: 600; }
#chat p.sentences-summary { font-style: italic; }
#chat .compare-wrap { overflow-x: auto; }
#chat table.compare { border-collapse: collapse; font-size: .9em; }
#chat table.compare td:first-child, #chat table.compare th:first-child { min-width: 7em; }
#chat table.compare td:nth-child(2) { white-space: nowrap; }
#chat table.compare th, #chat table.compare td { border: 1px solid var(--border-color-primary); padding: 4px 6px;
                                                 vertical-align: top; word-break: normal; overflow-wrap: normal;
                                                 hyphens: none; }
#chat table.compare td:nth-child(n+3) { min-width: 16em; }  /* narrow screens scroll the table, not split words */
.copy-text { display: none; }
.badge { display: inline-block; width: 1.25em; height: 1.25em; line-height: 1.25em; border-radius: 50%;
         text-align: center; font-size: .8em; font-weight: 700; background: var(--pr-subdued);
         color: var(--background-fill-primary); }
button.copy-answer { font-size: .8em; padding: 1px 8px; margin-top: 6px; border-radius: 6px; cursor: pointer;
                     border: 1px solid var(--border-color-primary); background: var(--block-background-fill);
                     color: var(--body-text-color); }
#stats { font-size: .9em; }
.collection { display: flex; flex-wrap: wrap; gap: 24px; }
.collection h4 { margin: 0 0 6px; }
.col-years { flex: 1 1 280px; }
.col-sources { flex: 1 1 220px; overflow-wrap: anywhere; }
.bar-row { display: flex; align-items: center; gap: 6px; font-size: .85em; margin: 2px 0; }
.bar-label { width: 3.2em; color: var(--pr-subdued); }
.bar-track { flex: 1 1 auto; max-width: 70%; }  /* the bars' widths are shares of the track, never clipped */
.bar { display: block; height: .8em; background: #6366f1; border-radius: 3px; }
.papers table { width: 100%; border-collapse: collapse; font-size: .88em; }
.papers th, .papers td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--border-color-primary);
                         vertical-align: top; overflow-wrap: anywhere; }
.papers td.d { white-space: nowrap; }
.papers td.s { overflow-wrap: normal; word-break: normal; min-width: 7em; }  /* file names stay whole */
.papers td.n { text-align: right; font-variant-numeric: tabular-nums; }
.papers .count { color: var(--pr-subdued); font-size: .85em; margin: 4px 0; }
#cite-pop { position: fixed; left: 8px; right: 8px; bottom: 8px; max-height: 50vh; overflow-y: auto; z-index: 1000;
            background: var(--background-fill-primary); border: 1px solid var(--border-color-primary);
            border-radius: 12px; box-shadow: 0 6px 24px rgba(0, 0, 0, .35); padding: 30px 8px 8px; }
#cite-pop[hidden] { display: none; }
#cite-pop .cite-pop-close { position: absolute; top: 4px; right: 8px; font-size: 1.3em; line-height: 1; border: 0;
                            background: transparent; color: var(--body-text-color); cursor: pointer; padding: 2px 6px; }
@media (max-width: 900px) {
  #cards { max-height: none; overflow-y: visible !important; }
  #ask, #stop { min-width: 64px !important; padding-left: 10px !important; padding-right: 10px !important; }
}
"""

# Clicking a marker [n] highlights card n of that answer. On a wide page the cards panel scrolls (never the page,
# so the chat stays where it is); on a narrow one, where the cards sit far below the chat, the card opens in a
# panel over the bottom of the chat. "Copy" puts the answer's plain text with its references on the clipboard.
HEAD = """
<script>
(() => {
  const narrow = () => window.matchMedia('(max-width: 900px)').matches;
  function popover(card) {
    let pop = document.getElementById('cite-pop');
    if (!pop) {
      pop = document.createElement('div');
      pop.id = 'cite-pop';
      pop.setAttribute('role', 'dialog');
      pop.setAttribute('aria-label', 'Cited paper');
      (document.querySelector('.gradio-container') || document.body).appendChild(pop);
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'cite-pop-close';
    close.setAttribute('aria-label', 'Close');
    close.textContent = '\\u00d7';
    const clone = card.cloneNode(true);
    clone.removeAttribute('id');
    clone.classList.add('active');
    pop.replaceChildren(close, clone);
    pop.hidden = false;
  }
  function showCard(id) {
    document.querySelectorAll('.card.active').forEach((c) => c.classList.remove('active'));
    const panel = document.getElementById('cards');
    const card = panel && panel.querySelector('[id="' + CSS.escape(id) + '"]');
    if (!card) return;
    card.classList.add('active');
    if (narrow()) { popover(card); return; }
    const top = card.getBoundingClientRect().top - panel.getBoundingClientRect().top + panel.scrollTop - 8;
    panel.scrollTo({top: top, behavior: 'smooth'});
  }
  function copyText(button) {
    const holder = button.parentElement && button.parentElement.querySelector('.copy-text');
    const text = holder ? holder.textContent : '';
    const done = () => { button.textContent = 'Copied'; setTimeout(() => { button.textContent = 'Copy'; }, 1500); };
    const fallback = () => {
      const area = document.createElement('textarea');
      area.value = text;
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      try { document.execCommand('copy'); done(); } finally { area.remove(); }
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  }
  document.addEventListener('click', (event) => {
    const marker = event.target.closest('a[href^="#cite-"]');
    if (marker) { event.preventDefault(); showCard(marker.getAttribute('href').slice(1)); return; }
    if (event.target.closest('.cite-pop-close')) { document.getElementById('cite-pop').hidden = true; return; }
    const copy = event.target.closest('button.copy-answer');
    if (copy) { event.preventDefault(); copyText(copy); }
  });
  document.addEventListener('keydown', (event) => {
    const pop = document.getElementById('cite-pop');
    if (event.key === 'Escape' && pop) pop.hidden = true;
  });
})();
</script>
"""
