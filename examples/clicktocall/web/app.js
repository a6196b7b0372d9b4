// webdial click-to-call page. The page knows only two URLs of its own
// server: "token" (a short-lived call token) and "call" (the WebRTC
// gateway, WHIP-shaped). Whom the call reaches, and any credentials, are
// decided by the server; none of it is ever sent to this page.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    state: $("state"), timer: $("timer"), call: $("call"), mute: $("mute"),
    level: $("level"), keypad: $("keypad"), sent: $("sent"), remote: $("remote"),
  };
  const reasons = {
    "remote hangup": "the other side hung up",
    "page hangup": "you hung up",
    "shutdown": "the server is shutting down",
    "max duration": "time limit reached",
    "no answer": "no answer",
    "sip unreachable": "the line could not be reached",
    "sip authentication failed": "the line refused the server's credentials",
    "page unreachable": "your connection was lost",
    "page did not connect": "your browser could not connect",
  };
  function reasonWords(r) {
    if (!r) return "no reason given";
    if (reasons[r]) return reasons[r];
    if (r.startsWith("rejected: 486") || r.startsWith("rejected: 600")) return "busy";
    if (r.startsWith("rejected: ")) return "declined (" + r.slice(10) + ")";
    return r;
  }
  const refusals = {
    400: "the call could not be set up", 401: "call token refused", 403: "calls are not allowed from this page",
    404: "no such call", 415: "the call could not be set up", 429: "too many calls, try again later",
    503: "the service is busy, try again later",
  };
  let session = null;

  function show(state, words) {
    document.body.dataset.state = state;
    ui.state.textContent = words;
  }

  function inCallControls(on) {
    ui.mute.disabled = !on;
    for (const b of ui.keypad.querySelectorAll("button")) b.disabled = !on;
  }

  function iceGathered(pc, ms) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); pc.removeEventListener("icegatheringstatechange", check); resolve(); };
      const check = () => { if (pc.iceGatheringState === "complete") done(); };
      const t = setTimeout(done, ms);
      pc.addEventListener("icegatheringstatechange", check);
    });
  }

  async function startCall() {
    const s = { ended: false, answered: false };
    session = s;
    ui.call.textContent = "Hang up";
    ui.call.classList.add("hangup");
    ui.sent.textContent = "";
    ui.level.dataset.peak = "0";
    show("connecting", "connecting…");
    // Created inside the click so that the browser lets it play.
    s.audio = new AudioContext();
    try {
      s.mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      const res = await fetch("token", {
        method: "POST", cache: "no-store",
        headers: { "Content-Type": "application/json" }, body: "{}",
      });
      if (!res.ok) throw new Error(refusals[res.status] || "no call token (" + res.status + ")");
      const tok = await res.json();
      if (s.ended) return;

      s.pc = new RTCPeerConnection({ iceServers: tok.iceServers || [] });
      s.dc = s.pc.createDataChannel("webdial");
      s.dc.onmessage = (e) => onControl(s, e.data);
      // The gateway says "ended" before it closes the channel; a close
      // without it means the gateway went away.
      s.dc.onclose = () => { s.serverEnded = true; finish(s, "ended", "call ended: connection lost"); };
      for (const track of s.mic.getAudioTracks()) s.pc.addTrack(track, s.mic);
      s.pc.ontrack = (e) => onRemoteAudio(s, e.streams[0] || new MediaStream([e.track]));
      s.pc.onconnectionstatechange = () => {
        if (s.pc.connectionState === "failed") finish(s, "ended", "call ended: connection lost");
      };
      await s.pc.setLocalDescription(await s.pc.createOffer());
      await iceGathered(s.pc, 3000);
      if (s.ended) return;

      const ans = await fetch("call", {
        method: "POST", cache: "no-store",
        headers: { "Content-Type": "application/sdp", "Authorization": "Bearer " + tok.token },
        body: s.pc.localDescription.sdp,
      });
      if (ans.status !== 201) throw new Error(refusals[ans.status] || "call refused (" + ans.status + ")");
      s.location = new URL(ans.headers.get("Location"), window.location.href).href;
      const sdp = await ans.text();
      if (s.ended) { hangUpServer(s); return; }
      await s.pc.setRemoteDescription({ type: "answer", sdp });
      if (!s.answered) show("connecting", "calling…");
    } catch (err) {
      finish(s, "failed", "call failed: " + err.message);
    }
  }

  function onControl(s, data) {
    let m;
    try { m = JSON.parse(data); } catch { return; }
    if (m.type === "error") {
      console.warn("webdial:", m.reason);
      return;
    }
    if (m.type !== "state" || s.ended) return;
    switch (m.state) {
      case "trying": show("connecting", "calling…"); break;
      case "ringing": show("ringing", "ringing…"); break;
      case "early": show("ringing", "ringing (early audio)…"); break;
      case "answered":
        s.answered = true;
        show("incall", "in call");
        startTimer(s);
        inCallControls(true);
        break;
      case "ended":
        s.serverEnded = true;
        finish(s, "ended", "call ended: " + reasonWords(m.reason));
        break;
    }
  }

  function onRemoteAudio(s, stream) {
    if (s.meter) return;
    // Chrome feeds a remote WebRTC stream to Web Audio only while a media
    // element plays it too.
    ui.remote.srcObject = stream;
    ui.remote.play().catch(() => {});
    s.audio.resume().catch(() => {});
    const analyser = s.audio.createAnalyser();
    analyser.fftSize = 1024;
    s.audio.createMediaStreamSource(stream).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    s.meter = setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const rms = Math.sqrt(sum / buf.length);
      // data-level and data-peak are RMS in thousandths of full scale.
      const level = Math.round(rms * 1000);
      ui.level.dataset.level = String(level);
      ui.level.dataset.peak = String(Math.max(level, Number(ui.level.dataset.peak)));
      ui.level.style.width = Math.min(100, Math.sqrt(rms) * 180) + "%";
    }, 50);
  }

  function startTimer(s) {
    const t0 = Date.now();
    ui.timer.hidden = false;
    const tick = () => {
      const sec = Math.floor((Date.now() - t0) / 1000);
      ui.timer.textContent = Math.floor(sec / 60) + ":" + String(sec % 60).padStart(2, "0");
    };
    tick();
    s.timer = setInterval(tick, 250);
  }

  function send(s, msg) {
    if (s && s.dc && s.dc.readyState === "open") s.dc.send(JSON.stringify(msg));
  }

  function hangUpServer(s) {
    send(s, { type: "hangup" });
    if (s.location) fetch(s.location, { method: "DELETE", keepalive: true }).catch(() => {});
  }

  function finish(s, state, words) {
    if (s.ended) return;
    s.ended = true;
    if (!s.serverEnded) hangUpServer(s);
    clearInterval(s.timer);
    clearInterval(s.meter);
    if (s.mic) for (const t of s.mic.getTracks()) t.stop();
    // Let the hang-up message leave before the channel closes.
    setTimeout(() => { if (s.pc) s.pc.close(); if (s.audio) s.audio.close().catch(() => {}); }, 200);
    ui.remote.srcObject = null;
    ui.level.style.width = "0";
    ui.level.dataset.level = "0";
    inCallControls(false);
    ui.mute.setAttribute("aria-pressed", "false");
    ui.mute.textContent = "Mute";
    ui.call.textContent = "Call";
    ui.call.classList.remove("hangup");
    show(state, words);
  }

  ui.call.addEventListener("click", () => {
    if (session && !session.ended) finish(session, "ended", "call ended: you hung up");
    else startCall();
  });

  ui.mute.addEventListener("click", () => {
    if (!session || !session.mic) return;
    const muted = ui.mute.getAttribute("aria-pressed") !== "true";
    for (const t of session.mic.getAudioTracks()) t.enabled = !muted;
    ui.mute.setAttribute("aria-pressed", String(muted));
    ui.mute.textContent = muted ? "Unmute" : "Mute";
  });

  function dial(digit) {
    if (!session || session.ended || !session.answered) return;
    send(session, { type: "dtmf", digits: digit });
    ui.sent.textContent += digit;
  }
  ui.keypad.addEventListener("click", (e) => {
    const d = e.target.dataset && e.target.dataset.digit;
    if (d) dial(d);
  });
  document.addEventListener("keydown", (e) => {
    if (/^[0-9*#]$/.test(e.key)) dial(e.key);
  });
})();
