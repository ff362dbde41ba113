"""Keyboard access to the animated system view, and its play state kept across a knob change.

Plotly draws its Play/Pause/speed buttons and time slider as SVG that a keyboard cannot reach.
A small script (run once per browser page) makes each button a focusable, named button that
Enter and Space press, and the time slider a focusable ``role=slider`` that the arrow keys,
Page Up/Down, Home and End move. It also remembers, per animation on the page, the simulated
time shown and whether it was playing: when a knob change brings a new figure, the new one
jumps to the same moment (if the new run covers it) and plays on at the same speed.
"""

from __future__ import annotations

import streamlit as st

SCRIPT = """<style>
.js-plotly-plot g[tabindex]:focus { outline: 3px solid #0072B2; outline-offset: 2px; }
</style><script>
(() => {
  if (window.__asyncLabAnimation) return;
  window.__asyncLabAnimation = true;
  const state = {};
  const STILL = {frame: {duration: 0, redraw: false}, mode: 'immediate',
                 transition: {duration: 0}};
  const isAnim = g => g._transitionData && g._transitionData._frames &&
    g._transitionData._frames.length && g.layout && g.layout.meta && g.layout.meta.times;
  const keyOf = g => {
    const box = g.closest('[class*="_animbox"]');
    return box ? [...box.classList].find(c => c.startsWith('st-key-')) : 'animation';
  };
  const clock = g => {
    const w = (g.data || []).find(t => t.name === 'words');
    const m = /t = ([0-9.]+)/.exec((w && w.text && w.text[0]) || '');
    return m ? parseFloat(m[1]) : null;
  };
  const frameAt = (g, t) => {
    const times = g.layout.meta.times;
    let best = 0;
    times.forEach((x, i) => { if (Math.abs(x - t) < Math.abs(times[best] - t)) best = i; });
    return best;
  };
  const goTo = (g, i) => {
    const n = g.layout.meta.times.length;
    return window.Plotly.animate(g, [String(Math.max(0, Math.min(n - 1, i)))], STILL);
  };
  const press = el => el.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  const words = label => label.replace(/[▶❚↺]/g, '').trim();

  function wire(g, s) {
    g.querySelectorAll('.updatemenu-button').forEach(b => {
      if (b.__alWired) return;
      b.__alWired = true;
      const label = b.textContent.trim();
      b.setAttribute('tabindex', '0');
      b.setAttribute('role', 'button');
      b.setAttribute('aria-label', /^[0-9.]+×$/.test(label) ? 'play at ' + label :
                     words(label));
      b.addEventListener('keydown', e => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); press(b); }
      });
      b.addEventListener('click', () => {
        if (/Pause|Start/.test(label)) s.playing = false;
        else { s.playing = true; s.button = label; }
      });
    });
    const slider = g.querySelector('.slider-container');
    if (slider && !slider.__alWired) {
      slider.__alWired = true;
      const times = g.layout.meta.times;
      slider.setAttribute('tabindex', '0');
      slider.setAttribute('role', 'slider');
      slider.setAttribute('aria-label', 'Simulated time (arrow keys move it)');
      slider.setAttribute('aria-valuemin', String(times[0]));
      slider.setAttribute('aria-valuemax', String(times[times.length - 1]));
      slider.addEventListener('keydown', e => {
        const n = g.layout.meta.times.length, small = Math.max(1, Math.round(n / 100));
        const moves = {ArrowRight: small, ArrowUp: small, ArrowLeft: -small,
                       ArrowDown: -small, PageUp: 10 * small, PageDown: -10 * small};
        let target = null;
        if (e.key in moves) target = frameAt(g, clock(g) || 0) + moves[e.key];
        else if (e.key === 'Home') target = 0;
        else if (e.key === 'End') target = n - 1;
        if (target === null) return;
        e.preventDefault();
        s.playing = false;
        goTo(g, target);
      });
    }
    if (!g.__alOn) {
      g.__alOn = true;
      g.on('plotly_animated', () => {  // the end of a Play, or a jump
        if (!s.restoring) s.playing = false;
      });
    }
  }

  function restore(g, s) {
    const times = g.layout.meta.times, step = g.layout.meta.step || 0;
    const t = s.time, playing = s.playing, button = s.button;
    if (t === null || t < times[0] - step || t > times[times.length - 1] + step) return;
    s.restoring = true;
    goTo(g, frameAt(g, t)).then(() => {
      s.restoring = false;
      if (!playing) return;
      const all = [...g.querySelectorAll('.updatemenu-button')];
      press(all.find(b => b.textContent.trim() === button) || all[0]);
    });
  }

  setInterval(() => {
    document.querySelectorAll('.js-plotly-plot').forEach(g => {
      if (!isAnim(g)) return;
      const key = keyOf(g);
      const s = state[key] || (state[key] = {time: null, playing: false, button: '▶ Play'});
      wire(g, s);
      if (g.__alData !== g.data) {  // a new figure in this place: a knob changed
        const first = g.__alData === undefined && s.time === null;
        g.__alData = g.data;
        if (!first) restore(g, s);
        return;
      }
      if (s.restoring) return;
      const t = clock(g);
      if (t !== null) s.time = t;
      const slider = g.querySelector('.slider-container');
      if (slider && t !== null) {
        slider.setAttribute('aria-valuenow', String(t));
        slider.setAttribute('aria-valuetext', 't = ' + t + ' s');
      }
    });
  }, 200);
})();
</script>"""


def install() -> None:
    """Add the script to the page (it runs once per browser page, however often it is drawn)."""
    st.html(SCRIPT, unsafe_allow_javascript=True)
