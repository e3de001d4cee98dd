// This tab's anonymous viewer id: random, kept for the tab's session, sent by the playback
// heartbeats and the chat socket alike so that one viewer counts once.
var agoraLiveViewer = null;
function agoraLiveViewerId() {
  "use strict";
  var KEY = "agora-live-viewer-id";
  var id = agoraLiveViewer;
  if (id) {
    return id;
  }
  try {
    id = window.sessionStorage.getItem(KEY);
  } catch (error) {
    id = null;
  }
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    id = Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    try {
      window.sessionStorage.setItem(KEY, id);
    } catch (error) {
      // Private modes may refuse storage: the page keeps the id in memory instead.
    }
  }
  agoraLiveViewer = id;
  return id;
}

// The live watch page's player: hls.js where Media Source Extensions exist, the
// browser's own HLS on Apple's (Safari plays HLS natively). A signed URL (followers and
// subscribers streams) expires: before it does, the page fetches a fresh one and hls.js
// requests every later playlist and segment under the new signed prefix.
(function () {
  "use strict";
  var video = document.getElementById("live-video");
  if (!video) {
    return;
  }
  var url = video.dataset.hlsUrl;
  var signedPrefix = /\/live\/hls\/s\/\d+\/[A-Za-z0-9_-]+\//;
  var current = url.match(signedPrefix);
  var isApple = /Apple/.test(navigator.vendor || "");
  var nativeHls = video.canPlayType("application/vnd.apple.mpegurl") !== "";

  function renew() {
    fetch(video.dataset.renewUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        var fresh = body && body.hls_url && body.hls_url.match(signedPrefix);
        if (fresh) {
          current = fresh;
        }
      })
      .catch(function () {});
  }

  if ((isApple || !window.Hls || !window.Hls.isSupported()) && nativeHls) {
    video.src = url;
  } else if (window.Hls && window.Hls.isSupported()) {
    var hls = new window.Hls({
      liveSyncDurationCount: 3,
      xhrSetup: function (xhr, requested) {
        var target = current ? requested.replace(signedPrefix, current[0]) : requested;
        xhr.open("GET", target, true);
      },
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  } else {
    document.getElementById("live-video-error").hidden = false;
    return;
  }
  if (video.dataset.renewUrl) {
    window.setInterval(renew, Number(video.dataset.renewSeconds) * 1000);
  }
})();

// The chat, read-only: an anonymous socket (the page has a session, not an access token;
// writing is for apps). It renders the history, then each room event: a message, its
// deletion, the viewer count, the end. Text goes in as text, never as HTML. A dropped
// socket reconnects after 1, 2, 4 ... 30 s (with jitter); the history it gets again
// replaces what was shown, so nothing is missed or doubled.
(function () {
  "use strict";
  var chat = document.getElementById("live-chat");
  if (!chat || chat.dataset.readable !== "true" || !window.WebSocket) {
    return;
  }
  var list = document.getElementById("live-chat-messages");
  var status = document.getElementById("live-chat-status");
  var viewerCount = document.getElementById("live-viewer-count");
  var MAX_SHOWN = 200;
  var MAX_DELAY_MS = 30000;
  var attempts = 0;
  var finished = false;

  function say(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  function item(message) {
    var row = document.createElement("li");
    row.className = "live-chat-message";
    row.dataset.id = message.id;
    var author = document.createElement("strong");
    author.className = "live-chat-author";
    var account = message.account || {};
    author.textContent = account.display_name || account.username || "";
    author.title = "@" + (account.username || "");
    var text = document.createElement("span");
    text.className = "live-chat-text";
    text.textContent = message.text;
    row.appendChild(author);
    row.appendChild(document.createTextNode(" "));
    row.appendChild(text);
    return row;
  }

  function find(id) {
    for (var row = list.firstElementChild; row; row = row.nextElementSibling) {
      if (row.dataset.id === String(id)) {
        return row;
      }
    }
    return null;
  }

  function add(message) {
    if (!message || !message.id || find(message.id)) {
      return;
    }
    list.appendChild(item(message));
    while (list.children.length > MAX_SHOWN) {
      list.removeChild(list.firstElementChild);
    }
  }

  var handlers = {
    history: function (payload) {
      list.textContent = "";
      (payload.messages || []).forEach(add);
    },
    message: add,
    delete: function (payload) {
      var row = find(payload.id);
      if (row) {
        list.removeChild(row);
      }
    },
    viewer_count: function (payload) {
      if (typeof payload.viewers === "number") {
        viewerCount.textContent = String(payload.viewers);
      }
    },
    ended: function () {
      finished = true;
      say(chat.dataset.textEnded);
      var shown = document.getElementById("live-state");
      if (shown) {
        shown.dataset.state = "ended";
      }
    },
  };

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    // A signed-in session's heartbeats count its account: its socket counts nothing more.
    var query = chat.dataset.signedIn === "true"
      ? "?presence=off"
      : "?viewer_id=" + encodeURIComponent(agoraLiveViewerId());
    var socket = new WebSocket(scheme + window.location.host + chat.dataset.socketPath + query);
    socket.onopen = function () {
      attempts = 0;
      if (!finished) {
        say("");
      }
    };
    socket.onmessage = function (frame) {
      var data;
      try {
        data = JSON.parse(frame.data);
      } catch (error) {
        return;
      }
      var handler = data && handlers[data.event];
      if (handler) {
        handler(data.payload || {});
      }
    };
    socket.onclose = function (event) {
      if (finished) {
        return;
      }
      // 4001 and 4004: this page may not read the chat; retrying would not change that.
      if (event.code === 4001 || event.code === 4004) {
        say(chat.dataset.textClosed);
        return;
      }
      say(chat.dataset.textReconnecting);
      var delay = Math.min(MAX_DELAY_MS, 1000 * Math.pow(2, attempts));
      attempts += 1;
      window.setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    };
  }

  var state = document.getElementById("live-state");
  if (state && state.dataset.state === "ended") {
    handlers.ended();
  } else {
    say(chat.dataset.textConnecting);
  }
  connect();
})();

// Playback heartbeats: every 15 s while the video plays, so the stream counts this viewer.
// An anonymous player sends its own random viewer_id, kept for the tab's session; a
// signed-in session is counted by its account, and DRF asks its POST for the CSRF token.
(function () {
  "use strict";
  var video = document.getElementById("live-video");
  var beat = document.getElementById("live-heartbeat");
  if (!video || !beat || !window.fetch) {
    return;
  }
  var id = agoraLiveViewerId();

  function send() {
    if (video.paused || video.ended || video.readyState < 2) {
      return;
    }
    fetch(beat.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": beat.dataset.csrfToken },
      body: JSON.stringify({ viewer_id: id }),
    }).catch(function () {});
  }

  video.addEventListener("playing", send, { once: true });
  window.setInterval(send, Number(beat.dataset.seconds) * 1000);
})();
